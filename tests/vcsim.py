"""pytest plugin: a real vCenter API (govmomi's vcsim) per test, built from tools/vcsim, with our own TLS certificate.

Load it with `pytest_plugins = ["tests.vcsim"]`. Fixtures: vcsim_binary, vcsim_tls_factory, vcsim_tls,
vcsim_factory, vcsim.
"""

from __future__ import annotations

import datetime
import ipaddress
import os
import re
import secrets
import signal
import subprocess
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from cryptography.x509.oid import NameOID

from datacenters.vsphere.connection import ServerCertificate, certificate_probe

REPO = Path(__file__).resolve().parents[1]
BUILD_SCRIPT = REPO / "tools" / "vcsim" / "build.sh"
DEFAULT_BINARY = REPO / ".build" / "vcsim"
USERNAME = "administrator@vsphere.local"
SESSION_TLS = object()  # vcsim_factory's default: the session's certificate
START_TIMEOUT = 15  # seconds until vcsim prints its URL
STOP_TIMEOUT = 10


@dataclass(frozen=True)
class TlsFiles:
    cert: Path
    key: Path
    certificate: ServerCertificate


def tls_files_create(directory: Path, *, signed_by_ca: bool = False) -> TlsFiles:
    """A 2048-bit certificate for 127.0.0.1 and localhost (vcsim's built-in key is 1024-bit, too weak).

    Self-signed, or `signed_by_ca` by a throw-away CA the client never sees, as VMCA signs vCenter's.
    """
    directory.mkdir(parents=True, exist_ok=True)
    key = _key_create()
    subject = _name("vcsim.test")
    issuer, issuer_key = subject, key
    if signed_by_ca:
        issuer, issuer_key = _name("vcsim test CA"), _key_create()
    certificate = (
        _certificate_builder(subject=subject, issuer=issuer, public_key=key.public_key())
        .add_extension(
            x509.SubjectAlternativeName([x509.IPAddress(ipaddress.ip_address("127.0.0.1")), x509.DNSName("localhost")]),
            critical=False,
        )
        .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
        .sign(issuer_key, hashes.SHA256())
    )
    cert_path, key_path = directory / "vcsim.crt", directory / "vcsim.key"
    cert_path.write_bytes(certificate.public_bytes(serialization.Encoding.PEM))
    key_path.write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.TraditionalOpenSSL,
            serialization.NoEncryption(),
        )
    )
    return TlsFiles(cert_path, key_path, ServerCertificate.from_pem(cert_path.read_text()))


def _key_create() -> rsa.RSAPrivateKey:
    return rsa.generate_private_key(public_exponent=65537, key_size=2048)


def _name(common_name: str) -> x509.Name:
    return x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, common_name)])


def _certificate_builder(*, subject: x509.Name, issuer: x509.Name, public_key: Any) -> x509.CertificateBuilder:
    now = datetime.datetime.now(datetime.UTC)
    return (
        x509.CertificateBuilder()
        .subject_name(subject)
        .issuer_name(issuer)
        .public_key(public_key)
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(minutes=5))
        .not_valid_after(now + datetime.timedelta(days=30))
    )


class Vcsim:
    """One running vcsim. Its inventory lives in memory: a restart starts from the default model again."""

    fqdn = "127.0.0.1"

    def __init__(
        self,
        *,
        binary: Path,
        workdir: Path,
        tls: TlsFiles | None,
        new_tls: Callable[[], TlsFiles],
        username: str,
        password: str,
        flags: dict[str, Any],
    ):
        self.binary, self.workdir, self.tls, self._new_tls = binary, workdir, tls, new_tls
        self.username, self.password, self.flags = username, password, flags
        self.port = 0
        self.process: subprocess.Popen | None = None
        self._starts = 0

    @property
    def certificate(self) -> ServerCertificate:
        """The certificate it serves (read from the wire when it uses vcsim's built-in one)."""
        if self.tls is None:
            return certificate_probe(fqdn=self.fqdn, port=self.port)
        return self.tls.certificate

    @property
    def url(self) -> str:
        return f"https://{self.fqdn}:{self.port}/sdk"

    def start(self) -> None:
        self._starts += 1
        out = self.workdir / f"vcsim-{self._starts}.out"
        err = self.workdir / f"vcsim-{self._starts}.err"
        command = [
            str(self.binary), "-l", f"{self.fqdn}:{self.port}",
            "-username", self.username, "-password", self.password,
            *(["-tlscert", str(self.tls.cert), "-tlskey", str(self.tls.key)] if self.tls else []),
            *_flags_to_arguments(self.flags),
        ]  # fmt: skip
        # TMPDIR: vcsim makes its datastore directories there; keep them inside the test's tmp_path.
        env = {**os.environ, "TMPDIR": str(self.workdir)}
        with out.open("wb") as stdout, err.open("wb") as stderr:
            self.process = subprocess.Popen(
                command, stdout=stdout, stderr=stderr, cwd=self.workdir, env=env, preexec_fn=_die_with_parent
            )
        self.port = self._port_wait(out=out, err=err)

    def _port_wait(self, *, out: Path, err: Path) -> int:
        deadline = time.monotonic() + START_TIMEOUT
        while time.monotonic() < deadline:
            match = re.search(r"GOVC_URL=(\S+)", out.read_text())
            if match:
                return urlsplit(match.group(1)).port
            if self.process.poll() is not None:
                break
            time.sleep(0.01)
        self.stop()
        pytest.fail(f"vcsim did not start (exit code {self.process.returncode}):\n{err.read_text()}", pytrace=False)

    def stop(self) -> None:
        process, self.process = self.process, None
        if process is None or process.poll() is not None:
            return
        process.send_signal(signal.SIGTERM)
        try:
            process.wait(timeout=STOP_TIMEOUT)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()

    def restart_with_new_certificate(self) -> ServerCertificate:
        """Stop, then start again on the same port presenting a new certificate (a renewed vCenter)."""
        self.stop()
        self.tls = self._new_tls()
        self.start()
        return self.certificate


def _die_with_parent() -> None:
    """In vcsim's process: stop when the process that started it stops, even when killed (Linux)."""
    import ctypes

    try:
        ctypes.CDLL("libc.so.6").prctl(1, signal.SIGTERM)  # PR_SET_PDEATHSIG
    except (OSError, AttributeError):
        pass


def _flags_to_arguments(flags: dict[str, Any]) -> list[str]:
    """{"vm": 0, "esx": True, "trace_file": "t.log"} → ["-vm=0", "-esx=true", "-trace-file=t.log"]."""
    arguments = []
    for name, value in flags.items():
        if isinstance(value, bool):
            value = "true" if value else "false"
        arguments.append(f"-{name.replace('_', '-')}={value}")
    return arguments


@pytest.fixture(scope="session")
def vcsim_binary() -> Path:
    """The vcsim command: $VCSIM_BIN as it is, or built by tools/vcsim/build.sh into .build/vcsim."""
    if os.environ.get("VCSIM_BIN"):
        binary = Path(os.environ["VCSIM_BIN"])
        if not os.access(binary, os.X_OK):
            pytest.fail(f"VCSIM_BIN={binary} is not an executable file", pytrace=False)
        return binary
    build = subprocess.run(
        [str(BUILD_SCRIPT), str(DEFAULT_BINARY)], stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True
    )
    if build.returncode != 0:
        pytest.fail(f"building vcsim failed (exit code {build.returncode}):\n{build.stdout}", pytrace=False)
    return DEFAULT_BINARY


@pytest.fixture(scope="session")
def vcsim_tls_factory(tmp_path_factory: pytest.TempPathFactory) -> Callable[[], TlsFiles]:
    """Make a fresh certificate and key each time it is called."""
    return lambda: tls_files_create(tmp_path_factory.mktemp("vcsim-tls"))


@pytest.fixture(scope="session")
def vcsim_tls(vcsim_tls_factory: Callable[[], TlsFiles]) -> TlsFiles:
    """The certificate every vcsim of the session starts with (a 2048-bit key takes a while to make)."""
    return vcsim_tls_factory()


@pytest.fixture
def vcsim_factory(
    vcsim_binary: Path, vcsim_tls: TlsFiles, vcsim_tls_factory: Callable[[], TlsFiles], tmp_path: Path
) -> Iterator[Callable[..., Vcsim]]:
    """Start vcsims with extra flags (`vcsim_factory(vm=0, esx=True)`); all are stopped after the test.

    `tls`: the certificate to serve (default: the session's; None: vcsim's built-in 1024-bit one).
    """
    started: list[Vcsim] = []

    def start(*, username: str = USERNAME, password: str | None = None, tls: Any = SESSION_TLS, **flags: Any) -> Vcsim:
        workdir = tmp_path / f"vcsim-{len(started)}"
        workdir.mkdir()
        simulator = Vcsim(
            binary=vcsim_binary,
            workdir=workdir,
            tls=vcsim_tls if tls is SESSION_TLS else tls,
            new_tls=vcsim_tls_factory,
            username=username,
            password=password or secrets.token_urlsafe(12),
            flags=flags,
        )
        started.append(simulator)
        simulator.start()
        return simulator

    yield start
    for simulator in started:
        simulator.stop()


@pytest.fixture
def vcsim(vcsim_factory: Callable[..., Vcsim]) -> Vcsim:
    """A vCenter 6.5 simulator on 127.0.0.1 with the default inventory (DC0, DC0_C0, DC0_H0, …)."""
    return vcsim_factory()

"""Reaching a vCenter: read and pin its certificate (trust on first use), log in, and turn network and
TLS failures into our errors (datacenters/vsphere/errors.py).

Plain Python (no Django), so web requests, workers and tests use it alike.
"""

from __future__ import annotations

import contextlib
import hashlib
import http.client
import logging
import socket
import ssl
import xml.etree.ElementTree as ElementTree
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime

from cryptography import x509
from cryptography.hazmat.primitives.serialization import Encoding
from pyVmomi import SoapStubAdapter, vim
from pyVmomi.VmomiSupport import GetServiceVersions, versionIdMap

from datacenters.vsphere.errors import (
    CertificateChanged,
    CertificateInvalid,
    LoginRefused,
    NotAVCenter,
    Unreachable,
    VSphereError,
    WrongServer,
)

logger = logging.getLogger(__name__)


# ---------------------------------------------------------------------------------------------
# Certificates: trust on first use


@dataclass(frozen=True)
class ServerCertificate:
    pem: str
    thumbprint: str  # SHA-256 of the DER bytes, "AB:CD:…"
    subject: str  # RFC 4514
    issuer: str
    valid_from: datetime  # UTC
    valid_to: datetime

    @classmethod
    def from_der(cls, der: bytes) -> ServerCertificate:
        certificate = x509.load_der_x509_certificate(der)
        return cls(
            pem=certificate.public_bytes(Encoding.PEM).decode("ascii"),
            thumbprint=_thumbprint(der),
            subject=certificate.subject.rfc4514_string(),
            issuer=certificate.issuer.rfc4514_string(),
            valid_from=certificate.not_valid_before_utc,
            valid_to=certificate.not_valid_after_utc,
        )

    @classmethod
    def from_pem(cls, pem: str) -> ServerCertificate:
        return cls.from_der(x509.load_pem_x509_certificate(pem.encode("ascii")).public_bytes(Encoding.DER))

    def to_dict(self) -> dict[str, str]:
        return {
            "thumbprint": self.thumbprint,
            "subject": self.subject,
            "issuer": self.issuer,
            "validFrom": self.valid_from.isoformat(),
            "validTo": self.valid_to.isoformat(),
        }


def _thumbprint(der: bytes) -> str:
    digest = hashlib.sha256(der).hexdigest().upper()
    return ":".join(digest[i : i + 2] for i in range(0, len(digest), 2))


def certificate_probe(*, fqdn: str, port: int = 443, timeout: float = 10) -> ServerCertificate:
    """The certificate the server presents, read without verifying it (the user decides to trust it)."""
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    context.check_hostname = False
    context.verify_mode = ssl.CERT_NONE
    with errors_translated(fqdn=fqdn, port=port):
        with socket.create_connection((fqdn, port), timeout=timeout) as sock:
            with context.wrap_socket(sock, server_hostname=fqdn) as tls:
                der = tls.getpeercert(binary_form=True)
    if not der:
        raise CertificateInvalid(f"{fqdn}:{port} presented no certificate")
    return ServerCertificate.from_der(der)


def pinned_context(*, certificate_pem: str) -> ssl.SSLContext:
    """Trust exactly the accepted certificate, even a leaf whose issuer (VMCA) we never saw.

    The NSX-T, vRealize Operations and appliance clients (datacenters/pinned_http.py) pin the same way.
    """
    try:
        context = ssl.create_default_context(cadata=certificate_pem)
    except (ssl.SSLError, ValueError) as exc:
        raise CertificateInvalid("the accepted certificate is not a valid PEM certificate") from exc
    context.verify_flags |= ssl.VERIFY_X509_PARTIAL_CHAIN
    # Strict RFC 5280 checks (default from Python 3.13) reject common vCenter self-signed
    # certificates (no authority key identifier); they add nothing when we pin the exact certificate.
    context.verify_flags &= ~ssl.VERIFY_X509_STRICT
    # The accepted certificate itself is the identity; vCenters are often reached by IP or alias.
    context.check_hostname = False
    return context


# ---------------------------------------------------------------------------------------------
# Connecting


@contextlib.contextmanager
def connect(
    *,
    fqdn: str,
    port: int = 443,
    username: str,
    password: str,
    certificate_pem: str,
    timeout: float = 30,
) -> Iterator[vim.ServiceInstance]:
    """A logged-in ServiceInstance of the vCenter at fqdn:port, trusting only `certificate_pem`."""
    context = pinned_context(certificate_pem=certificate_pem)
    with errors_translated(fqdn=fqdn, port=port, certificate_pem=certificate_pem):
        version = _api_version_choose(fqdn=fqdn, port=port, context=context, timeout=timeout)
        stub = SoapStubAdapter(host=fqdn, port=port, version=version, sslContext=context, httpConnectionTimeout=timeout)
        service_instance = vim.ServiceInstance("ServiceInstance", stub)
        try:
            _login(service_instance, fqdn=fqdn, port=port, username=username, password=password)
        except BaseException:
            stub.DropConnections()
            raise
    logger.debug("connected to %s:%s as %s (API %s)", fqdn, port, username, versionIdMap[version])
    try:
        with errors_translated(fqdn=fqdn, port=port, certificate_pem=certificate_pem):
            yield service_instance
    finally:
        _logout(service_instance, fqdn=fqdn, port=port)


def _api_version_choose(*, fqdn: str, port: int, context: ssl.SSLContext, timeout: float) -> str:
    """The newest API version both pyVmomi and the server speak (what SmartConnect does, with a timeout)."""
    connection = http.client.HTTPSConnection(fqdn, port, context=context, timeout=timeout)
    try:
        connection.request("GET", "/sdk/vimServiceVersions.xml")
        response = connection.getresponse()
        body = response.read(1 << 20)
    finally:
        connection.close()
    if response.status != 200:
        raise NotAVCenter(
            f"{fqdn}:{port} does not offer the vSphere API (/sdk answered {response.status} "
            f"{response.reason}); check that this is the address of a vCenter Server"
        )
    offered = _api_versions_offered(body)
    for version in GetServiceVersions("vim25"):
        if versionIdMap[version] in offered:
            return version
    raise NotAVCenter(
        f"{fqdn}:{port} offers vSphere API versions {', '.join(sorted(offered)) or 'none'}, "
        "none of which this product speaks"
    )


def _api_versions_offered(body: bytes) -> set[str]:
    try:
        root = ElementTree.fromstring(body)
    except ElementTree.ParseError:
        return set()
    offered = set()
    for namespace in root.iter("namespace"):
        if namespace.findtext("name") == "urn:vim25":
            offered.add(namespace.findtext("version") or "")
            offered.update(v.text or "" for v in namespace.iterfind("priorVersions/version"))
    return offered - {""}


def _login(service_instance: vim.ServiceInstance, *, fqdn: str, port: int, username: str, password: str) -> None:
    content = service_instance.RetrieveContent()
    about = content.about
    if about.apiType != "VirtualCenter":
        kind = "an ESXi host" if about.apiType == "HostAgent" else f"a {about.apiType} endpoint"
        raise NotAVCenter(
            f"{fqdn}:{port} is {about.fullName}, {kind}, not a vCenter Server; "
            "register the vCenter Server that manages it"
        )
    try:
        assert content.sessionManager is not None  # optional in the API, there on every vCenter
        content.sessionManager.Login(username, password, None)
    except vim.fault.InvalidLogin:
        # `from None`: nothing of the refused login request travels with the error.
        raise LoginRefused(f"login refused for {username}: the user name or password is wrong") from None


def _logout(service_instance: vim.ServiceInstance, *, fqdn: str, port: int) -> None:
    try:
        service_instance.RetrieveContent().sessionManager.Logout()  # type: ignore[union-attr]  # any failure is logged
    except Exception as exc:  # the session may be gone already; nothing to clean up then
        logger.debug("logout from %s:%s failed: %s", fqdn, port, exc)
    finally:
        service_instance._stub.DropConnections()


@contextlib.contextmanager
def errors_translated(
    *, fqdn: str, port: int, certificate_pem: str | None = None, product: str = "vCenter Server"
) -> Iterator[None]:
    """Network and TLS failures → our errors, phrased for the person who runs the server (`product`)."""
    where = f"{fqdn}:{port}"
    try:
        yield
    except ssl.SSLCertVerificationError as exc:
        if certificate_pem is None:
            raise CertificateInvalid(f"the certificate of {where} cannot be checked: {exc.verify_message}") from exc
        raise _verification_failure(fqdn=fqdn, port=port, certificate_pem=certificate_pem, error=exc) from exc
    except ssl.SSLError as exc:
        if exc.reason in ("WRONG_VERSION_NUMBER", "RECORD_LAYER_FAILURE"):  # a plain-HTTP answer
            message = f"{where} does not speak HTTPS; check the address and port of the {product}"
            raise (NotAVCenter if product == "vCenter Server" else WrongServer)(message) from exc
        raise CertificateInvalid(f"the TLS handshake with {where} failed: {exc.reason or exc}") from exc
    except socket.gaierror as exc:
        raise Unreachable(f"cannot connect to {where}: name does not resolve") from exc
    except ConnectionRefusedError as exc:
        raise Unreachable(f"cannot connect to {where}: connection refused") from exc
    except TimeoutError as exc:
        raise Unreachable(f"cannot connect to {where}: timed out") from exc
    except ConnectionResetError as exc:  # includes http.client.RemoteDisconnected
        raise Unreachable(f"cannot connect to {where}: the server closed the connection") from exc
    except OSError as exc:
        raise Unreachable(f"cannot connect to {where}: {exc.strerror or exc}") from exc
    except http.client.HTTPException as exc:  # e.g. "503 Service Unavailable" while the server restarts
        raise VSphereError(f"{where} answered with an error: {exc}") from exc


def _verification_failure(
    *, fqdn: str, port: int, certificate_pem: str, error: ssl.SSLCertVerificationError
) -> VSphereError:
    """Say whether the server now presents another certificate, or the accepted one is unusable."""
    presented = certificate_probe(fqdn=fqdn, port=port)
    accepted = ServerCertificate.from_pem(certificate_pem)
    if presented.thumbprint != accepted.thumbprint:
        return CertificateChanged(
            f"the certificate presented by {fqdn}:{port} has changed: it now presents SHA-256 "
            f"{presented.thumbprint}, not the accepted {accepted.thumbprint}; "
            "accept the new certificate to continue",
            certificate=presented,
            accepted_thumbprint=accepted.thumbprint,
        )
    return CertificateInvalid(
        f"the accepted certificate of {fqdn}:{port} (SHA-256 {accepted.thumbprint}) "
        f"cannot be used: {error.verify_message}"
    )

"""Importing an OVF or OVA into vCenter: the package's files, the import spec, the lease, and the upload.

The same flow govc, Ansible and Terraform use: CreateImportSpec → ImportVApp → lease → stream every file
straight out of the package to its device URL → HttpNfcLeaseProgress → HttpNfcLeaseComplete, and on any
failure HttpNfcLeaseAbort and removal of the half-made VM.
"""

from __future__ import annotations

import ssl
import tarfile
import threading
import time
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit, urlunsplit

import requests
from pyVmomi import vim, vmodl

from datacenters.pinned_http import PinnedAdapter, error_cause
from datacenters.vsphere.connection import errors_translated, pinned_context
from datacenters.vsphere.errors import VSphereError, fault_text
from datacenters.vsphere.placement import Placement
from datacenters.vsphere.vms import vm_destroy, vm_read
from datacenters.vsphere.waits import watch
from lifecycle.waits import wait_until

CHUNK = 1 << 20  # bytes per read and send while streaming a file
LEASE_PROGRESS_EVERY = 5.0  # seconds between HttpNfcLeaseProgress calls (vCenter times a silent lease out)


class ImportFailed(VSphereError):
    """vCenter refused the import spec, the lease, or an upload."""


@dataclass(frozen=True)
class PackageFile:
    """One file of an OVA (a byte range of the tar) or of an OVF folder (a whole file)."""

    name: str
    path: Path
    offset: int
    size: int

    def chunks(self, chunk: int = CHUNK) -> Iterator[bytes]:
        with open(self.path, "rb") as stream:
            stream.seek(self.offset)
            left = self.size
            while left > 0:
                block = stream.read(min(chunk, left))
                if not block:
                    raise ImportFailed(
                        f"{self.path.name} ended early: {self.name} is cut short "
                        f"({self.size - left} of {self.size} bytes)"
                    )
                left -= len(block)
                yield block


def package_files(path: Path, *, kind: str, files: Sequence[str] = ()) -> dict[str, PackageFile]:
    """Name → PackageFile for every file of the package: an OVA's members (read from the tar headers
    only, never the data), or the files beside an OVF descriptor (``files``, relative to its folder)."""
    if kind == "OVA":
        found: dict[str, PackageFile] = {}
        with tarfile.open(path, "r:") as tar:
            for member in tar:
                if member.isfile():
                    name = member.name.lstrip("./") if member.name.startswith("./") else member.name
                    found.setdefault(name, PackageFile(name, path, member.offset_data, member.size))
        return found
    folder = path.parent
    return {name: PackageFile(name, folder / name, 0, (folder / name).stat().st_size) for name in files}


@dataclass
class ImportSpec:
    spec: Any  # vim.ImportSpec
    file_items: list[Any]
    warnings: list[str]


def import_spec_create(
    si: vim.ServiceInstance,
    *,
    descriptor: str,
    placement: Placement,
    entity_name: str,
    deployment_option: str = "",
    network_mapping: dict[str, str],
    properties: dict[str, str],
    disk_provisioning: str = "thin",
) -> ImportSpec:
    """OvfManager.CreateImportSpec with the given mapping; raises ImportFailed on its errors."""
    content = si.RetrieveContent()
    params = vim.OvfManager.CreateImportSpecParams(
        entityName=entity_name,
        deploymentOption=deployment_option or "",
        diskProvisioning=disk_provisioning,
        networkMapping=[
            vim.OvfManager.NetworkMapping(name=ovf_name, network=placement.networks[port_group])
            for ovf_name, port_group in network_mapping.items()
        ],
        propertyMapping=[vim.KeyValue(key=key, value=value) for key, value in properties.items()],
    )
    if placement.host is not None:
        params.hostSystem = placement.host
    assert content.ovfManager is not None  # optional in the API, there on every vCenter
    result = content.ovfManager.CreateImportSpec(descriptor, placement.pool, placement.datastore, params)
    errors = [fault_text(e) for e in (result.error or [])]
    if errors:
        raise ImportFailed("vCenter refused the import spec: " + "; ".join(errors))
    return ImportSpec(
        spec=result.importSpec,
        file_items=list(result.fileItem or []),
        warnings=[fault_text(w) for w in (result.warning or [])],
    )


@dataclass
class Upload:
    """Progress of an import's uploads, reported to `report` at most every `every` seconds."""

    total: int
    report: Callable[[Upload], None]
    every: float = 1.0
    done: int = 0
    started: float = field(default_factory=time.monotonic)
    _last: float = 0.0

    def add(self, n: int) -> None:
        self.done += n
        now = time.monotonic()
        if now - self._last >= self.every or self.done >= self.total:
            self._last = now
            self.report(self)

    @property
    def percent(self) -> float:
        return 100.0 * self.done / self.total if self.total else 100.0

    @property
    def rate(self) -> float:
        """Bytes per second so far."""
        elapsed = time.monotonic() - self.started
        return self.done / elapsed if elapsed > 0 else 0.0

    @property
    def eta(self) -> float | None:
        rate = self.rate
        return (self.total - self.done) / rate if rate > 0 else None


class _Body:
    """A request body that streams one PackageFile in CHUNK blocks (requests sends an iterable with a
    length as a plain Content-Length body) and stops at a safe point when `check` raises."""

    def __init__(self, item: PackageFile, upload: Upload, check: Callable[[], None]):
        self.item, self.upload, self.check = item, upload, check

    def __len__(self) -> int:
        return self.item.size

    def __iter__(self) -> Iterator[bytes]:
        for block in self.item.chunks():
            self.check()
            yield block
            self.upload.add(len(block))


@dataclass
class Imported:
    moref: str
    instance_uuid: str
    bytes_sent: int
    seconds: float


def ovf_import(
    si: vim.ServiceInstance,
    *,
    connected_to: tuple[str, int],
    certificate_pem: str,
    spec: ImportSpec,
    placement: Placement,
    files: dict[str, PackageFile],
    on_created: Callable[[str, str], None],
    report: Callable[[Upload], None],
    check: Callable[[], None],
    log: Callable[[str], None],
) -> Imported:
    """ImportVApp, stream every file item to its device URL, complete the lease.

    `on_created(moref, instance_uuid)` is called as soon as the VM exists, so that a caller can record it
    before any upload (a worker killed mid-upload leaves a VM a restart can find by its UUID). On any
    failure — including `check` raising to cancel — the lease is aborted and the VM destroyed, then the
    error is raised again.
    """
    items = []
    for item in spec.file_items:
        source = files.get(item.path)
        if source is None:
            raise ImportFailed(f"the package has no file {item.path}, which the descriptor needs")
        items.append((item, source))
    upload = Upload(total=sum(source.size for _, source in items), report=report)
    started = time.monotonic()
    lease = placement.pool.ImportVApp(spec.spec, placement.folder, placement.host)
    vm = None
    keeper = None
    try:
        info = _lease_wait_ready(lease, check)
        vm = info.entity
        uuid = _vm_instance_uuid(si, vm)
        on_created(vm._moId, uuid)
        log(
            f"vCenter created VM {vm._moId} (instance UUID {uuid}); uploading {len(items)} file(s), "
            f"{_size(upload.total)}"
        )
        keeper = _LeaseKeeper(lease, upload)
        keeper.start()
        session = _upload_session(si, connected_to=connected_to, certificate_pem=certificate_pem)
        try:
            for item, source in items:
                url = _device_url(info, item.deviceId, connected_to)
                _upload_one(session, url, item, source, upload, check, connected_to)
        finally:
            session.close()
        keeper.stop()
        lease.HttpNfcLeaseProgress(100)
        lease.HttpNfcLeaseComplete()
        return Imported(moref=vm._moId, instance_uuid=uuid, bytes_sent=upload.done, seconds=time.monotonic() - started)
    except BaseException as failure:
        if keeper is not None:
            keeper.stop()
        _import_undo(si, lease, vm, failure, log)
        raise


def _lease_wait_ready(lease, check: Callable[[], None], timeout: float = 300) -> Any:
    """The lease's info once vCenter reports it ready (often at once; a real vCenter may take seconds)."""
    with watch(lease, names={"state": "state", "error": "error"}) as current:

        def ready() -> str | None:
            state = current.values.get("state")
            if state == vim.HttpNfcLease.State.ready:
                return None
            if state == vim.HttpNfcLease.State.error:
                raise ImportFailed(f"vCenter could not start the import: {fault_text(current.values.get('error'))}")
            if state == vim.HttpNfcLease.State.done:
                raise ImportFailed("the import lease ended before the upload started")
            return f"the import lease is {state or 'not readable'}"

        wait_until(
            ready,
            what="the import lease",
            timeout=timeout,
            pause=current.pause,
            check=check,
            gave_up=lambda _: ImportFailed(f"the import lease was not ready after {timeout:.0f} s"),
        )
    return lease.info


def _vm_instance_uuid(si: vim.ServiceInstance, vm: vim.VirtualMachine) -> str:
    return vm_read(si, vm._moId)["instanceUuid"]


class _LeaseKeeper(threading.Thread):
    """Tells vCenter how far the upload is every few seconds, or it times the lease out."""

    def __init__(self, lease, upload: Upload):
        super().__init__(name="lease-progress", daemon=True)
        self.lease, self.upload = lease, upload
        self.stopped = threading.Event()

    def run(self) -> None:
        while not self.stopped.wait(LEASE_PROGRESS_EVERY):
            try:
                self.lease.HttpNfcLeaseProgress(min(99, int(self.upload.percent)))
            except Exception:  # the upload itself reports the failure that matters
                return

    def stop(self) -> None:
        self.stopped.set()
        if self.is_alive() and threading.current_thread() is not self:
            self.join(timeout=LEASE_PROGRESS_EVERY + 5)


def _device_url(info, device_id: str, connected_to: tuple[str, int]) -> str:
    for device in info.deviceUrl:
        if device.importKey == device_id:
            host, port = connected_to
            return device.url.replace("*", f"{host}:{port}" if port != 443 else host)
    raise ImportFailed(f"the import lease offers no upload URL for {device_id}")


def _upload_session(
    si: vim.ServiceInstance, *, connected_to: tuple[str, int], certificate_pem: str
) -> requests.Session:
    """requests to vCenter trusting only its accepted certificate, with the session's cookie."""
    session = requests.Session()
    session.trust_env = False
    session.mount("https://", PinnedAdapter(pinned_context(certificate_pem=certificate_pem)))
    cookie = si._stub.cookie  # "vmware_soap_session=\"…\"; Path=/; …"
    if cookie:
        session.headers["Cookie"] = cookie.split(";")[0]
    return session


class _ThumbprintAdapter(requests.adapters.HTTPAdapter):
    """For an upload URL on an ESXi host: trust the certificate whose SHA-1 thumbprint the lease gave, and
    nothing else (no CA bundle, no host name: the fingerprint is the whole check, as govc does)."""

    def __init__(self, thumbprint: str, **kwargs):
        self._fingerprint = thumbprint
        context = ssl.create_default_context()
        context.check_hostname = False
        context.verify_mode = ssl.CERT_NONE  # the fingerprint below is the check
        self._context = context
        super().__init__(**kwargs)

    def init_poolmanager(self, *args, **kwargs):
        kwargs.update(ssl_context=self._context, assert_fingerprint=self._fingerprint, cert_reqs="CERT_NONE")
        super().init_poolmanager(*args, **kwargs)

    def build_connection_pool_key_attributes(self, request, verify, cert=None):
        host_params, pool_kwargs = super().build_connection_pool_key_attributes(request, False, cert)
        # urllib3's pools take these TLS keywords; the stubs of requests list only the key's usual ones.
        pool_kwargs.update(ssl_context=self._context, assert_fingerprint=self._fingerprint, cert_reqs="CERT_NONE")  # type: ignore[call-arg]
        return host_params, pool_kwargs

    def cert_verify(self, conn, url, verify, cert) -> None:
        conn.cert_reqs = "CERT_NONE"
        conn.ca_certs = None
        conn.assert_fingerprint = self._fingerprint


def _upload_one(
    session: requests.Session,
    url: str,
    item,
    source: PackageFile,
    upload: Upload,
    check: Callable[[], None],
    connected_to: tuple[str, int],
) -> None:
    target = urlsplit(url)
    if (target.hostname, target.port or 443) != (connected_to[0], connected_to[1]) and getattr(
        item, "sslThumbprint", None
    ):
        session.mount(urlunsplit((target.scheme, target.netloc, "/", "", "")), _ThumbprintAdapter(item.sslThumbprint))
    method = "PUT" if item.create else "POST"
    content_type = "application/x-vnd.vmware-streamVmdk" if not item.create else "application/octet-stream"
    where = (target.hostname or "", target.port or 443)
    before = upload.done
    with errors_translated(fqdn=where[0], port=where[1], product="vCenter Server"):
        try:
            response = session.request(
                method,
                url,
                data=_Body(source, upload, check),
                headers={"Content-Type": content_type, "Overwrite": "t"},
                timeout=(30, 300),
            )
        except requests.RequestException as exc:
            if isinstance(exc, requests.exceptions.SSLError) and "fingerprint" in str(exc).lower():
                raise ImportFailed(
                    f"{where[0]}:{where[1]} presents a certificate other than the one vCenter named "
                    f"for this upload (SHA-1 {item.sslThumbprint}); nothing was sent to it"
                ) from None
            cause = error_cause(exc)
            sent = upload.done - before
            if sent and isinstance(cause, OSError):  # connected, then the connection broke off
                raise ImportFailed(
                    f"the upload of {item.path} to {where[0]}:{where[1]} broke off after "
                    f"{_size(sent)} of {_size(source.size)}: {_error_text(cause)}"
                ) from None
            raise cause from None
    if response.status_code >= 300:
        raise ImportFailed(
            f"uploading {item.path} failed: {target.hostname} answered {response.status_code} "
            f"{response.reason} {response.text[:200]}".strip()
        )


def _import_undo(si, lease, vm, failure: BaseException, log: Callable[[str], None]) -> None:
    """Abort the lease and destroy the half-made VM; say what could not be undone.

    Each call is tried twice: after a cut connection the first call meets the dead pooled connection,
    and pyVmomi opens a new one for the next.
    """
    for attempt in (1, 2):
        try:
            lease.HttpNfcLeaseAbort(vmodl.fault.SystemError(reason=f"upload stopped: {type(failure).__name__}"))
            log("aborted the import lease")
            break
        except (OSError, ConnectionError) as exc:
            if attempt == 2:
                log(f"could not abort the import lease: {_error_text(exc)}")
        except Exception as exc:
            log(f"could not abort the import lease: {_error_text(exc)}")
            break
    if vm is None:
        return
    try:
        vm_destroy(si, moref=vm._moId)
        log(f"removed the half-made VM {vm._moId}")
    except Exception as exc:
        log(f"could not remove the half-made VM {vm._moId}: {_error_text(exc)}; a restart removes it first")


def _error_text(exc: BaseException) -> str:
    text = getattr(exc, "message", None) or getattr(exc, "msg", None)
    if text:
        return text
    if isinstance(exc, OSError) and exc.strerror:
        return exc.strerror
    known: dict[type[BaseException], str] = {
        ssl.SSLEOFError: "the connection was closed",
        ConnectionResetError: "the connection was reset",
    }
    return known.get(type(exc), f"{type(exc).__name__}: {exc}")


def _size(n: int) -> str:
    return f"{n / (1 << 20):.1f} MiB"

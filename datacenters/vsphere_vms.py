"""vSphere's virtual machines: place, import an OVF, start, watch the guest, and destroy.

The same flow govc, Ansible and Terraform use (REFERENCE §7): CreateImportSpec → ImportVApp → lease →
stream every file straight out of the package to its device URL → HttpNfcLeaseProgress →
HttpNfcLeaseComplete, and on any failure HttpNfcLeaseAbort and removal of the half-made VM.

Plain Python (no Django), like vsphere.py, whose connection and errors it shares. Reads go through the
PropertyCollector; a VM is identified by its instance UUID, never by its name alone.
"""
from __future__ import annotations

import ssl
import tarfile
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit, urlunsplit

import requests
from pyVmomi import vim, vmodl

from datacenters.rest import PinnedAdapter, error_cause
from datacenters.vsphere import PropertyCollector, VSphereError, errors_translated, pinned_context

CHUNK = 1 << 20  # bytes per read and send while streaming a file
LEASE_PROGRESS_EVERY = 5.0  # seconds between HttpNfcLeaseProgress calls (vCenter times a silent lease out)


class PlacementMissing(VSphereError):
    """A datacenter, cluster, pool, folder, host, datastore or network named in the definition is not there."""


class ImportFailed(VSphereError):
    """vCenter refused the import spec, the lease, or an upload."""


class VmTaskFailed(VSphereError):
    """A vCenter task (power on, reconfigure, destroy …) ended in error."""


# --- finding things -------------------------------------------------------------------------------


def _properties(si: vim.ServiceInstance, obj_type: type, paths: list[str], *, root=None) -> list[dict[str, Any]]:
    """[{"obj": managed object, path: value …}] for every object of a type under root, in one round trip."""
    content = si.RetrieveContent()
    view = content.viewManager.CreateContainerView(root or content.rootFolder, [obj_type], True)
    try:
        spec = PropertyCollector.FilterSpec(
            objectSet=[PropertyCollector.ObjectSpec(
                obj=view, skip=True,
                selectSet=[PropertyCollector.TraversalSpec(name="view", path="view", skip=False, type=vim.view.ContainerView)],
            )],
            propSet=[PropertyCollector.PropertySpec(type=obj_type, pathSet=paths)],
        )
        result = content.propertyCollector.RetrieveProperties([spec])
    finally:
        view.Destroy()
    rows = []
    for item in result:
        row = {"obj": item.obj}
        row.update({prop.name: prop.val for prop in item.propSet})
        rows.append(row)
    return rows


@dataclass
class Placement:
    """Where a VM goes, as managed objects."""

    datacenter: vim.Datacenter
    pool: vim.ResourcePool
    folder: vim.Folder
    datastore: vim.Datastore
    host: vim.HostSystem | None = None
    cluster: vim.ClusterComputeResource | None = None
    networks: dict[str, vim.Network] = field(default_factory=dict)  # port group name → network


def placement_resolve(
    si: vim.ServiceInstance, *, datacenter: str, cluster: str | None = None, resource_pool: str | None = None,
    folder: str | None = None, datastore: str, host: str | None = None, networks: list[str] = (),
) -> Placement:
    """Find the named objects (names as discovered: a pool or folder may be a path "a/b"). Raises
    PlacementMissing naming the first missing one and what exists instead.

    Every kind of object is read in one PropertyCollector round trip, however many there are."""
    dcs = _properties(si, vim.Datacenter, ["name", "hostFolder", "vmFolder", "datastore", "network"])
    dc_row = next((r for r in dcs if r["name"] == datacenter), None)
    if dc_row is None:
        names = sorted(r["name"] for r in dcs)
        raise PlacementMissing(f"datacenter '{datacenter}' does not exist in vCenter (it has: {', '.join(names) or 'none'})")
    compute = _properties(si, vim.ComputeResource, ["name", "resourcePool", "host"], root=dc_row["hostFolder"])
    cluster_obj = root_pool = None
    if cluster:
        row = next((r for r in compute if r["name"] == cluster), None)
        if row is None:
            raise PlacementMissing(f"cluster '{cluster}' does not exist in datacenter {datacenter} "
                                   f"(it has: {', '.join(r['name'] for r in compute) or 'none'})")
        cluster_obj, root_pool = row["obj"], row["resourcePool"]
    host_obj = None
    if host:
        host_rows = _properties(si, vim.HostSystem, ["name"], root=cluster_obj or dc_row["hostFolder"])
        host_obj = next((r["obj"] for r in host_rows if r["name"] == host), None)
        if host_obj is None:
            raise PlacementMissing(f"host '{host}' does not exist in {cluster or datacenter}")
        if root_pool is None:
            root_pool = next(r["resourcePool"] for r in compute if host_obj in (r.get("host") or []))
    if root_pool is None:
        raise PlacementMissing("a cluster or a host is needed to place the VM")
    pool = _child_by_path(si, vim.ResourcePool, root_pool, resource_pool, what="resource pool",
                          none_left="no child pools")
    folder_obj = _child_by_path(si, vim.Folder, dc_row["vmFolder"], folder, what="VM folder")
    named = _names(si, [*dc_row.get("datastore", []), *dc_row.get("network", [])])
    datastores = {named[ds]: ds for ds in dc_row.get("datastore", [])}
    ds = datastores.get(datastore)
    if ds is None:
        raise PlacementMissing(f"datastore '{datastore}' does not exist in datacenter {datacenter} "
                               f"(it has: {', '.join(sorted(datastores)) or 'none'})")
    found_networks = {named[net]: net for net in dc_row.get("network", [])}
    missing = [n for n in networks if n not in found_networks]
    if missing:
        raise PlacementMissing(f"port group '{missing[0]}' does not exist in datacenter {datacenter} "
                               f"(it has: {', '.join(sorted(found_networks)) or 'none'})")
    return Placement(datacenter=dc_row["obj"], pool=pool, folder=folder_obj, datastore=ds, host=host_obj,
                     cluster=cluster_obj, networks={n: found_networks[n] for n in networks})


def _names(si: vim.ServiceInstance, objects: list[Any]) -> dict[Any, str]:
    """The name of each managed object, in one round trip."""
    if not objects:
        return {}
    spec = PropertyCollector.FilterSpec(
        objectSet=[PropertyCollector.ObjectSpec(obj=obj, skip=False) for obj in objects],
        propSet=[PropertyCollector.PropertySpec(type=vim.ManagedEntity, pathSet=["name"])],
    )
    result = si.RetrieveContent().propertyCollector.RetrieveProperties([spec])
    return {item.obj: item.propSet[0].val for item in result}


def _child_by_path(si: vim.ServiceInstance, kind: type, root: Any, path: str | None, *, what: str,
                   none_left: str | None = None) -> Any:
    """Below `root` (the cluster's root pool, the datacenter's VM folder), the object at path "a/b"; the
    root itself for "" or its own name ("Resources", "vm"). Read in two round trips, however deep.
    `none_left`: say what the parent has when the part is missing (with this text when it has nothing)."""
    rows = _properties(si, kind, ["name", "parent"], root=root)
    root_name = _names(si, [root])[root]
    parts = [p for p in (path or "").split("/") if p]
    if parts and parts[0] == root_name:
        parts = parts[1:]
    current, current_name = root, root_name
    for part in parts:
        children = [r for r in rows if r.get("parent") == current]
        child = next((r for r in children if r["name"] == part), None)
        if child is None:
            listing = ""
            if none_left is not None:
                listing = f"; it has: {', '.join(sorted(r['name'] for r in children)) or none_left}"
            raise PlacementMissing(f"{what} '{path}' does not exist (no '{part}' under '{current_name}'{listing})")
        current, current_name = child["obj"], part
    return current


def vm_named_in_folder(si: vim.ServiceInstance, *, folder: vim.Folder, name: str) -> str | None:
    """The moref of a VM of that name directly in the folder, if there is one (one round trip)."""
    for row in _properties(si, vim.VirtualMachine, ["name", "parent"], root=folder):
        if row.get("name") == name and row.get("parent") == folder:
            return row["obj"]._moId
    return None


def datastore_free_bytes(ds: vim.Datastore) -> int:
    summary = ds.summary
    return int(summary.freeSpace or 0)


# --- the package's files --------------------------------------------------------------------------


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
                    raise ImportFailed(f"{self.path.name} ended early: {self.name} is cut short "
                                       f"({self.size - left} of {self.size} bytes)")
                left -= len(block)
                yield block


def package_files(path: Path, *, kind: str, files: list[str] = ()) -> dict[str, PackageFile]:
    """Name → PackageFile for every file of the package: an OVA's members (read from the tar headers
    only, never the data), or the files beside an OVF descriptor (``files``, relative to its folder)."""
    if kind == "OVA":
        found = {}
        with tarfile.open(path, "r:") as tar:
            for member in tar:
                if member.isfile():
                    name = member.name.lstrip("./") if member.name.startswith("./") else member.name
                    found.setdefault(name, PackageFile(name, path, member.offset_data, member.size))
        return found
    folder = path.parent
    return {name: PackageFile(name, folder / name, 0, (folder / name).stat().st_size) for name in files}


# --- importing ------------------------------------------------------------------------------------


@dataclass
class ImportSpec:
    spec: Any  # vim.ImportSpec
    file_items: list[Any]
    warnings: list[str]


def import_spec_create(
    si: vim.ServiceInstance, *, descriptor: str, placement: Placement, entity_name: str,
    deployment_option: str = "", network_mapping: dict[str, str], properties: dict[str, str],
    disk_provisioning: str = "thin",
) -> ImportSpec:
    """OvfManager.CreateImportSpec with the given mapping; raises ImportFailed on its errors."""
    content = si.RetrieveContent()
    params = vim.OvfManager.CreateImportSpecParams(
        entityName=entity_name,
        deploymentOption=deployment_option or "",
        diskProvisioning=disk_provisioning,
        networkMapping=[vim.OvfManager.NetworkMapping(name=ovf_name, network=placement.networks[port_group])
                        for ovf_name, port_group in network_mapping.items()],
        propertyMapping=[vim.KeyValue(key=key, value=value) for key, value in properties.items()],
    )
    if placement.host is not None:
        params.hostSystem = placement.host
    result = content.ovfManager.CreateImportSpec(descriptor, placement.pool, placement.datastore, params)
    errors = [_fault_text(e) for e in (result.error or [])]
    if errors:
        raise ImportFailed("vCenter refused the import spec: " + "; ".join(errors))
    return ImportSpec(spec=result.importSpec, file_items=list(result.fileItem or []),
                      warnings=[_fault_text(w) for w in (result.warning or [])])


def _fault_text(fault: Any) -> str:
    return getattr(fault, "msg", None) or getattr(fault, "localizedMessage", None) or type(fault).__name__


@dataclass
class Upload:
    """Progress of an import's uploads, reported to `report` at most every `every` seconds."""

    total: int
    report: Callable[["Upload"], None]
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
    si: vim.ServiceInstance, *, connected_to: tuple[str, int], certificate_pem: str, spec: ImportSpec,
    placement: Placement, files: dict[str, PackageFile], on_created: Callable[[str, str], None],
    report: Callable[[Upload], None], check: Callable[[], None], log: Callable[[str], None],
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
        log(f"vCenter created VM {vm._moId} (instance UUID {uuid}); uploading {len(items)} file(s), "
            f"{_size(upload.total)}")
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
    deadline = time.monotonic() + timeout
    pause = 0.02  # a lease is often ready at once; a real vCenter may take seconds (then poll calmly)
    while True:
        state = lease.state
        if state == vim.HttpNfcLease.State.ready:
            return lease.info
        if state == vim.HttpNfcLease.State.error:
            raise ImportFailed(f"vCenter could not start the import: {_fault_text(lease.error)}")
        if state == vim.HttpNfcLease.State.done:
            raise ImportFailed("the import lease ended before the upload started")
        if time.monotonic() > deadline:
            raise ImportFailed(f"the import lease was not ready after {timeout:.0f} s")
        check()
        time.sleep(pause)
        pause = min(pause * 2, 1.0)


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


def _upload_session(si: vim.ServiceInstance, *, connected_to: tuple[str, int], certificate_pem: str) -> requests.Session:
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
        pool_kwargs.update(ssl_context=self._context, assert_fingerprint=self._fingerprint, cert_reqs="CERT_NONE")
        return host_params, pool_kwargs

    def cert_verify(self, conn, url, verify, cert) -> None:
        conn.cert_reqs = "CERT_NONE"
        conn.ca_certs = None
        conn.assert_fingerprint = self._fingerprint


def _upload_one(session: requests.Session, url: str, item, source: PackageFile, upload: Upload,
                check: Callable[[], None], connected_to: tuple[str, int]) -> None:
    target = urlsplit(url)
    if (target.hostname, target.port or 443) != (connected_to[0], connected_to[1]) and getattr(item, "sslThumbprint", None):
        session.mount(urlunsplit((target.scheme, target.netloc, "/", "", "")), _ThumbprintAdapter(item.sslThumbprint))
    method = "PUT" if item.create else "POST"
    content_type = "application/x-vnd.vmware-streamVmdk" if not item.create else "application/octet-stream"
    where = (target.hostname or "", target.port or 443)
    before = upload.done
    with errors_translated(fqdn=where[0], port=where[1], product="vCenter Server"):
        try:
            response = session.request(method, url, data=_Body(source, upload, check),
                                       headers={"Content-Type": content_type, "Overwrite": "t"}, timeout=(30, 300))
        except requests.RequestException as exc:
            if isinstance(exc, requests.exceptions.SSLError) and "fingerprint" in str(exc).lower():
                raise ImportFailed(f"{where[0]}:{where[1]} presents a certificate other than the one vCenter named "
                                   f"for this upload (SHA-1 {item.sslThumbprint}); nothing was sent to it") from None
            cause = error_cause(exc)
            sent = upload.done - before
            if sent and isinstance(cause, OSError):  # connected, then the connection broke off
                raise ImportFailed(f"the upload of {item.path} to {where[0]}:{where[1]} broke off after "
                                   f"{_size(sent)} of {_size(source.size)}: {_error_text(cause)}") from None
            raise cause from None
    if response.status_code >= 300:
        raise ImportFailed(f"uploading {item.path} failed: {target.hostname} answered {response.status_code} "
                           f"{response.reason} {response.text[:200]}".strip())


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
    return {ssl.SSLEOFError: "the connection was closed", ConnectionResetError: "the connection was reset"}.get(
        type(exc), f"{type(exc).__name__}: {exc}")


def _size(n: int) -> str:
    return f"{n / (1 << 20):.1f} MiB"


# --- running VMs -----------------------------------------------------------------------------------


VM_PATHS = ["name", "config.instanceUuid", "runtime.powerState", "guest.toolsRunningStatus", "guest.ipAddress",
            "config.hardware.numCPU", "config.hardware.memoryMB", "parent", "resourcePool", "datastore"]


def vm_read(si: vim.ServiceInstance, moref: str) -> dict[str, Any]:
    """What we track of a VM, in one PropertyCollector round trip: name, instanceUuid, powerState,
    toolsRunningStatus, ipAddress, numCPU, memoryMB. Raises VmGone when it does not exist."""
    vm = vim.VirtualMachine(moref, si._stub)
    spec = PropertyCollector.FilterSpec(
        objectSet=[PropertyCollector.ObjectSpec(obj=vm, skip=False)],
        propSet=[PropertyCollector.PropertySpec(type=vim.VirtualMachine, pathSet=VM_PATHS)],
    )
    try:
        result = si.RetrieveContent().propertyCollector.RetrieveProperties([spec])
    except vmodl.fault.ManagedObjectNotFound:
        raise VmGone(f"VM {moref} no longer exists") from None
    if not result:
        raise VmGone(f"VM {moref} no longer exists")
    values = {prop.name: prop.val for prop in result[0].propSet}
    return {
        "moref": moref,
        "name": values.get("name"),
        "instanceUuid": values.get("config.instanceUuid") or "",
        "powerState": str(values.get("runtime.powerState") or ""),
        "toolsRunningStatus": values.get("guest.toolsRunningStatus") or "",
        "ipAddress": values.get("guest.ipAddress") or "",
        "numCPU": values.get("config.hardware.numCPU"),
        "memoryMB": values.get("config.hardware.memoryMB"),
        "folder": values["parent"]._moId if values.get("parent") else "",
        "pool": values["resourcePool"]._moId if values.get("resourcePool") else "",
        "datastores": [ds._moId for ds in values.get("datastore") or []],
    }


class VmGone(VSphereError):
    """The VM is not (or no longer) in vCenter."""


def vm_find_by_uuid(si: vim.ServiceInstance, instance_uuid: str) -> str | None:
    """The moref of the VM with this instance UUID (the identity we recorded), or None."""
    vm = si.RetrieveContent().searchIndex.FindByUuid(None, instance_uuid, True, True)
    return vm._moId if vm is not None else None


def task_wait(task: vim.Task, *, what: str, check: Callable[[], None] | None = None, timeout: float = 600) -> Any:
    deadline = time.monotonic() + timeout
    pause = 0.02  # short tasks end in milliseconds; long ones are polled at most once a second
    while True:
        info = task.info
        if info.state == vim.TaskInfo.State.success:
            return info.result
        if info.state == vim.TaskInfo.State.error:
            raise VmTaskFailed(f"{what} failed: {_fault_text(info.error)}")
        if time.monotonic() > deadline:
            raise VmTaskFailed(f"{what} did not finish in {timeout:.0f} s")
        if check:
            check()
        time.sleep(pause)
        pause = min(pause * 2, 1.0)


def vm_hardware_set(si: vim.ServiceInstance, *, moref: str, cpus: int | None, memory_mb: int | None) -> None:
    vm = vim.VirtualMachine(moref, si._stub)
    spec = vim.vm.ConfigSpec()
    if cpus:
        spec.numCPUs = cpus
    if memory_mb:
        spec.memoryMB = memory_mb
    task_wait(vm.ReconfigVM_Task(spec), what=f"changing CPU/memory of {moref}")


def vm_power_on(si: vim.ServiceInstance, *, moref: str) -> None:
    vm = vim.VirtualMachine(moref, si._stub)
    if vm_read(si, moref)["powerState"] != "poweredOn":
        task_wait(vm.PowerOnVM_Task(), what=f"powering on {moref}")


def vm_destroy(si: vim.ServiceInstance, *, moref: str) -> None:
    """Power off (hard) if needed, then destroy."""
    vm = vim.VirtualMachine(moref, si._stub)
    if vm_read(si, moref)["powerState"] == "poweredOn":
        task_wait(vm.PowerOffVM_Task(), what=f"powering off {moref}")
    task_wait(vm.Destroy_Task(), what=f"destroying {moref}")



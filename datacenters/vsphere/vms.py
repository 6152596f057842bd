"""vSphere's virtual machines once they exist: find one, read what we track of it, set its hardware, power
it on, watch its guest come up, and destroy it. A VM is identified by its instance UUID, never by its
name alone; reads go through the PropertyCollector.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from typing import Any

from pyVmomi import vim, vmodl

from datacenters.vsphere.errors import VSphereError
from datacenters.vsphere.inventory import PropertyCollector, objects_read
from datacenters.vsphere.waits import Watch, task_wait, watch


class VmGone(VSphereError):
    """The VM is not (or no longer) in vCenter."""


VM_PATHS = [
    "name",
    "config.instanceUuid",
    "runtime.powerState",
    "guest.toolsRunningStatus",
    "guest.ipAddress",
    "config.hardware.numCPU",
    "config.hardware.memoryMB",
    "parent",
    "resourcePool",
    "datastore",
]


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


def vm_named_in_folder(si: vim.ServiceInstance, *, folder: vim.Folder, name: str) -> str | None:
    """The moref of a VM of that name directly in the folder, if there is one (one round trip)."""
    for row in objects_read(si, vim.VirtualMachine, ["name", "parent"], root=folder):
        if row.get("name") == name and row.get("parent") == folder:
            return row["obj"]._moId
    return None


def vm_find_by_uuid(si: vim.ServiceInstance, instance_uuid: str) -> str | None:
    """The moref of the VM with this instance UUID (the identity we recorded), or None."""
    search = si.RetrieveContent().searchIndex
    assert search is not None  # optional in the API, there on every vCenter
    vm = search.FindByUuid(None, instance_uuid, True, True)
    return vm._moId if vm is not None else None


def vm_hardware_set(si: vim.ServiceInstance, *, moref: str, cpus: int | None, memory_mb: int | None) -> None:
    vm = vim.VirtualMachine(moref, si._stub)
    spec = vim.vm.ConfigSpec()
    if cpus:
        spec.numCPUs = cpus
    if memory_mb:
        spec.memoryMB = memory_mb  # type: ignore[assignment]  # pyVmomi types it as its own int subclass, long
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


# What vCenter reports of a guest coming up, and our names for it (those of vm_read).
GUEST = {
    "runtime.powerState": "powerState",
    "guest.toolsRunningStatus": "toolsRunningStatus",
    "guest.ipAddress": "ipAddress",
}


@contextlib.contextmanager
def vm_guest_watch(si: vim.ServiceInstance, *, moref: str) -> Iterator[Watch]:
    """The VM's powerState, toolsRunningStatus and ipAddress as vCenter reports them, kept up to date while
    a wait (lifecycle/waits.wait_until with the watch's pause) waits for the guest. Raises VmGone when the
    VM does not exist or is destroyed meanwhile."""
    with watch(
        vim.VirtualMachine(moref, si._stub), names=GUEST, gone=lambda: VmGone(f"VM {moref} no longer exists")
    ) as current:
        yield current

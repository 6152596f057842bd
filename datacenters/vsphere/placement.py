"""Where a VM goes: the datacenter, cluster or host, pool, folder, datastore and port groups named in a
definition, found as vCenter's managed objects (or PlacementMissing naming what is not there)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from pyVmomi import vim

from datacenters.vsphere.errors import VSphereError
from datacenters.vsphere.inventory import names_read, objects_read


class PlacementMissing(VSphereError):
    """A datacenter, cluster, pool, folder, host, datastore or network named in the definition is not there."""


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
    si: vim.ServiceInstance,
    *,
    datacenter: str,
    cluster: str | None = None,
    resource_pool: str | None = None,
    folder: str | None = None,
    datastore: str,
    host: str | None = None,
    networks: Sequence[str] = (),
) -> Placement:
    """Find the named objects (names as discovered: a pool or folder may be a path "a/b"). Raises
    PlacementMissing naming the first missing one and what exists instead.

    Every kind of object is read in one PropertyCollector round trip, however many there are."""
    dcs = objects_read(si, vim.Datacenter, ["name", "hostFolder", "vmFolder", "datastore", "network"])
    dc_row = next((r for r in dcs if r["name"] == datacenter), None)
    if dc_row is None:
        names = sorted(r["name"] for r in dcs)
        raise PlacementMissing(
            f"datacenter '{datacenter}' does not exist in vCenter (it has: {', '.join(names) or 'none'})"
        )
    compute = objects_read(si, vim.ComputeResource, ["name", "resourcePool", "host"], root=dc_row["hostFolder"])
    cluster_obj = root_pool = None
    if cluster:
        row = next((r for r in compute if r["name"] == cluster), None)
        if row is None:
            raise PlacementMissing(
                f"cluster '{cluster}' does not exist in datacenter {datacenter} "
                f"(it has: {', '.join(r['name'] for r in compute) or 'none'})"
            )
        cluster_obj, root_pool = row["obj"], row["resourcePool"]
    host_obj = None
    if host:
        host_rows = objects_read(si, vim.HostSystem, ["name"], root=cluster_obj or dc_row["hostFolder"])
        host_obj = next((r["obj"] for r in host_rows if r["name"] == host), None)
        if host_obj is None:
            raise PlacementMissing(f"host '{host}' does not exist in {cluster or datacenter}")
        if root_pool is None:
            root_pool = next(r["resourcePool"] for r in compute if host_obj in (r.get("host") or []))
    if root_pool is None:
        raise PlacementMissing("a cluster or a host is needed to place the VM")
    pool = _child_by_path(
        si, vim.ResourcePool, root_pool, resource_pool, what="resource pool", none_left="no child pools"
    )
    folder_obj = _child_by_path(si, vim.Folder, dc_row["vmFolder"], folder, what="VM folder")
    named = names_read(si, [*dc_row.get("datastore", []), *dc_row.get("network", [])])
    datastores = {named[ds]: ds for ds in dc_row.get("datastore", [])}
    ds = datastores.get(datastore)
    if ds is None:
        raise PlacementMissing(
            f"datastore '{datastore}' does not exist in datacenter {datacenter} "
            f"(it has: {', '.join(sorted(datastores)) or 'none'})"
        )
    found_networks = {named[net]: net for net in dc_row.get("network", [])}
    missing = [n for n in networks if n not in found_networks]
    if missing:
        raise PlacementMissing(
            f"port group '{missing[0]}' does not exist in datacenter {datacenter} "
            f"(it has: {', '.join(sorted(found_networks)) or 'none'})"
        )
    return Placement(
        datacenter=dc_row["obj"],
        pool=pool,
        folder=folder_obj,
        datastore=ds,
        host=host_obj,
        cluster=cluster_obj,
        networks={n: found_networks[n] for n in networks},
    )


def _child_by_path(
    si: vim.ServiceInstance, kind: type, root: Any, path: str | None, *, what: str, none_left: str | None = None
) -> Any:
    """Below `root` (the cluster's root pool, the datacenter's VM folder), the object at path "a/b"; the
    root itself for "" or its own name ("Resources", "vm"). Read in two round trips, however deep.
    `none_left`: say what the parent has when the part is missing (with this text when it has nothing)."""
    rows = objects_read(si, kind, ["name", "parent"], root=root)
    root_name = names_read(si, [root])[root]
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


def datastore_free_bytes(ds: vim.Datastore) -> int:
    summary = ds.summary
    return int(summary.freeSpace or 0)

"""Reading a vCenter's inventory: what it is (about), every place a VM can go (datacenters, clusters,
hosts, pools, datastores, networks, switches, VM folders) by path, and objects of a type under a root.

Everything is read through the PropertyCollector, in as few round trips as the question allows.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import unquote

from pyVmomi import vim, vmodl

PropertyCollector = vmodl.query.PropertyCollector


def about_read(service_instance: vim.ServiceInstance) -> dict[str, str | None]:
    about = service_instance.RetrieveContent().about
    names = ("fullName", "version", "build", "apiVersion", "apiType", "instanceUuid", "productLineId", "vendor")
    return {name: _text(getattr(about, name, None)) for name in names}


@dataclass(frozen=True)
class InventoryItem:
    kind: str  # datacenter, cluster, host, resource_pool, datastore, network, distributed_switch, folder
    moref: str  # e.g. "domain-c7"
    name: str
    parent: str | None  # moref of the nearest enclosing item in the same inventory
    datacenter: str | None  # name of its datacenter; None for datacenters
    path: str  # inventory path, e.g. "/DC0/host/DC0_C0/Resources"
    properties: dict[str, Any] = field(default_factory=dict, hash=False)

    def to_dict(self) -> dict[str, Any]:
        return {
            "kind": self.kind,
            "moref": self.moref,
            "name": self.name,
            "parent": self.parent,
            "datacenter": self.datacenter,
            "path": self.path,
            "properties": dict(self.properties),
        }


# What to read of each type. Subtypes match too (a cluster is a ComputeResource, a port group a
# Network); the collector merges the lists for an object matched twice.
_PROPERTIES: dict[type, list[str]] = {
    vim.Folder: ["name", "parent", "childType"],
    vim.Datacenter: ["name", "parent"],
    vim.ComputeResource: ["name", "parent", "host"],
    vim.ClusterComputeResource: ["summary"],
    vim.HostSystem: ["name", "parent", "runtime.connectionState", "runtime.powerState", "runtime.inMaintenanceMode"],
    vim.ResourcePool: ["name", "parent", "owner"],
    vim.Datastore: ["name", "parent", "summary"],
    vim.Network: ["name", "parent"],
    vim.dvs.DistributedVirtualPortgroup: ["config"],
    vim.OpaqueNetwork: ["summary"],
    vim.DistributedVirtualSwitch: ["name", "parent", "uuid", "summary.productInfo.version", "config.uplinkPortgroup"],
}


def inventory_read(service_instance: vim.ServiceInstance) -> list[InventoryItem]:
    """Datacenters, clusters, hosts, pools, datastores, networks, switches and VM folders, by path.

    One PropertyCollector query from the root folder (plus continuation pages on big inventories).
    """
    content = service_instance.RetrieveContent()
    objects = _objects_retrieve(content=content)
    return _items_build(objects=objects)


def _objects_retrieve(*, content: vim.ServiceInstanceContent) -> dict[str, dict[str, Any]]:
    """{moref: {"_object": managed object, property path: value}} for everything under the root."""
    filter_spec = PropertyCollector.FilterSpec(
        objectSet=[PropertyCollector.ObjectSpec(obj=content.rootFolder, skip=False, selectSet=_traversal())],
        propSet=[PropertyCollector.PropertySpec(type=t, pathSet=paths) for t, paths in _PROPERTIES.items()],
    )
    collector = content.propertyCollector
    result = collector.RetrievePropertiesEx(specSet=[filter_spec], options=PropertyCollector.RetrieveOptions())
    objects: dict[str, dict[str, Any]] = {}
    while result is not None:
        for content_object in result.objects:
            values = {prop.name: prop.val for prop in content_object.propSet}
            objects[content_object.obj._moId] = {"_object": content_object.obj, **values}
        result = collector.ContinueRetrievePropertiesEx(token=result.token) if result.token else None
    return objects


def _traversal() -> list[PropertyCollector.TraversalSpec]:
    """Folders → children; datacenters → their four folders; compute resources → hosts and pools."""
    select = PropertyCollector.SelectionSpec
    folder_children = [
        "folder_children",
        "datacenter_hosts",
        "datacenter_networks",
        "datacenter_datastores",
        "datacenter_vms",
        "compute_hosts",
        "compute_pools",
    ]

    def spec(name: str, type_: type, path: str, then: list[str]) -> PropertyCollector.TraversalSpec:
        return PropertyCollector.TraversalSpec(
            name=name, type=type_, path=path, skip=False, selectSet=[select(name=n) for n in then]
        )

    return [
        spec("folder_children", vim.Folder, "childEntity", folder_children),
        spec("datacenter_hosts", vim.Datacenter, "hostFolder", ["folder_children"]),
        spec("datacenter_networks", vim.Datacenter, "networkFolder", ["folder_children"]),
        spec("datacenter_datastores", vim.Datacenter, "datastoreFolder", ["folder_children"]),
        spec("datacenter_vms", vim.Datacenter, "vmFolder", ["folder_children"]),
        spec("compute_hosts", vim.ComputeResource, "host", []),
        spec("compute_pools", vim.ComputeResource, "resourcePool", ["pool_children"]),
        spec("pool_children", vim.ResourcePool, "resourcePool", ["pool_children"]),
    ]


def _kind(values: dict[str, Any]) -> str | None:
    """Our word for the object, or None for what we read only to build paths."""
    obj = values["_object"]
    kinds = [
        (vim.Datacenter, "datacenter"),
        (vim.ClusterComputeResource, "cluster"),
        (vim.HostSystem, "host"),
        (vim.VirtualApp, None),  # a vApp is a ResourcePool too, but not a place to deploy into
        (vim.ResourcePool, "resource_pool"),
        (vim.Datastore, "datastore"),
        (vim.Network, "network"),
        (vim.DistributedVirtualSwitch, "distributed_switch"),
    ]
    for type_, kind in kinds:
        if isinstance(obj, type_):
            return kind
    if isinstance(obj, vim.Folder) and "VirtualMachine" in (values.get("childType") or []):
        return "folder"
    return None  # other folders, a standalone host's compute resource, anything unexpected


def _items_build(*, objects: dict[str, dict[str, Any]]) -> list[InventoryItem]:
    kinds = {moref: _kind(values) for moref, values in objects.items()}
    # A standalone host's compute resource is not an item; its resource pool hangs off the host.
    stand_ins = {moref: host for moref in objects if (host := _standalone_host(moref=moref, objects=objects))}
    items = []
    for moref, values in objects.items():
        kind = kinds[moref]
        if kind is None:
            continue
        datacenter = _ancestor_datacenter(moref=moref, objects=objects)
        items.append(
            InventoryItem(
                kind=kind,
                moref=moref,
                name=unquote(values.get("name", "")),
                parent=_parent_item(moref=moref, objects=objects, kinds=kinds, stand_ins=stand_ins),
                datacenter=None if kind == "datacenter" else datacenter,
                path=_path(moref=moref, objects=objects),
                properties=_properties(kind=kind, values=values, objects=objects),
            )
        )
    return sorted(items, key=lambda item: (item.path, item.moref))


def _standalone_host(*, moref: str, objects: dict[str, dict[str, Any]]) -> str | None:
    """The host of a standalone host's compute resource; None for anything else."""
    values = objects[moref]
    if type(values["_object"]) is not vim.ComputeResource or not values.get("host"):
        return None
    return values["host"][0]._moId


def _parent_moref(values: dict[str, Any]) -> str | None:
    parent = values.get("parent")
    return parent._moId if parent is not None else None


def _ancestors(*, moref: str, objects: dict[str, dict[str, Any]]) -> Iterator[str]:
    seen = {moref}
    parent = _parent_moref(objects[moref])
    while parent in objects and parent not in seen:
        yield parent
        seen.add(parent)
        parent = _parent_moref(objects[parent])


def _parent_item(
    *, moref: str, objects: dict[str, dict[str, Any]], kinds: dict[str, str | None], stand_ins: dict[str, str]
) -> str | None:
    for ancestor in _ancestors(moref=moref, objects=objects):
        if stand_ins.get(ancestor, moref) != moref:
            return stand_ins[ancestor]
        if kinds.get(ancestor) is not None:
            return ancestor
    return None


def _ancestor_datacenter(*, moref: str, objects: dict[str, dict[str, Any]]) -> str | None:
    for ancestor in [moref, *_ancestors(moref=moref, objects=objects)]:
        if isinstance(objects[ancestor]["_object"], vim.Datacenter):
            return unquote(objects[ancestor].get("name", ""))
    return None


def _path(*, moref: str, objects: dict[str, dict[str, Any]]) -> str:
    """Names from below the root folder down; names stay escaped ("%2f") as inventory paths want."""
    chain = [moref, *_ancestors(moref=moref, objects=objects)]
    names = [objects[m].get("name", "") for m in reversed(chain) if _parent_moref(objects[m]) is not None]
    return "/" + "/".join(names)


def _properties(*, kind: str, values: dict[str, Any], objects: dict[str, dict[str, Any]]) -> dict[str, Any]:
    readers = {
        "cluster": _cluster_properties,
        "host": _host_properties,
        "resource_pool": _pool_properties,
        "datastore": _datastore_properties,
        "network": _network_properties,
        "distributed_switch": _switch_properties,
    }
    reader = readers.get(kind)
    return reader(values=values, objects=objects) if reader else {}


def _cluster_properties(*, values: dict[str, Any], objects: dict[str, dict[str, Any]]) -> dict[str, Any]:
    summary = values.get("summary")
    return {
        "numHosts": _int(getattr(summary, "numHosts", None)),
        "numEffectiveHosts": _int(getattr(summary, "numEffectiveHosts", None)),
        "totalCpu": _int(getattr(summary, "totalCpu", None)),  # MHz
        "totalMemory": _int(getattr(summary, "totalMemory", None)),  # bytes
    }


def _host_properties(*, values: dict[str, Any], objects: dict[str, dict[str, Any]]) -> dict[str, Any]:
    parent = objects.get(_parent_moref(values) or "", {})
    in_cluster = isinstance(parent.get("_object"), vim.ClusterComputeResource)
    return {
        "connectionState": _text(values.get("runtime.connectionState")),
        "powerState": _text(values.get("runtime.powerState")),
        "inMaintenanceMode": _bool(values.get("runtime.inMaintenanceMode")),
        "cluster": unquote(parent.get("name", "")) if in_cluster else None,
    }


def _pool_properties(*, values: dict[str, Any], objects: dict[str, dict[str, Any]]) -> dict[str, Any]:
    owner = values.get("owner")
    if owner is None or owner._moId not in objects:
        return {"ownerKind": None, "owner": None, "ownerMoref": None}
    if isinstance(owner, vim.ClusterComputeResource):
        kind, moref = "cluster", owner._moId
    else:
        kind, moref = "host", _standalone_host(moref=owner._moId, objects=objects) or owner._moId
    return {"ownerKind": kind, "owner": unquote(objects.get(moref, {}).get("name", "")), "ownerMoref": moref}


def _datastore_properties(*, values: dict[str, Any], objects: dict[str, dict[str, Any]]) -> dict[str, Any]:
    summary = values.get("summary")
    return {
        "capacity": _int(getattr(summary, "capacity", None)),  # bytes
        "freeSpace": _int(getattr(summary, "freeSpace", None)),
        "type": _text(getattr(summary, "type", None)),
        "accessible": _bool(getattr(summary, "accessible", None)),
        "url": _text(getattr(summary, "url", None)),
        "maintenanceMode": _text(getattr(summary, "maintenanceMode", None)),
    }


def _network_properties(*, values: dict[str, Any], objects: dict[str, dict[str, Any]]) -> dict[str, Any]:
    obj = values["_object"]
    if isinstance(obj, vim.dvs.DistributedVirtualPortgroup):
        return _portgroup_properties(values=values, objects=objects)
    if isinstance(obj, vim.OpaqueNetwork):
        summary = values.get("summary")
        return {
            "type": "OpaqueNetwork",
            "vlan": None,
            "opaqueNetworkType": _text(getattr(summary, "opaqueNetworkType", None)),
            "opaqueNetworkId": _text(getattr(summary, "opaqueNetworkId", None)),
        }
    # A standard port group's VLAN lives in each host's network configuration, not here.
    return {"type": "Network", "vlan": None}


def _portgroup_properties(*, values: dict[str, Any], objects: dict[str, dict[str, Any]]) -> dict[str, Any]:
    config = values.get("config")
    switch_ref = getattr(config, "distributedVirtualSwitch", None)
    switch = objects.get(switch_ref._moId, {}) if switch_ref is not None else {}
    uplinks = {ref._moId for ref in switch.get("config.uplinkPortgroup") or []}
    vlan = getattr(getattr(config, "defaultPortConfig", None), "vlan", None)
    properties: dict[str, Any] = {
        "type": "DistributedVirtualPortgroup",
        "switch": unquote(switch.get("name", "")) or None,
        "uplink": bool(getattr(config, "uplink", None)) or values["_object"]._moId in uplinks,
        "vlan": None,
    }
    if isinstance(vlan, vim.dvs.VmwareDistributedVirtualSwitch.VlanIdSpec):
        properties["vlan"] = _int(vlan.vlanId)
    elif isinstance(vlan, vim.dvs.VmwareDistributedVirtualSwitch.TrunkVlanSpec):
        properties["vlanTrunk"] = [f"{r.start}-{r.end}" for r in vlan.vlanId]
    elif isinstance(vlan, vim.dvs.VmwareDistributedVirtualSwitch.PvlanSpec):
        properties["pvlanId"] = _int(vlan.pvlanId)
    return properties


def _switch_properties(*, values: dict[str, Any], objects: dict[str, dict[str, Any]]) -> dict[str, Any]:
    return {"uuid": _text(values.get("uuid")), "version": _text(values.get("summary.productInfo.version"))}


def objects_read(si: vim.ServiceInstance, obj_type: type, paths: list[str], *, root=None) -> list[dict[str, Any]]:
    """[{"obj": managed object, path: value …}] for every object of a type under root, in one round trip."""
    content = si.RetrieveContent()
    assert content.viewManager is not None  # optional in the API, there on every vCenter
    view = content.viewManager.CreateContainerView(root or content.rootFolder, [obj_type], True)
    try:
        spec = PropertyCollector.FilterSpec(
            objectSet=[
                PropertyCollector.ObjectSpec(
                    obj=view,
                    skip=True,
                    selectSet=[
                        PropertyCollector.TraversalSpec(
                            name="view", path="view", skip=False, type=vim.view.ContainerView
                        )
                    ],
                )
            ],
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


def names_read(si: vim.ServiceInstance, objects: list[Any]) -> dict[Any, str]:
    """The name of each managed object, in one round trip."""
    if not objects:
        return {}
    spec = PropertyCollector.FilterSpec(
        objectSet=[PropertyCollector.ObjectSpec(obj=obj, skip=False) for obj in objects],
        propSet=[PropertyCollector.PropertySpec(type=vim.ManagedEntity, pathSet=["name"])],
    )
    result = si.RetrieveContent().propertyCollector.RetrieveProperties([spec])
    return {item.obj: item.propSet[0].val for item in result}


def _text(value: Any) -> str | None:
    return None if value is None else str(value)


def _int(value: Any) -> int | None:
    return None if value is None else int(value)


def _bool(value: Any) -> bool | None:
    return None if value is None else bool(value)

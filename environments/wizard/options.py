"""What the inventory and the repository offer the wizard's selects (the options endpoints answer them)."""

from __future__ import annotations

from collections.abc import Callable

from datacenters import selectors as datacenter_selectors
from datacenters.models import ComponentType, DatacenterComponent, InventoryKind, InventoryObject
from products.selectors import repository_versions
from products.types import product_type_get

# Options endpoints: kind → the field whose current value the answer keeps selected.
OPTION_FIELDS = {
    "versions": "version",
    "datacenters": "datacenterName",
    "clusters": "clusterName",
    "resource-pools": "resourcePool",
    "folders": "vmFolder",
    "datastores": "datastoreName",
    "networks": "networkName",
}


def vcenter_options() -> list[tuple[str, str]]:
    vcenters = DatacenterComponent.objects.filter(component_type=ComponentType.VCENTER).order_by("component_name")
    return [(c.component_name, f"{c.component_name} ({c.fqdn})") for c in vcenters]


def _by_name(objects, label: Callable[[InventoryObject], str] = lambda o: o.name) -> list[tuple[str, str]]:
    """Options named as the spec names them; an object whose name is not unique here goes by its path."""
    objects = list(objects)
    counts: dict[str, int] = {}
    for obj in objects:
        counts[obj.name] = counts.get(obj.name, 0) + 1
    return [(obj.name if counts[obj.name] == 1 else obj.path, label(obj)) for obj in objects]


def inventory_options(
    kind: str,
    *,
    vcenterName: str = "",
    datacenterName: str = "",  # noqa: N803 (API names)
    clusterName: str = "",
) -> list[tuple[str, str]]:
    """(value, label) of the inventory objects a placement select offers, read from the discovered inventory."""
    if not vcenterName:
        return []
    objects = InventoryObject.objects.filter(
        component__component_name=vcenterName, component__component_type=ComponentType.VCENTER
    ).order_by("path")
    if kind == "datacenters":
        return _by_name(objects.filter(kind=InventoryKind.DATACENTER))
    if not datacenterName:
        return []
    objects = objects.filter(datacenter=datacenterName)
    if kind == "clusters":
        return _by_name(objects.filter(kind=InventoryKind.CLUSTER))
    if kind == "resource-pools":
        cluster = (
            objects.filter(kind=InventoryKind.CLUSTER).filter(name=clusterName).first()
            or objects.filter(kind=InventoryKind.CLUSTER, path=clusterName).first()
        )
        if cluster is None:
            return []
        under = cluster.path + "/"
        return _by_name(
            objects.filter(kind=InventoryKind.RESOURCE_POOL, path__startswith=under), lambda o: o.path[len(under) :]
        )
    if kind == "folders":
        root = f"/{datacenterName}/"
        return _by_name(
            objects.filter(kind=InventoryKind.FOLDER),
            lambda o: o.path[len(root) :] if o.path.startswith(root) else o.path,
        )
    if kind == "datastores":

        def label(o):
            free = o.properties.get("freeSpace")
            return f"{o.name} ({free / 2**30:,.0f} GiB free)" if isinstance(free, (int, float)) else o.name

        return _by_name(objects.filter(kind=InventoryKind.DATASTORE), label)
    if kind == "networks":
        return _by_name(o for o in objects.filter(kind=InventoryKind.NETWORK) if not o.properties.get("uplink"))
    raise LookupError(kind)


def version_options(product_type: str) -> list[tuple[str, str]]:
    if not product_type_get(product_type or ""):
        return []
    return [(v, v) for v in repository_versions(product_type=product_type)]


def port_group_settings(vcenter_name: str, network_name: str) -> dict | None:
    if not vcenter_name or not network_name:
        return None
    return datacenter_selectors.port_group_settings(component_name=vcenter_name, port_group_name=network_name)

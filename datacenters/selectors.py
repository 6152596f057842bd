"""Reads of datacenter components, their inventory and the IPv4 settings of their port groups."""

from typing import Any

from django.db.models import Count, QuerySet

from datacenters.models import ComponentType, DatacenterComponent, InventoryKind, InventoryObject, PortGroupSettings
from lifecycle.errors import NotFound

# How inventory kinds appear in a component's `content` (the API's names).
CONTENT_KEYS: dict[str, str] = {
    InventoryKind.DATACENTER: "datacenters",
    InventoryKind.CLUSTER: "clusters",
    InventoryKind.HOST: "hosts",
    InventoryKind.RESOURCE_POOL: "resourcePools",
    InventoryKind.DATASTORE: "datastores",
    InventoryKind.NETWORK: "networks",
    InventoryKind.DISTRIBUTED_SWITCH: "distributedSwitches",
    InventoryKind.FOLDER: "folders",
}


def datacenter_list() -> QuerySet[DatacenterComponent]:
    return DatacenterComponent.objects.annotate(inventory_count=Count("inventory")).order_by("component_name")


def datacenter_get(*, component_name: str) -> DatacenterComponent:
    component = DatacenterComponent.objects.filter(component_name=component_name).first()
    if component is None:
        raise NotFound(f"no datacenter component named '{component_name}'")
    return component


def inventory_by_kind(*, component: DatacenterComponent) -> dict[str, list[InventoryObject]]:
    """The component's inventory in one query, grouped by content key, each list sorted by path."""
    grouped: dict[str, list[InventoryObject]] = {key: [] for key in CONTENT_KEYS.values()}
    for item in InventoryObject.objects.filter(component=component).order_by("path"):
        grouped[CONTENT_KEYS[item.kind]].append(item)
    return grouped


# --- port groups and their IPv4 settings ---

NO_SETTINGS: dict[str, Any] = {
    "gateway": None,
    "subnetMask": None,
    "prefixLength": None,
    "domainName": None,
    "searchPath": [],
    "useDhcp": False,
    "dns": [],
    "ntp": [],
}


def port_group_settings_dict(settings: PortGroupSettings) -> dict:
    """{portGroupName, gateway, subnetMask, prefixLength, domainName, searchPath[], useDhcp, dns[], ntp[]}."""
    return {
        "portGroupName": settings.port_group_name,
        "gateway": settings.gateway or None,
        "subnetMask": settings.subnet_mask,
        "prefixLength": settings.prefix_length,
        "domainName": settings.domain_name or None,
        "searchPath": list(settings.search_path),
        "useDhcp": settings.use_dhcp,
        "dns": list(settings.dns),
        "ntp": list(settings.ntp),
    }


def port_group_settings(*, component_name: str, port_group_name: str) -> dict | None:
    """The IPv4 settings the user gave a port group of a vCenter component, or None if there are none.

    What deployments configure a node's NIC with: the port group's entry of the vCenter's
    `content.networks` (port_group_settings_dict), `subnetMask` and `prefixLength` both filled in when static.
    """
    settings = PortGroupSettings.objects.filter(
        component__component_name=component_name, port_group_name=port_group_name
    ).first()
    return port_group_settings_dict(settings) if settings else None


def network_entries(*, component: DatacenterComponent, networks: list[InventoryObject] | None = None) -> list[dict]:
    """The component's port groups as `content.networks` shows them: discovered facts merged with the
    user's settings, then settings whose port group the last discovery did not find.

    `networks`: the component's network inventory when the caller has read it already (one query less).
    """
    if component.component_type != ComponentType.VCENTER:
        return []
    if networks is None:
        networks = list(
            InventoryObject.objects.filter(component=component, kind=InventoryKind.NETWORK).order_by("path")
        )
    settings = {s.port_group_name: s for s in PortGroupSettings.objects.filter(component=component)}
    entries, found = [], set()
    for item in networks:
        found.add(item.name)
        entries.append(_network_entry(item.name, settings.get(item.name), item))
    for name in sorted(set(settings) - found):
        entries.append(_network_entry(name, settings[name], None))
    return entries


def network_entry(*, component: DatacenterComponent, port_group_name: str) -> dict | None:
    """One port group's entry (the first one discovered under that name), or None if unknown."""
    items = list(
        InventoryObject.objects.filter(component=component, kind=InventoryKind.NETWORK, name=port_group_name).order_by(
            "path"
        )[:1]
    )
    settings = PortGroupSettings.objects.filter(component=component, port_group_name=port_group_name).first()
    if not items and settings is None:
        return None
    return _network_entry(port_group_name, settings, items[0] if items else None)


def _network_entry(name: str, settings: PortGroupSettings | None, item: InventoryObject | None) -> dict:
    entry = port_group_settings_dict(settings) if settings else {"portGroupName": name, **NO_SETTINGS}
    entry["configured"] = settings is not None
    entry["foundInLastDiscovery"] = item is not None
    if item is not None:
        entry.update(
            name=item.name,
            moref=item.moref,
            path=item.path,
            datacenter=item.datacenter or None,
            parent=item.parent_moref or None,
        )
        entry.update({k: v for k, v in item.properties.items() if k not in entry})
    else:
        entry.update(name=name, moref=None, path=None, datacenter=None, parent=None, type=None, vlan=None, switch=None)
    return entry

"""Reads of datacenter components and their inventory."""
from django.db.models import Count, QuerySet

from datacenters.models import DatacenterComponent, InventoryKind, InventoryObject
from lifecycle.errors import NotFound

# How inventory kinds appear in a component's `content` (the API's names).
CONTENT_KEYS = {
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

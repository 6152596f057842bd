"""Raw records of components, their inventory and port group settings. Passwords are never shown;
changes go through tasks (and port group settings through the pages and the API)."""

from django.contrib import admin

from datacenters.models import DatacenterComponent, InventoryObject, PortGroupSettings
from lifecycle.engine.admin import ReadOnlyAdmin


@admin.register(DatacenterComponent)
class DatacenterComponentAdmin(ReadOnlyAdmin):
    list_display = ["component_name", "component_type", "fqdn", "port", "version", "discovered_at"]
    list_filter = ["component_type"]
    search_fields = ["component_name", "fqdn"]
    exclude = ["password"]


@admin.register(InventoryObject)
class InventoryObjectAdmin(ReadOnlyAdmin):
    list_display = ["component", "kind", "name", "path", "moref"]
    list_filter = ["component", "kind"]
    search_fields = ["name", "path"]


@admin.register(PortGroupSettings)
class PortGroupSettingsAdmin(ReadOnlyAdmin):
    list_display = ["component", "port_group_name", "use_dhcp", "gateway", "prefix_length", "updated_at"]
    list_filter = ["component"]
    search_fields = ["port_group_name"]

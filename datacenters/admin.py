"""Raw records of components and their inventory. Passwords are never shown; changes go through tasks."""
from django.contrib import admin

from datacenters.models import DatacenterComponent, InventoryObject
from lifecycle.admin import ReadOnlyAdmin


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

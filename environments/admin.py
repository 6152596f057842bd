"""Raw records of environments. Read-only: definitions change through the API, pages and CLI."""

from django.contrib import admin

from environments.models import ComponentReference, Environment, Node, Product
from lifecycle.engine.admin import ReadOnlyAdmin, ReadOnlyInline


class ProductInline(ReadOnlyInline):
    model = Product
    fields = ["product_id", "product_type", "version", "state"]


@admin.register(Environment)
class EnvironmentAdmin(ReadOnlyAdmin):
    list_display = ["environment_id", "environment_name", "state", "created_at", "updated_at"]
    list_filter = ["state"]
    search_fields = ["environment_id", "environment_name"]
    inlines = [ProductInline]


@admin.register(Product)
class ProductAdmin(ReadOnlyAdmin):
    list_display = ["environment", "product_id", "product_type", "version", "state"]
    list_filter = ["product_type", "state"]


@admin.register(Node)
class NodeAdmin(ReadOnlyAdmin):
    list_display = [
        "product",
        "node_id",
        "role",
        "host_name",
        "vm_name",
        "deploy_state",
        "vcenter_name",
        "vm_moref",
        "instance_uuid",
        "ip_address",
        "power_state",
    ]
    list_filter = ["deploy_state"]
    search_fields = ["vm_name", "host_name", "instance_uuid", "ip_address"]


@admin.register(ComponentReference)
class ComponentReferenceAdmin(ReadOnlyAdmin):
    list_display = ["component_name", "product", "usage"]

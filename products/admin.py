"""Raw records of the repository and the interop bundles: read-only, since only a scan or an import writes them."""

from django.contrib import admin

from lifecycle.engine.admin import ReadOnlyAdmin
from products.models import InteropBundle, RepositoryFile


@admin.register(RepositoryFile)
class RepositoryFileAdmin(ReadOnlyAdmin):
    list_display = [
        "path",
        "product_type",
        "kind",
        "version",
        "build",
        "status",
        "manifest_verified",
        "size",
        "scanned_at",
    ]
    list_filter = ["product_type", "kind", "status", "manifest_verified"]
    search_fields = ["path", "product_name", "version", "build", "problem"]


@admin.register(InteropBundle)
class InteropBundleAdmin(ReadOnlyAdmin):
    list_display = ["name", "imported_at", "imported_by"]

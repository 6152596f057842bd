"""A fake vRealize Operations Tenant App: its version endpoint."""

from __future__ import annotations

from tests.fakes.appliances.base import VersionOnly


class FakeTenantApp(VersionOnly):
    product_type = "VROPS_TENANT_APP"
    port_names = ("https",)
    version_path = "/tenant-app/api/version"
    default_version = "2.6.0"

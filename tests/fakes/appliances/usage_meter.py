"""A fake vCloud Usage Meter: its version endpoint."""

from __future__ import annotations

from tests.fakes.appliances.base import VersionOnly


class FakeUsageMeter(VersionOnly):
    product_type = "USAGE_METER"
    port_names = ("https",)
    version_path = "/api/v1/version"
    default_version = "4.7.0.0"

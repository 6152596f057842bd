"""vRealize Operations Tenant App after boot: ready once ``GET https://<ip>/tenant-app/api/version`` answers.

Nothing else yet: connecting the Tenant App to its VCD and vRealize Operations Manager is a later issue.
The version path is served without logging in; while the application starts, the appliance answers 502/503.
"""

from __future__ import annotations

from functools import partial

from products.appliances.base import ApplianceApi, version_answers

PRODUCT = "vRealize Operations Tenant App"
VERSION = "/tenant-app/api/version"

appliance = ApplianceApi(
    ready=partial(version_answers, product_type="VROPS_TENANT_APP", port_name="https", path=VERSION, product=PRODUCT)
)

"""vCloud Usage Meter after boot: ready once its web application answers ``GET https://<ip>:8443/api/v1/version``.

Nothing else yet: the appliance takes its settings (the usagemeter password, FIPS mode) as OVF properties,
and connecting it to the vCenters and VCDs it meters is a later issue. The version path is the one its web
application serves without logging in; while the application starts, the appliance's proxy answers 502/503.
"""

from __future__ import annotations

from functools import partial

from products.appliances.base import ApplianceApi, version_answers

PRODUCT = "vCloud Usage Meter"
VERSION = "/api/v1/version"

appliance = ApplianceApi(
    ready=partial(version_answers, product_type="USAGE_METER", port_name="https", path=VERSION, product=PRODUCT)
)

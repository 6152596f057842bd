"""vCloud Usage Meter after boot: ready once its web application answers ``GET https://<ip>:8443/api/v1/version``.

Nothing else yet: the appliance takes its settings (the usagemeter password, FIPS mode) as OVF properties,
and connecting it to the vCenters and VCDs it meters is a later issue. The version path is the one its web
application serves without logging in; while the application starts, the appliance's proxy answers 502/503.
"""
from __future__ import annotations

import contextlib

from datacenters.rest import error_text, status_text
from products.appliances.base import ApplianceApi, ApplianceNode, NotReady, SetupFailed

PRODUCT = "vCloud Usage Meter"
PORT = 8443
VERSION = "/api/v1/version"


def ready(node: ApplianceNode) -> None:
    with contextlib.closing(node.client(PORT, product=PRODUCT)) as client:
        response = client.request("GET", VERSION)
        if response.status_code == 200:
            about = client.json(response, what=VERSION)
            about = about if isinstance(about, dict) else {}
            node.log(f"{node.ip}: Usage Meter {about.get('version') or '(version not given)'} answers on port {PORT}")
            return
    if response.status_code in (500, 502, 503, 504):
        raise NotReady(f"{node.ip}:{PORT} answers {status_text(response)}: Usage Meter is still starting")
    said = error_text(response)
    raise SetupFailed(f"{node.ip}:{PORT} answered GET {VERSION} with {status_text(response)}"
                      f"{': ' + said if said else ''}; check that this is a vCloud Usage Meter appliance")


appliance = ApplianceApi(ready=ready)

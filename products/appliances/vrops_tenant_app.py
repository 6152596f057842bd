"""vRealize Operations Tenant App after boot: ready once ``GET https://<ip>/tenant-app/api/version`` answers.

Nothing else yet: connecting the Tenant App to its VCD and vRealize Operations Manager is a later issue.
The version path is served without logging in; while the application starts, the appliance answers 502/503.
"""
from __future__ import annotations

import contextlib

from datacenters.rest import error_text, status_text
from products.appliances.base import ApplianceApi, ApplianceNode, NotReady, SetupFailed

PRODUCT = "vRealize Operations Tenant App"
PORT = 443
VERSION = "/tenant-app/api/version"


def ready(node: ApplianceNode) -> None:
    with contextlib.closing(node.client(PORT, product=PRODUCT)) as client:
        response = client.request("GET", VERSION)
        if response.status_code == 200:
            about = client.json(response, what=VERSION)
            about = about if isinstance(about, dict) else {}
            node.log(f"{node.ip}: Tenant App {about.get('version') or '(version not given)'} answers")
            return
    if response.status_code in (500, 502, 503, 504):
        raise NotReady(f"{node.ip}:{PORT} answers {status_text(response)}: the Tenant App is still starting")
    said = error_text(response)
    raise SetupFailed(f"{node.ip}:{PORT} answered GET {VERSION} with {status_text(response)}"
                      f"{': ' + said if said else ''}; check that this is a vRealize Operations Tenant App appliance")


appliance = ApplianceApi(ready=ready)

"""Talking to a deployed appliance after boot: readiness, product setup, and what follows setup.

A product type declares an ``ApplianceApi`` (``ProductType.appliance``): three plain functions of an
``ApplianceNode`` that speak the appliance's documented API through requests. The deployment actions
(environments/deploy/actions.py) call them; nothing here knows about tasks or vSphere (the long waits read
their timeout and poll interval from Django's settings).

Certificates: an appliance makes its own self-signed certificate at first boot, so the first contact
on each port trusts on first use and records the certificate (``ApplianceNode.certificates``); every
later call, in this action or a later one, trusts exactly that certificate.
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from datacenters.pinned_http import RestClient, error_text, status_text
from datacenters.vsphere.connection import certificate_probe
from lifecycle.errors import ApplicationError


class NotReady(ApplicationError):
    """The appliance does not answer as ready yet; `message` says what it waits for. Retried until timeout."""


class SetupFailed(ApplicationError):
    """The appliance refused a setup call, or answered it wrongly: `message` says what, for the user."""


@dataclass
class ApplianceNode:
    """One deployed node as its appliance API sees it. Secrets here are resolved (clear text): never log them."""

    node_id: str
    ip: str
    host_name: str
    role: str  # the product type's role name: primary, standby, cell, member, appliance
    is_primary: bool
    root_password: str
    properties: dict[str, Any]  # the product's properties, defaults applied, secrets resolved
    product: dict[str, Any]  # the product's definition (adminPassword …), secrets resolved
    primary: ApplianceNode | None  # the product's primary node (None on the primary itself)
    nodes: list[ApplianceNode] = field(default_factory=list)  # all nodes of the product (for `finish`)
    log: Callable[[str], None] = print
    certificates: dict[str, str] = field(default_factory=dict)  # str(port) → PEM, trusted on first use
    timeout: float = 30  # per HTTP request
    # Called between polls of a long wait: raises to stop there (the deployment's cancel).
    check: Callable[[], None] = lambda: None

    def client(self, port: int, *, product: str) -> RestClient:
        """A requests client for https://ip:port that trusts the certificate first seen on that port."""
        key = str(port)
        if key not in self.certificates:
            certificate = certificate_probe(fqdn=self.ip, port=port, timeout=self.timeout)
            self.certificates[key] = certificate.pem
            self.log(f"{self.ip}:{port} presents certificate SHA-256 {certificate.thumbprint}; trusted from now on")
        return RestClient(
            fqdn=self.ip, port=port, certificate_pem=self.certificates[key], timeout=self.timeout, product=product
        )


@dataclass(frozen=True)
class ApplianceApi:
    """How a product type's appliance is brought into service after its VM booted.

    ready(node): return when the appliance's own endpoint answers as ready; raise NotReady (retried
    until the type's ready timeout) while it does not, SetupFailed when it answers as something else.
    setup(node): the product's own setup of this node (per role); raise SetupFailed on refusal.
      Called for the primary first, then for the other nodes (in parallel where the type allows).
    finish(primary): once every node is set up (e.g. VCD's public addresses); primary.nodes holds all.
    """

    ready: Callable[[ApplianceNode], None] | None = None
    setup: Callable[[ApplianceNode], None] | None = None
    finish: Callable[[ApplianceNode], None] | None = None


def appliance_port(product_type_code: str, name: str) -> int:
    """The port `name` the type declares for its appliance (products/types), overrides applied."""
    from products.types import product_type_get

    product_type = product_type_get(product_type_code)
    assert product_type is not None, product_type_code  # each appliance module names its own type
    return product_type.port(name)


def setup_waits(product_type_code: str) -> tuple[float, float]:
    """The type's setup timeout and the deployment's poll interval (both configurable)."""
    from django.conf import settings

    from products.types import product_type_get

    product_type = product_type_get(product_type_code)
    assert product_type is not None, product_type_code  # each appliance module names its own type
    return product_type.timeout("setup"), float(settings.LCM_POLL_INTERVAL)


def version_answers(node: ApplianceNode, *, product_type: str, port_name: str, path: str, product: str) -> None:
    """Ready when GET https://ip:port/path answers 200 with a JSON {"version": …} (served without logging
    in); 5xx means the application is still starting; anything else is not the product we expect. The
    port is the one the type declares as `port_name`."""
    port = appliance_port(product_type, port_name)
    with contextlib.closing(node.client(port, product=product)) as client:
        response = client.request("GET", path)
        if response.status_code == 200:
            about = client.json(response, what=path)
            about = about if isinstance(about, dict) else {}
            node.log(f"{node.ip}: {product} {about.get('version') or '(version not given)'} answers on port {port}")
            return
    if response.status_code in (500, 502, 503, 504):
        raise NotReady(f"{node.ip}:{port} answers {status_text(response)}: {product} is still starting")
    said = error_text(response)
    raise SetupFailed(
        f"{node.ip}:{port} answered GET {path} with {status_text(response)}"
        f"{': ' + said if said else ''}; check that this is a {product} appliance"
    )

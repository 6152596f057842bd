"""The product's one door to NSX-T Manager: log in and read its version and identity over the REST API.

HTTP basic authentication on every request (NSX-T answers 403 to wrong credentials), the accepted
certificate pinned as for vCenter. Plain Python (no Django); errors are those of datacenters/vsphere/errors.py.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from typing import Any

from datacenters.pinned_http import RestClient, error_text, status_text
from datacenters.vsphere.errors import LoginRefused, VSphereError, WrongServer

PRODUCT = "NSX-T Manager"
USER_INFO = "/api/v1/aaa/user-info"
NODE = "/api/v1/node"
CLUSTER_STATUS = "/api/v1/cluster/status"
MANAGER_NODE_TYPES = ("NSX Manager",)  # older releases leave node_type out


class Manager:
    """A session with one NSX-T Manager (the credentials travel with each request)."""

    def __init__(self, client: RestClient, *, username: str):
        self.client = client
        self.username = username

    def get(self, path: str, *, login: bool = False) -> dict[str, Any]:
        response = self.client.request("GET", path)
        where = self.client.where
        if response.status_code == 401 or (login and response.status_code == 403):
            reason = error_text(response) or "the user name or password is wrong"
            raise LoginRefused(f"login refused for {self.username}: {reason}")
        if response.status_code == 403:
            reason = error_text(response) or "forbidden"
            raise VSphereError(f"{self.username} may not read {path} on {where} (403): {reason}")
        if response.status_code == 404:
            raise WrongServer(
                f"{where} does not offer the NSX-T API ({path} answered {status_text(response)}); "
                f"check that this is the address of an {PRODUCT}"
            )
        if response.status_code != 200:
            reason = error_text(response)
            raise VSphereError(
                f"{where} answered {path} with {status_text(response)}" + (f": {reason}" if reason else "")
            )
        body = self.client.json(response, what=path)
        if not isinstance(body, dict):
            raise WrongServer(f"{where} answered {path} with an unexpected document; check that this is an {PRODUCT}")
        return body


@contextlib.contextmanager
def connect(
    *, fqdn: str, port: int = 443, username: str, password: str, certificate_pem: str, timeout: float = 30
) -> Iterator[Manager]:
    """A session with the NSX-T Manager at fqdn:port, trusting only `certificate_pem`.

    Basic authentication checks the credentials with the first request: call `user_read` to log in.
    """
    client = RestClient(fqdn=fqdn, port=port, certificate_pem=certificate_pem, timeout=timeout, product=PRODUCT)
    client.session.auth = (username, password)
    try:
        yield Manager(client, username=username)
    finally:
        client.close()


def user_read(manager: Manager) -> dict[str, Any]:
    """Who we are logged in as: {"userName", "roles"}. Raises LoginRefused for wrong credentials."""
    info = manager.get(USER_INFO, login=True)
    roles = [r.get("role") for r in info.get("roles") or [] if isinstance(r, dict) and r.get("role")]
    return {"userName": info.get("user_name") or manager.username, "roles": roles}


def about_read(manager: Manager) -> dict[str, Any]:
    """Version and identity of the manager node and its cluster (NodeProperties and ClusterStatus)."""
    node = manager.get(NODE)
    node_type = node.get("node_type")
    if node_type and node_type not in MANAGER_NODE_TYPES:
        raise WrongServer(
            f"{manager.client.where} is an {node_type}, not an {PRODUCT}; register the NSX-T Manager (or its cluster address)"
        )
    cluster = manager.get(CLUSTER_STATUS)
    product_version = node.get("product_version") or node.get("node_version") or ""
    version, build = version_split(product_version)
    detailed = cluster.get("detailed_cluster_status") or {}
    management = cluster.get("mgmt_cluster_status") or {}
    return {
        "fullName": f"{PRODUCT} {version}".strip(),
        "version": version,
        "build": build,
        "productVersion": product_version,
        "nodeVersion": node.get("node_version"),
        "hostname": node.get("hostname"),
        "fqdn": node.get("fully_qualified_domain_name"),
        "nodeUuid": node.get("node_uuid"),
        "nodeType": node_type,
        "clusterId": cluster.get("cluster_id"),
        "clusterStatus": cluster.get("overall_status") or detailed.get("overall_status") or management.get("status"),
    }


def version_split(product_version: str) -> tuple[str, str]:
    """ "3.2.1.0.0.19283092" → ("3.2.1", "19283092"): the release, and the build NSX-T appends to it."""
    parts = product_version.split(".")
    if len(parts) >= 4 and parts[-1].isdigit() and len(parts[-1]) >= 5:
        return ".".join(parts[:3]), parts[-1]
    return product_version, ""

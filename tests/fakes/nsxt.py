"""A fake NSX-T Manager: the few documented endpoints we call, over HTTPS with HTTP basic auth.

Wrong or missing credentials are answered 403 with NSX-T's error document (NSX-T does not say 401),
unknown paths 404. Fixtures: `nsxt_factory`, `nsxt`.
"""

from __future__ import annotations

import base64
import uuid
from collections.abc import Callable, Iterator

import pytest

from tests.fakes.server import FakeHandler, FakeServer, fakes_started

FORBIDDEN = {
    "module_name": "common-services",
    "error_message": "The credentials were incorrect or the account specified has been locked.",
    "error_code": 403,
}


class NsxtHandler(FakeHandler):
    fake: FakeNsxt

    def route(self, method: str) -> None:
        path = self.path.split("?")[0]
        if not self._authorized():
            self.send_json(403, FORBIDDEN)
            return
        routes = {
            "/api/v1/aaa/user-info": self.fake.user_info,
            "/api/v1/node": self.fake.node,
            "/api/v1/cluster/status": self.fake.cluster_status,
            "/api/v1/cluster": self.fake.cluster,
        }
        answer = routes.get(path)
        if answer is None:
            self.send_json(
                404,
                {
                    "httpStatus": "NOT_FOUND",
                    "error_code": 404,
                    "module_name": "common-services",
                    "error_message": f"The requested URI: {path} could not be found.",
                },
            )
        elif method != "GET":
            self.send_json(
                405,
                {
                    "error_code": 405,
                    "module_name": "common-services",
                    "error_message": f"Method {method} is not supported for {path}.",
                },
            )
        else:
            self.send_json(200, answer())

    def _authorized(self) -> bool:
        scheme, _, value = self.headers.get("Authorization", "").partition(" ")
        if scheme != "Basic":
            return False
        try:
            username, _, password = base64.b64decode(value).decode().partition(":")
        except ValueError:
            return False
        return (username, password) == (self.fake.username, self.fake.password)


class FakeNsxt(FakeServer):
    handler = NsxtHandler

    def __init__(self, **kwargs):
        super().__init__(**kwargs)
        self.node_uuid = str(uuid.uuid4())
        self.cluster_id = str(uuid.uuid4())
        self.product_version = "3.2.1.0.0.19283092"
        self.hostname = "nsxmgr-01"
        self.node_type = "NSX Manager"

    def user_info(self) -> dict:
        return {"user_name": self.username, "roles": [{"role": "enterprise_admin", "permissions": ["crud"]}]}

    def node(self) -> dict:
        node = {
            "_schema": "NodeProperties",
            "_self": {"href": "/node", "rel": "self"},
            "cli_timeout": 600,
            "export_type": "UNRESTRICTED",
            "fully_qualified_domain_name": f"{self.hostname}.lab.example.com",
            "hostname": self.hostname,
            "kernel_version": "4.14.216",
            "motd": "",
            "node_uuid": self.node_uuid,
            "node_version": self.product_version,
            "product_version": self.product_version,
            "system_time": 1764212052000,
            "timezone": "UTC",
        }
        if self.node_type:
            node["node_type"] = self.node_type
        return node

    def cluster_status(self) -> dict:
        return {
            "cluster_id": self.cluster_id,
            "mgmt_cluster_status": {"status": "STABLE", "online_nodes": [{"uuid": self.node_uuid}]},
            "control_cluster_status": {"status": "STABLE"},
            "detailed_cluster_status": {"overall_status": "STABLE", "cluster_id": self.cluster_id, "groups": []},
        }

    def cluster(self) -> dict:
        return {
            "cluster_id": self.cluster_id,
            "_revision": 3,
            "nodes": [{"node_uuid": self.node_uuid, "fqdn": f"{self.hostname}.lab.example.com"}],
        }


@pytest.fixture
def nsxt_factory(vcsim_tls, vcsim_tls_factory) -> Iterator[Callable[..., FakeNsxt]]:
    yield from fakes_started(FakeNsxt, tls=vcsim_tls, new_tls=vcsim_tls_factory)


@pytest.fixture
def nsxt(nsxt_factory) -> FakeNsxt:
    """An NSX-T Manager 3.2.1 on 127.0.0.1 (user admin, a random password)."""
    return nsxt_factory()

"""A fake RabbitMQ node with the management API: overview, the cluster's nodes, vhosts and permissions."""

from __future__ import annotations

import time
from urllib.parse import unquote

from tests.fakes.appliances.base import Exchange, FakeAppliance


class FakeRabbitmq(FakeAppliance):
    """A RabbitMQ 3.9 node with the management plugin (its type's port "management", 15672 in production).

    Settings: username and password (the administrator the appliance makes), erlang_cookie, cluster_join
    (the node name a member joins), join_seconds (how long a member takes to appear in the primary's node
    list after both have booted). Those not given are read at boot from the OVF properties
    rabbitmq_username, rabbitmq_password, erlang_cookie and rabbitmq_cluster_join, as the appliance would;
    without a password it refuses every login.
    """

    product_type = "RABBITMQ"
    port_names = ("management",)
    ovf_keys = {
        "username": "rabbitmq_username",
        "password": "rabbitmq_password",
        "erlang_cookie": "erlang_cookie",
        "cluster_join": "rabbitmq_cluster_join",
    }

    def __init__(
        self,
        park,
        ip,
        *,
        username: str | None = None,
        password: str | None = None,
        erlang_cookie: str | None = None,
        cluster_join: str | None = None,
        join_seconds: float = 0.2,
        version: str = "3.9.13",
        **kwargs,
    ):
        super().__init__(park, ip, **kwargs)
        self.username, self.password, self.erlang_cookie = username, password, erlang_cookie
        self.cluster_join, self.join_seconds, self.version = cluster_join, join_seconds, version
        self.vhosts: dict[str, dict] = {"/": {}}
        self.permissions: dict[tuple[str, str], dict[str, str]] = {}

    def configure(self, ovf: dict[str, str]) -> None:
        super().configure(ovf)
        for attribute, key in self.ovf_keys.items():
            if getattr(self, attribute) is None:
                setattr(self, attribute, ovf.get(key) or None)
        self.username = self.username or "guest"
        self.permissions.setdefault(("/", self.username), dict(_ALL_PERMISSIONS))

    @property
    def node_name(self) -> str:
        return f"rabbit@{self.host_name.split('.')[0]}"

    def cluster_nodes(self) -> list[str]:
        """This node and the members that have joined it (booted, same cookie, after join_seconds)."""
        names = [self.node_name]
        for other in self.park.all():
            if (
                isinstance(other, FakeRabbitmq)
                and other is not self
                and other.cluster_join == self.node_name
                and other.erlang_cookie is not None
                and other.erlang_cookie == self.erlang_cookie
                and other.booted
                and self.booted
                and time.monotonic() >= max(other.booted_at, self.booted_at) + other.join_seconds
            ):
                names.append(other.node_name)
        return names

    def answer(self, ex: Exchange) -> None:
        call = ex.call
        if self.password is None or ex.credentials != (self.username, self.password):
            ex.json(
                401,
                {"error": "not_authorized", "reason": "Login failed"},
                {"WWW-Authenticate": 'Basic realm="RabbitMQ Management"'},
            )
            return
        if self.starting():
            ex.text(503, "RabbitMQ is starting", "text/plain")
            return
        parts = call.path.split("/")[1:]  # raw segments: "%2F" stays one segment
        if call.method == "GET" and parts == ["api", "overview"]:
            ex.json(
                200,
                {
                    "management_version": self.version,
                    "rabbitmq_version": self.version,
                    "cluster_name": self.node_name,
                    "node": self.node_name,
                    "erlang_version": "24.3.4",
                },
            )
        elif call.method == "GET" and parts == ["api", "nodes"]:
            ex.json(200, [{"name": name, "type": "disc", "running": True} for name in self.cluster_nodes()])
        elif call.method == "PUT" and len(parts) == 3 and parts[:2] == ["api", "vhosts"] and parts[2]:
            self._vhost_put(ex, unquote(parts[2]))
        elif call.method == "PUT" and len(parts) == 4 and parts[:2] == ["api", "permissions"] and all(parts[2:]):
            self._permissions_put(ex, unquote(parts[2]), unquote(parts[3]))
        else:
            ex.json(404, {"error": "Object Not Found", "reason": "Not Found"})

    def _vhost_put(self, ex: Exchange, name: str) -> None:
        body = ex.call.body
        if body is not None and not isinstance(body, dict):
            ex.json(400, {"error": "bad_request", "reason": "payload not a JSON object"})
            return
        created = name not in self.vhosts
        self.vhosts[name] = body or {}
        ex.empty(201 if created else 204)

    def _permissions_put(self, ex: Exchange, vhost: str, user: str) -> None:
        body = ex.call.body
        if not isinstance(body, dict):
            ex.json(400, {"error": "bad_request", "reason": "payload not a JSON object"})
            return
        missing = [key for key in ("configure", "write", "read") if not isinstance(body.get(key), str)]
        if missing:
            ex.json(400, {"error": "bad_request", "reason": f"[{{key_missing,{missing[0]}}}]"})
            return
        if vhost not in self.vhosts:
            ex.json(400, {"error": "bad_request", "reason": "vhost_not_found"})
            return
        if user != self.username:
            ex.json(400, {"error": "bad_request", "reason": "user_not_found"})
            return
        created = (vhost, user) not in self.permissions
        self.permissions[(vhost, user)] = {key: body[key] for key in ("configure", "write", "read")}
        ex.empty(201 if created else 204)


_ALL_PERMISSIONS = {"configure": ".*", "write": ".*", "read": ".*"}

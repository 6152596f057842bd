"""What every fake appliance shares: its HTTPS servers on the appliance's ports, the requests it recorded,
and how a request is answered (`Exchange`). One module per product holds its fake (vcd, rabbitmq,
usage_meter, tenant_app); the package's __init__ holds the park and the fixtures.

Ports: the ones the product types declare (products/types), through the same setting as the product code
reads (LCM_APPLIANCE_PORTS). In production they are the appliances' real ports (443, 5480, 8443, 15672);
the suite moves them to TEST_PORTS (the `appliance_ports` fixture) so that nothing needs root.
"""

from __future__ import annotations

import base64
import json
import re
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit

from datacenters.vsphere.connection import ServerCertificate
from products.types import product_type_get
from tests.fakes.server import FakeHandler, FakeServer
from tests.vcsim import TlsFiles

if TYPE_CHECKING:
    from tests.fakes.appliances import AppliancePark

# The appliance ports in the tests (type.name → port): unprivileged, below the ephemeral range; the
# test process and the workers it starts see the same ones.
TEST_PORTS = {
    "VCD.appliance": 15480,
    "VCD.cell": 10443,
    "RABBITMQ.management": 16672,
    "USAGE_METER.https": 18443,
    "VROPS_TENANT_APP.https": 10443,
}


@dataclass
class Call:
    """One request an appliance received."""

    port: int
    method: str
    path: str  # as sent, percent-encoding kept
    query: str
    headers: dict[str, str]
    user: str | None  # the basic-authentication user name, if any
    body: Any  # parsed JSON; the raw text when it is not JSON; None when empty


class _Handler(FakeHandler):
    def route(self, method: str) -> None:
        server: _PortServer = self.server.fake
        url = urlsplit(self.path)
        credentials = _basic(self.headers.get("Authorization", ""))
        try:
            body: Any = json.loads(self.body) if self.body else None
        except ValueError:
            body = self.body.decode(errors="replace")
        call = Call(
            port=server.port,
            method=method,
            path=url.path,
            query=url.query,
            headers={k: v for k, v in self.headers.items()},
            user=credentials[0] if credentials else None,
            body=body,
        )
        server.appliance.record(call)
        server.appliance.answer(Exchange(self, call, credentials))

    def do_PATCH(self):
        self._handle("PATCH")


@dataclass
class Exchange:
    """A request being answered: what came in, and how to answer it."""

    handler: _Handler
    call: Call
    credentials: tuple[str, str] | None

    def json(
        self, status: int, body: Any, headers: dict[str, str] | None = None, *, content_type: str = "application/json"
    ) -> None:
        data = json.dumps(body).encode()
        self.handler.send_response(status)
        self.handler.send_header("Content-Type", content_type)
        for name, value in (headers or {}).items():
            self.handler.send_header(name, value)
        self.handler.send_header("Content-Length", str(len(data)))
        self.handler.end_headers()
        self.handler.wfile.write(data)

    def empty(self, status: int, headers: dict[str, str] | None = None) -> None:
        self.handler.send_response(status)
        for name, value in (headers or {}).items():
            self.handler.send_header(name, value)
        self.handler.send_header("Content-Length", "0")
        self.handler.end_headers()

    def text(self, status: int, text: str, content_type: str = "text/html") -> None:
        self.handler.send_body(status, text.encode(), content_type)


def ovf_value(ovf: dict[str, str], name: str) -> str | None:
    """The value of OVF property `name`, alone or part of a dotted key (vami.hostname.VMware_vCloud_Director)."""
    pattern = re.compile(rf"(^|\.){re.escape(name)}(\.|$)")
    return next((value for key, value in ovf.items() if pattern.search(key) and value), None)


class _PortServer(FakeServer):
    handler = _Handler

    def __init__(self, appliance: FakeAppliance, port: int, **kwargs):
        super().__init__(**kwargs)
        self.appliance, self.fqdn, self.port = appliance, appliance.ip, port


def _basic(header: str) -> tuple[str, str] | None:
    scheme, _, value = header.partition(" ")
    if scheme.lower() != "basic":
        return None
    try:
        user, _, password = base64.b64decode(value).decode().partition(":")
    except ValueError:
        return None
    return user, password


class FakeAppliance:
    """One appliance VM: servers on its ports while booted, state kept across halt and boot."""

    product_type = ""
    port_names: tuple[str, ...] = ()  # the ports its product type declares (products/types)

    def __init__(
        self,
        park: AppliancePark,
        ip: str,
        *,
        root_password: str,
        tls: TlsFiles,
        new_tls: Callable[[], TlsFiles],
        host_name: str | None = None,
        starting_seconds: float = 0.0,
    ):
        self.park, self.ip, self.root_password = park, ip, root_password
        self.host_name = host_name  # when not given: the OVF property *hostname* at boot, else made up
        self.starting_seconds = starting_seconds  # after boot, the product answers 503 this long
        self.ovf: dict[str, str] = {}  # the OVF properties the VM booted with (the guest simulator passes them)
        self.calls: list[Call] = []
        self.boots = 0
        self.booted_at: float | None = None
        self._lock = threading.Lock()
        self.ports = {name: product_type_get(self.product_type).port(name) for name in self.port_names}
        self._servers = {
            port: _PortServer(self, port, tls=tls, new_tls=new_tls, username="root", password=root_password)
            for port in self.ports.values()
        }

    # --- the VM ---------------------------------------------------------------------------------

    @property
    def booted(self) -> bool:
        return self.booted_at is not None

    def boot(self, ovf: dict[str, str] | None = None) -> None:
        if self.booted:
            return
        if ovf:
            self.ovf = dict(ovf)
        self.configure(self.ovf)
        for port, server in self._servers.items():
            try:
                server.start()
            except OSError as exc:
                self.halt()
                raise RuntimeError(
                    f"fake {self.product_type} cannot listen on {self.ip}:{port}: {exc} "
                    "(another test run using the same address?)"
                ) from exc
        self.boots += 1
        self.booted_at = time.monotonic()

    def halt(self) -> None:
        for server in self._servers.values():
            server.stop()
        self.booted_at = None

    def configure(self, ovf: dict[str, str]) -> None:
        """Take what expect() was not told from the OVF properties, as the appliance does at first boot."""
        if self.host_name is None:
            self.host_name = ovf_value(ovf, "hostname") or f"appliance-{self.ip.replace('.', '-')}.lab.example.com"

    def starting(self) -> bool:
        return self.booted_at is None or time.monotonic() < self.booted_at + self.starting_seconds

    def port(self, name: str) -> int:
        """The port its product type declares as `name`, as the product code sees it."""
        return self.ports[name]

    # --- certificates ---------------------------------------------------------------------------

    def certificate(self, port: int) -> ServerCertificate:
        return self._servers[port].certificate

    def renew_certificate(self, port: int) -> ServerCertificate:
        """Present a new certificate on `port` from now on (regenerated by the appliance)."""
        server = self._servers[port]
        if server._context is None:
            server.tls = server._new_tls()
            return server.certificate
        return server.restart_with_new_certificate()

    # --- requests -------------------------------------------------------------------------------

    def record(self, call: Call) -> None:
        with self._lock:
            self.calls.append(call)

    def calls_to(self, method: str, path: str) -> list[Call]:
        with self._lock:
            return [c for c in self.calls if (c.method, c.path) == (method, path)]

    def answer(self, exchange: Exchange) -> None:  # pragma: no cover - subclasses answer
        raise NotImplementedError


class VersionOnly(FakeAppliance):
    """An appliance that only answers its version endpoint (Usage Meter, Tenant App)."""

    version_path = ""
    default_version = ""  # what it answers unless expect() was given a version

    def __init__(self, park, ip, *, version: str | None = None, **kwargs):
        super().__init__(park, ip, **kwargs)
        self.version = version or self.default_version

    def answer(self, ex: Exchange) -> None:
        if self.starting():
            ex.text(503, "<html><body><h1>503 Service Temporarily Unavailable</h1></body></html>")
        elif (ex.call.method, ex.call.path) == ("GET", self.version_path):
            ex.json(200, {"version": self.version, "build": "21000000"})
        else:
            ex.json(404, {"message": f"No resource at {ex.call.path}"})

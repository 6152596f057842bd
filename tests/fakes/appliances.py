"""Fake product appliances: what a deployed VCD, RabbitMQ, Usage Meter or Tenant App answers on its own IP
once its VM has booted, following the documented APIs the products/appliances modules call.

`AppliancePark` holds the appliances a test expects, by IP: `park.expect(ip, "VCD", root_password=…, …)`,
then `park.boot(ip)` starts its HTTPS servers on the product's real ports (the guest simulator does that
when the VM's guest comes up), `park.halt(ip)` stops them (powered off; the appliance keeps its state).
Each fake checks credentials and payloads as the real API does and answers refusals with the product's
own status and JSON error document; every request is recorded in `fake.calls` with its parsed body,
secrets included, for assertions. Fixture: `appliances` (function scope; everything stops at teardown).

Ports: VCD 5480 (appliance API) and 443 (cell); RabbitMQ 15672; Usage Meter 8443; Tenant App 443.
"""
from __future__ import annotations

import base64
import json
import math
import re
import threading
import time
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import unquote, urlsplit

import pytest

from datacenters.vsphere.connection import ServerCertificate
from tests.fakes.server import FakeHandler, FakeServer
from tests.vcsim import TlsFiles


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
        call = Call(port=server.port, method=method, path=url.path, query=url.query,
                    headers={k: v for k, v in self.headers.items()}, user=credentials[0] if credentials else None,
                    body=body)
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

    def json(self, status: int, body: Any, headers: dict[str, str] | None = None, *,
             content_type: str = "application/json") -> None:
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
    ports: tuple[int, ...] = ()

    def __init__(self, park: AppliancePark, ip: str, *, root_password: str, tls: TlsFiles,
                 new_tls: Callable[[], TlsFiles], host_name: str | None = None, starting_seconds: float = 0.0):
        self.park, self.ip, self.root_password = park, ip, root_password
        self.host_name = host_name  # when not given: the OVF property *hostname* at boot, else made up
        self.starting_seconds = starting_seconds  # after boot, the product answers 503 this long
        self.ovf: dict[str, str] = {}  # the OVF properties the VM booted with (the guest simulator passes them)
        self.calls: list[Call] = []
        self.boots = 0
        self.booted_at: float | None = None
        self._lock = threading.Lock()
        self._servers = {port: _PortServer(self, port, tls=tls, new_tls=new_tls, username="root",
                                           password=root_password) for port in self.ports}

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
                raise RuntimeError(f"fake {self.product_type} cannot listen on {self.ip}:{port}: {exc} "
                                   "(another test run using the same address?)") from exc
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


# ---------------------------------------------------------------------------------------------
# VMware Cloud Director

VCD_GENERAL_SETTINGS_TYPE = "application/vnd.vmware.admin.generalSettings+json"


def _vcd_error(status: int, minor: str, message: str) -> dict:
    return {"minorErrorCode": minor, "message": message, "stackTrace": None, "majorErrorCode": status}


@dataclass
class VcdInstallation:
    """What the primary's setup writes to the NFS transfer share and the database: shared by all cells."""

    nfs_share: str
    name: str
    installation_id: int
    sys_admin: dict[str, str]
    primary_ip: str
    ready_at: float  # when the primary's setup finishes (inf: it failed)
    general_settings: dict[str, Any] = field(default_factory=dict)
    tokens: set[str] = field(default_factory=set)


class FakeVcd(FakeAppliance):
    """A VCD 10.5 appliance: the appliance API on 5480, the cell on 443.

    Settings: role (primary, standby or cell: its OVF deployment option), nfs_share (the one share that can
    be mounted), setup_seconds (how long the system setup runs), setup_failure (the setup task fails with
    this message), failover_failure (the failover-mode task fails with this message), version.
    """

    product_type = "VCD"
    ports = (5480, 443)

    def __init__(self, park, ip, *, role: str = "primary", nfs_share: str = "10.0.0.5:/vcd-transfer",
                 setup_seconds: float = 0.2, setup_failure: str | None = None, failover_failure: str | None = None,
                 version: str = "10.5.1.10593 Build 22821417", **kwargs):
        super().__init__(park, ip, **kwargs)
        if role not in ("primary", "standby", "cell"):
            raise ValueError(f"role must be primary, standby or cell, not {role!r}")
        self.role, self.nfs_share, self.version = role, nfs_share, version
        self.setup_seconds, self.setup_failure = setup_seconds, setup_failure
        self.failover_failure = failover_failure
        self.setup_body: dict | None = None  # the accepted systemSetup document
        self.setup_started: float | None = None
        self.task_id: str | None = None  # the setup's task
        self.failover_tasks: dict[str, tuple[str, float]] = {}  # task id → (mode, when it ends)

    # --- state ----------------------------------------------------------------------------------

    def setup_state(self) -> str | None:
        """None (not set up), running, success or failed."""
        if self.setup_started is None:
            return None
        if time.monotonic() < self.setup_started + self.setup_seconds:
            return "running"
        return "failed" if self.setup_failure else "success"

    def failover_mode(self) -> str:
        """The database cluster's failover mode: MANUAL after setup, then what the last task that ended set."""
        if self.failover_failure:
            return "MANUAL"
        ended = [(ends, mode) for mode, ends in self.failover_tasks.values() if ends <= time.monotonic()]
        return max(ended)[1].upper() if ended else "MANUAL"

    @property
    def installation(self) -> VcdInstallation | None:
        return self.park.vcd_installations.get(self.nfs_share)

    # --- routes ---------------------------------------------------------------------------------

    def answer(self, ex: Exchange) -> None:
        if ex.call.port == 5480:
            self._appliance_api(ex)
        else:
            self._cell(ex)

    def _appliance_api(self, ex: Exchange) -> None:
        call = ex.call
        if ex.credentials != ("root", self.root_password):
            ex.json(401, _vcd_error(401, "UNAUTHORIZED", "Authentication required: the user name or password is "
                                                         "incorrect"))
            return
        if self.starting():
            ex.json(503, _vcd_error(503, "SERVICE_UNAVAILABLE", "The appliance API is starting"))
            return
        route = (call.method, call.path)
        if route == ("GET", "/api/1.0.0/version"):
            ex.json(200, {"appliance": self.version})
        elif route == ("POST", "/api/1.0.0/systemSetup"):
            self._system_setup(ex)
        elif call.method == "POST" and call.path.startswith("/api/1.0.0/nodes/failover/"):
            self._failover_mode(ex, call.path.rsplit("/", 1)[1])
        elif call.method == "GET" and call.path.startswith("/api/1.0.0/tasks/"):
            self._task(ex, call.path.rsplit("/", 1)[1])
        else:
            ex.json(404, _vcd_error(404, "NOT_FOUND", f"No resource at {call.method} {call.path}"))

    def _task(self, ex: Exchange, task_id: str) -> None:
        if task_id in self.failover_tasks:
            mode, ends = self.failover_tasks[task_id]
            state = "running" if time.monotonic() < ends else ("failed" if self.failover_failure else "success")
            body = {"id": task_id, "status": state, "description": f"Set failover mode {mode}"}
            if state == "failed":
                body["message"] = self.failover_failure
            ex.json(200, body)
            return
        if task_id != self.task_id:
            ex.json(404, _vcd_error(404, "NOT_FOUND", f"No task {task_id}"))
            return
        state = self.setup_state()
        body = {"id": task_id, "status": state, "description": f"System setup of the {self.role} appliance"}
        if state == "failed":
            body["message"] = self.setup_failure
        ex.json(200, body)

    def _system_setup(self, ex: Exchange) -> None:
        if self.setup_started is not None:
            ex.json(409, _vcd_error(409, "CONFLICT", "The appliance is already configured; system setup can be run "
                                                     "only once"))
            return
        body = ex.call.body
        problem = self._setup_problem(body)
        if problem:
            ex.json(400, _vcd_error(400, "BAD_REQUEST", problem))
            return
        if body["storage"]["nfs"] != self.nfs_share:
            ex.json(400, _vcd_error(400, "BAD_REQUEST", f"NFS share {body['storage']['nfs']} cannot be mounted: "
                                                        "mount.nfs: access denied by server while mounting"))
            return
        installation, started = self.installation, time.monotonic()
        if self.role == "primary" and installation is not None and installation.primary_ip != self.ip:
            ex.json(400, _vcd_error(400, "BAD_REQUEST", f"NFS share {self.nfs_share} already holds the response file "
                                                        f"of installation '{installation.name}'"))
            return
        if self.role == "primary":
            self.park.vcd_installations[self.nfs_share] = VcdInstallation(
                nfs_share=self.nfs_share, name=body["installation"]["name"],
                installation_id=body["installation"]["id"], sys_admin=dict(body["sysAdmin"]), primary_ip=self.ip,
                ready_at=math.inf if self.setup_failure else started + self.setup_seconds,
                general_settings=_vcd_general_settings(self.ip, body["installation"]["id"]))
        elif installation is None or started < installation.ready_at:
            ex.json(400, _vcd_error(400, "BAD_REQUEST", f"No response file on NFS share {self.nfs_share}: set up "
                                                        "the primary appliance first and wait until it has finished"))
            return
        self.setup_body, self.setup_started, self.task_id = body, started, str(uuid.uuid4())
        ex.empty(202, {"Location": f"https://{self.ip}:5480/api/1.0.0/tasks/{self.task_id}"})

    def _failover_mode(self, ex: Exchange, mode: str) -> None:
        """POST /api/1.0.0/nodes/failover/{desired-mode}: 202 and a task; 404 on a cell (as documented)."""
        if self.role == "cell":
            ex.json(404, _vcd_error(404, "NOT_FOUND", "API not applicable for cell-type appliances"))
            return
        if mode not in ("automatic", "manual"):
            ex.json(400, _vcd_error(400, "BAD_REQUEST", f"Invalid failover mode {mode}: valid values are automatic, "
                                                        "manual"))
            return
        if self.setup_state() != "success":
            ex.json(400, _vcd_error(400, "BAD_REQUEST", "The appliance is not configured: run system setup first"))
            return
        standbys = [a for a in self.park.all() if isinstance(a, FakeVcd) and a.role == "standby"
                    and a.nfs_share == self.nfs_share and a.setup_state() == "success"]
        if not standbys:
            ex.json(400, _vcd_error(400, "BAD_REQUEST", "The database cluster has no standby node: failover mode "
                                                        "applies to an HA cluster only"))
            return
        task_id = str(uuid.uuid4())
        self.failover_tasks[task_id] = (mode, time.monotonic() + 0.1)
        ex.empty(202, {"Location": f"https://{self.ip}:5480/api/1.0.0/tasks/{task_id}"})

    def _setup_problem(self, body: Any) -> str | None:
        """What the appliance API's validation says about a systemSetup document, if anything."""
        if not isinstance(body, dict):
            return "The request body must be an ApplianceSystemSetup JSON document"
        primary_only = {"appliance", "sysAdmin", "installation"}
        allowed = {"applianceType", "storage"} | primary_only
        unknown = sorted(set(body) - allowed)
        if unknown:
            return f'Unrecognized field "{unknown[0]}" (class ApplianceSystemSetup), not marked as ignorable'
        kind = body.get("applianceType")
        if kind not in ("primary", "standby", "cell"):
            return f"applianceType must be one of primary, standby, cell, not {json.dumps(kind)}"
        if kind != self.role:
            return (f"This appliance was deployed as a {self.role} appliance (its OVF deployment option); "
                    f"applianceType {kind} does not match")
        problem = _fields(body.get("storage"), "storage", {"nfs": str})
        if problem:
            return problem
        if kind != "primary":
            extra = sorted(primary_only & set(body))
            return f"{extra[0]} is only valid for the primary appliance" if extra else None
        for name, shape in (("appliance", {"ceip": bool, "dbPassword": str}),
                            ("sysAdmin", {"username": str, "password": str, "fullName": str, "email": str}),
                            ("installation", {"name": str, "id": int})):
            problem = _fields(body.get(name), name, shape)
            if problem:
                return problem
        if not 1 <= body["installation"]["id"] <= 63:
            return f"installation.id must be between 1 and 63, not {body['installation']['id']}"
        if "@" not in body["sysAdmin"]["email"]:
            return "sysAdmin.email is not an e-mail address"
        return None

    def _cell(self, ex: Exchange) -> None:
        call = ex.call
        if self.setup_state() != "success":
            ex.text(503, "<html><body><h1>503 Service Unavailable</h1>The cell is not running.</body></html>")
            return
        installation = self.installation
        route = (call.method, call.path)
        if route == ("GET", "/api/versions"):
            ex.json(200, {"versionInfo": [{"version": v, "deprecated": False} for v in ("37.0", "38.0", "38.1")]})
        elif route == ("POST", "/cloudapi/1.0.0/sessions/provider"):
            self._login(ex, installation)
        elif route == ("DELETE", "/cloudapi/1.0.0/sessions/current"):
            installation.tokens.discard(self._token(ex))
            ex.empty(204)
        elif call.path == "/api/admin/extension/settings/general" and call.method in ("GET", "PUT"):
            if self._token(ex) not in installation.tokens:
                ex.json(401, _vcd_error(401, "UNAUTHORIZED", "Unauthorized: no valid session"))
            elif "version=" not in call.headers.get("Accept", ""):
                ex.json(406, _vcd_error(406, "NOT_ACCEPTABLE", "The request has no API version in its Accept header"))
            elif call.method == "GET":
                ex.json(200, installation.general_settings,
                        content_type=f"{VCD_GENERAL_SETTINGS_TYPE};version=38.0")
            else:
                self._general_settings_put(ex, installation)
        else:
            ex.json(404, _vcd_error(404, "NOT_FOUND", f"No resource at {call.method} {call.path}"))

    def _login(self, ex: Exchange, installation: VcdInstallation) -> None:
        if "version=" not in ex.call.headers.get("Accept", ""):
            ex.json(406, _vcd_error(406, "NOT_ACCEPTABLE", "The request has no API version in its Accept header"))
            return
        admin = installation.sys_admin
        if ex.credentials != (f"{admin['username']}@System", admin["password"]):
            ex.json(401, _vcd_error(401, "UNAUTHORIZED", "Invalid credentials"))
            return
        token = uuid.uuid4().hex
        installation.tokens.add(token)
        ex.json(200, {"id": f"urn:vcloud:session:{uuid.uuid4()}", "user": {"name": admin["username"]},
                      "org": {"name": "System"}, "roles": ["System Administrator"]},
                {"X-VMWARE-VCLOUD-ACCESS-TOKEN": token, "X-VMWARE-VCLOUD-TOKEN-TYPE": "Bearer"})

    def _general_settings_put(self, ex: Exchange, installation: VcdInstallation) -> None:
        content_type = ex.call.headers.get("Content-Type", "")
        if not content_type.startswith(VCD_GENERAL_SETTINGS_TYPE):
            ex.json(415, _vcd_error(415, "UNSUPPORTED_MEDIA_TYPE", f"Content type {content_type} is not supported; "
                                                                   f"send {VCD_GENERAL_SETTINGS_TYPE}"))
            return
        body = ex.call.body
        if not isinstance(body, dict):
            ex.json(400, _vcd_error(400, "BAD_REQUEST", "The request body is not a GeneralSettings document"))
            return
        unknown = sorted(set(body) - set(installation.general_settings))
        if unknown:
            ex.json(400, _vcd_error(400, "BAD_REQUEST", f'Unrecognized field "{unknown[0]}"'))
            return
        for name in ("restApiBaseUri", "restApiBaseHttpUri", "tenantPortalExternalAddress",
                     "tenantPortalExternalHttpAddress", "consoleProxyExternalAddress"):
            if body.get(name) is not None and not isinstance(body[name], str):
                ex.json(400, _vcd_error(400, "BAD_REQUEST", f"{name} must be a string"))
                return
        installation.general_settings.update(body)
        ex.json(200, installation.general_settings, content_type=f"{VCD_GENERAL_SETTINGS_TYPE};version=38.0")

    @staticmethod
    def _token(ex: Exchange) -> str | None:
        scheme, _, token = ex.call.headers.get("Authorization", "").partition(" ")
        return token if scheme == "Bearer" else None


def _fields(value: Any, name: str, shape: dict[str, type]) -> str | None:
    """Exactly these fields of these JSON types (a bool is no int), as the appliance's JSON binding insists."""
    if not isinstance(value, dict):
        return f"{name} is required and must be an object"
    for key in value:
        if key not in shape:
            return f'Unrecognized field "{key}" in {name}, not marked as ignorable'
    for key, kind in shape.items():
        if key not in value:
            return f"{name}.{key} is required"
        if not isinstance(value[key], kind) or (kind is int and isinstance(value[key], bool)):
            return f"{name}.{key} must be a {'number' if kind is int else kind.__name__}"
        if kind is str and not value[key]:
            return f"{name}.{key} must not be empty"
    return None


def _vcd_general_settings(ip: str, installation_id: int) -> dict[str, Any]:
    return {
        "href": f"https://{ip}/api/admin/extension/settings/general",
        "type": VCD_GENERAL_SETTINGS_TYPE,
        "link": [],
        "absoluteSessionTimeoutMinutes": 1440,
        "activityLogDisplayDays": 30,
        "activityLogKeepDays": 90,
        "allowOverlappingExtNets": False,
        "consoleProxyExternalAddress": None,
        "hostCheckDelayInSeconds": 300,
        "hostCheckTimeoutSeconds": 30,
        "installationId": installation_id,
        "restApiBaseHttpUri": None,
        "restApiBaseUri": None,
        "sessionTimeoutMinutes": 30,
        "tenantPortalExternalAddress": None,
        "tenantPortalExternalHttpAddress": None,
        "verifyVcCertificates": False,
        "verifyVsmCertificates": False,
    }


# ---------------------------------------------------------------------------------------------
# RabbitMQ


class FakeRabbitmq(FakeAppliance):
    """A RabbitMQ 3.9 node with the management plugin on 15672.

    Settings: username and password (the administrator the appliance makes), erlang_cookie, cluster_join
    (the node name a member joins), join_seconds (how long a member takes to appear in the primary's node
    list after both have booted). Those not given are read at boot from the OVF properties
    rabbitmq_username, rabbitmq_password, erlang_cookie and rabbitmq_cluster_join, as the appliance would;
    without a password it refuses every login.
    """

    product_type = "RABBITMQ"
    ports = (15672,)
    ovf_keys = {"username": "rabbitmq_username", "password": "rabbitmq_password", "erlang_cookie": "erlang_cookie",
                "cluster_join": "rabbitmq_cluster_join"}

    def __init__(self, park, ip, *, username: str | None = None, password: str | None = None,
                 erlang_cookie: str | None = None, cluster_join: str | None = None, join_seconds: float = 0.2,
                 version: str = "3.9.13", **kwargs):
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
            if (isinstance(other, FakeRabbitmq) and other is not self and other.cluster_join == self.node_name
                    and other.erlang_cookie is not None and other.erlang_cookie == self.erlang_cookie
                    and other.booted and self.booted
                    and time.monotonic() >= max(other.booted_at, self.booted_at) + other.join_seconds):
                names.append(other.node_name)
        return names

    def answer(self, ex: Exchange) -> None:
        call = ex.call
        if self.password is None or ex.credentials != (self.username, self.password):
            ex.json(401, {"error": "not_authorized", "reason": "Login failed"},
                    {"WWW-Authenticate": 'Basic realm="RabbitMQ Management"'})
            return
        if self.starting():
            ex.text(503, "RabbitMQ is starting", "text/plain")
            return
        parts = call.path.split("/")[1:]  # raw segments: "%2F" stays one segment
        if call.method == "GET" and parts == ["api", "overview"]:
            ex.json(200, {"management_version": self.version, "rabbitmq_version": self.version,
                          "cluster_name": self.node_name, "node": self.node_name, "erlang_version": "24.3.4"})
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


# ---------------------------------------------------------------------------------------------
# Usage Meter and Tenant App: a version endpoint


class _VersionOnly(FakeAppliance):
    version_path = ""

    def __init__(self, park, ip, *, version: str, **kwargs):
        super().__init__(park, ip, **kwargs)
        self.version = version

    def answer(self, ex: Exchange) -> None:
        if self.starting():
            ex.text(503, "<html><body><h1>503 Service Temporarily Unavailable</h1></body></html>")
        elif (ex.call.method, ex.call.path) == ("GET", self.version_path):
            ex.json(200, {"version": self.version, "build": "21000000"})
        else:
            ex.json(404, {"message": f"No resource at {ex.call.path}"})


class FakeUsageMeter(_VersionOnly):
    product_type = "USAGE_METER"
    ports = (8443,)
    version_path = "/api/v1/version"

    def __init__(self, park, ip, *, version: str = "4.7.0.0", **kwargs):
        super().__init__(park, ip, version=version, **kwargs)


class FakeTenantApp(_VersionOnly):
    product_type = "VROPS_TENANT_APP"
    ports = (443,)
    version_path = "/tenant-app/api/version"

    def __init__(self, park, ip, *, version: str = "2.6.0", **kwargs):
        super().__init__(park, ip, version=version, **kwargs)


# ---------------------------------------------------------------------------------------------


class AppliancePark:
    """The appliances a test expects, by IP; booted and halted as their VMs' guests come and go."""

    kinds: dict[str, type[FakeAppliance]] = {
        "VCD": FakeVcd, "RABBITMQ": FakeRabbitmq, "USAGE_METER": FakeUsageMeter, "VROPS_TENANT_APP": FakeTenantApp,
    }

    def __init__(self, *, tls: TlsFiles, new_tls: Callable[[], TlsFiles]):
        self._tls, self._new_tls = tls, new_tls
        self._appliances: dict[str, FakeAppliance] = {}
        self._lock = threading.RLock()
        self.vcd_installations: dict[str, VcdInstallation] = {}  # by NFS share

    def expect(self, ip: str, product_type: str, *, root_password: str, **settings: Any) -> FakeAppliance:
        """An appliance of `product_type` will boot at `ip`; settings are the fake's (see its class)."""
        with self._lock:
            if ip in self._appliances:
                raise ValueError(f"an appliance is expected at {ip} already")
            kind = self.kinds[product_type]
            appliance = kind(self, ip, root_password=root_password, tls=self._tls, new_tls=self._new_tls, **settings)
            self._appliances[ip] = appliance
            return appliance

    def expects(self, ip: str) -> bool:
        return ip in self._appliances

    def __getitem__(self, ip: str) -> FakeAppliance:
        return self._appliances[ip]

    def all(self) -> list[FakeAppliance]:
        with self._lock:
            return list(self._appliances.values())

    def boot(self, ip: str, ovf: dict[str, str] | None = None) -> FakeAppliance | None:
        """Start the appliance expected at ip (nothing if none is, or it runs already), with the OVF
        properties its VM has (settings expect() was not given are read from them)."""
        with self._lock:
            appliance = self._appliances.get(ip)
            if appliance is not None:
                appliance.boot(ovf)
            return appliance

    def halt(self, ip: str) -> None:
        with self._lock:
            appliance = self._appliances.get(ip)
            if appliance is not None:
                appliance.halt()

    def stop(self) -> None:
        for appliance in self.all():
            appliance.halt()


@pytest.fixture
def appliances(vcsim_tls, vcsim_tls_factory) -> Iterator[AppliancePark]:
    """An empty park of fake appliances; every appliance is halted at the end of the test."""
    park = AppliancePark(tls=vcsim_tls, new_tls=vcsim_tls_factory)
    yield park
    park.stop()


from tests.guests import guests  # noqa: E402,F401  - the guest simulator's fixture, registered with this plugin

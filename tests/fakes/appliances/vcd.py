"""A fake VMware Cloud Director appliance: the appliance API (system setup, its tasks, the database
cluster's failover mode) and the cell (versions, provider sessions, general settings)."""

from __future__ import annotations

import json
import math
import time
import uuid
from dataclasses import dataclass, field
from typing import Any

from tests.fakes.appliances.base import Exchange, FakeAppliance

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
    """A VCD 10.5 appliance: the appliance API (its type's port "appliance", 5480 in
    production) and the cell (port "cell", 443).

    Settings: role (primary, standby or cell: its OVF deployment option), nfs_share (the one share that can
    be mounted), setup_seconds (how long the system setup runs), setup_failure (the setup task fails with
    this message), failover_failure (the failover-mode task fails with this message), version.
    """

    product_type = "VCD"
    port_names = ("appliance", "cell")

    def __init__(
        self,
        park,
        ip,
        *,
        role: str = "primary",
        nfs_share: str = "10.0.0.5:/vcd-transfer",
        setup_seconds: float = 0.2,
        setup_failure: str | None = None,
        failover_failure: str | None = None,
        version: str = "10.5.1.10593 Build 22821417",
        **kwargs,
    ):
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
        if ex.call.port == self.port("appliance"):
            self._appliance_api(ex)
        else:
            self._cell(ex)

    def _appliance_api(self, ex: Exchange) -> None:
        call = ex.call
        if ex.credentials != ("root", self.root_password):
            ex.json(
                401, _vcd_error(401, "UNAUTHORIZED", "Authentication required: the user name or password is incorrect")
            )
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
            ex.json(
                409,
                _vcd_error(409, "CONFLICT", "The appliance is already configured; system setup can be run only once"),
            )
            return
        body = ex.call.body
        problem = self._setup_problem(body)
        if problem:
            ex.json(400, _vcd_error(400, "BAD_REQUEST", problem))
            return
        if body["storage"]["nfs"] != self.nfs_share:
            ex.json(
                400,
                _vcd_error(
                    400,
                    "BAD_REQUEST",
                    f"NFS share {body['storage']['nfs']} cannot be mounted: "
                    "mount.nfs: access denied by server while mounting",
                ),
            )
            return
        installation, started = self.installation, time.monotonic()
        if self.role == "primary" and installation is not None and installation.primary_ip != self.ip:
            ex.json(
                400,
                _vcd_error(
                    400,
                    "BAD_REQUEST",
                    f"NFS share {self.nfs_share} already holds the response file of installation '{installation.name}'",
                ),
            )
            return
        if self.role == "primary":
            self.park.vcd_installations[self.nfs_share] = VcdInstallation(
                nfs_share=self.nfs_share,
                name=body["installation"]["name"],
                installation_id=body["installation"]["id"],
                sys_admin=dict(body["sysAdmin"]),
                primary_ip=self.ip,
                ready_at=math.inf if self.setup_failure else started + self.setup_seconds,
                general_settings=_vcd_general_settings(self.ip, body["installation"]["id"]),
            )
        elif installation is None or started < installation.ready_at:
            ex.json(
                400,
                _vcd_error(
                    400,
                    "BAD_REQUEST",
                    f"No response file on NFS share {self.nfs_share}: set up "
                    "the primary appliance first and wait until it has finished",
                ),
            )
            return
        self.setup_body, self.setup_started, self.task_id = body, started, str(uuid.uuid4())
        ex.empty(202, {"Location": f"https://{self.ip}:{self.port('appliance')}/api/1.0.0/tasks/{self.task_id}"})

    def _failover_mode(self, ex: Exchange, mode: str) -> None:
        """POST /api/1.0.0/nodes/failover/{desired-mode}: 202 and a task; 404 on a cell (as documented)."""
        if self.role == "cell":
            ex.json(404, _vcd_error(404, "NOT_FOUND", "API not applicable for cell-type appliances"))
            return
        if mode not in ("automatic", "manual"):
            ex.json(
                400, _vcd_error(400, "BAD_REQUEST", f"Invalid failover mode {mode}: valid values are automatic, manual")
            )
            return
        if self.setup_state() != "success":
            ex.json(400, _vcd_error(400, "BAD_REQUEST", "The appliance is not configured: run system setup first"))
            return
        standbys = [
            a
            for a in self.park.all()
            if isinstance(a, FakeVcd)
            and a.role == "standby"
            and a.nfs_share == self.nfs_share
            and a.setup_state() == "success"
        ]
        if not standbys:
            ex.json(
                400,
                _vcd_error(
                    400,
                    "BAD_REQUEST",
                    "The database cluster has no standby node: failover mode applies to an HA cluster only",
                ),
            )
            return
        task_id = str(uuid.uuid4())
        self.failover_tasks[task_id] = (mode, time.monotonic() + 0.1)
        ex.empty(202, {"Location": f"https://{self.ip}:{self.port('appliance')}/api/1.0.0/tasks/{task_id}"})

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
            return (
                f"This appliance was deployed as a {self.role} appliance (its OVF deployment option); "
                f"applianceType {kind} does not match"
            )
        problem = _fields(body.get("storage"), "storage", {"nfs": str})
        if problem:
            return problem
        if kind != "primary":
            extra = sorted(primary_only & set(body))
            return f"{extra[0]} is only valid for the primary appliance" if extra else None
        for name, shape in (
            ("appliance", {"ceip": bool, "dbPassword": str}),
            ("sysAdmin", {"username": str, "password": str, "fullName": str, "email": str}),
            ("installation", {"name": str, "id": int}),
        ):
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
                ex.json(200, installation.general_settings, content_type=f"{VCD_GENERAL_SETTINGS_TYPE};version=38.0")
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
        ex.json(
            200,
            {
                "id": f"urn:vcloud:session:{uuid.uuid4()}",
                "user": {"name": admin["username"]},
                "org": {"name": "System"},
                "roles": ["System Administrator"],
            },
            {"X-VMWARE-VCLOUD-ACCESS-TOKEN": token, "X-VMWARE-VCLOUD-TOKEN-TYPE": "Bearer"},
        )

    def _general_settings_put(self, ex: Exchange, installation: VcdInstallation) -> None:
        content_type = ex.call.headers.get("Content-Type", "")
        if not content_type.startswith(VCD_GENERAL_SETTINGS_TYPE):
            ex.json(
                415,
                _vcd_error(
                    415,
                    "UNSUPPORTED_MEDIA_TYPE",
                    f"Content type {content_type} is not supported; send {VCD_GENERAL_SETTINGS_TYPE}",
                ),
            )
            return
        body = ex.call.body
        if not isinstance(body, dict):
            ex.json(400, _vcd_error(400, "BAD_REQUEST", "The request body is not a GeneralSettings document"))
            return
        unknown = sorted(set(body) - set(installation.general_settings))
        if unknown:
            ex.json(400, _vcd_error(400, "BAD_REQUEST", f'Unrecognized field "{unknown[0]}"'))
            return
        for name in (
            "restApiBaseUri",
            "restApiBaseHttpUri",
            "tenantPortalExternalAddress",
            "tenantPortalExternalHttpAddress",
            "consoleProxyExternalAddress",
        ):
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

"""VMware Cloud Director appliances after boot: system setup through the appliance API, public addresses
through the VCD API.

Appliance API (port 5480, VCD 10.3 and later, HTTP basic authentication as root on every request):
ready is ``GET /api/1.0.0/version``; setup is ``POST /api/1.0.0/systemSetup``, which answers 202 and names a
task on the same appliance in its Location header. The task runs for many minutes; we watch it (to report a
failure at once) and wait until the cell on port 443 answers ``GET /api/versions`` with 200. Standby
appliances and cells find the installation through the NFS transfer share, where the primary's setup leaves
its response file, so they can be set up only once the primary's setup has finished (the engine's order).

With standby appliances the primary's database runs as an HA cluster; ``finish`` sets its failover mode
(properties.clusterFailoverMode) with ``POST /api/1.0.0/nodes/failover/{automatic|manual}``, which also
answers 202 with a task, and waits for that task. It runs once every node has joined, because a new cell
joins in Manual mode whatever the cluster's mode is, and a cluster whose nodes disagree is in the
"Indeterminate" mode (https://docs.vmware.com/en/VMware-Cloud-Director/10.2/VMware-Cloud-Director-Install-Configure-Upgrade-Guide/GUID-1E98051E-9266-4135-8C5C-C3E29735D25D.html).

The shape of the task document (``status``, ``message``) is our reading of the appliance: a status that
says failure fails the step, one that says running keeps waiting, any other status means the task ended.

VCD API (port 443, API version 36.0): ``finish`` logs in as the system administrator
(``POST /cloudapi/1.0.0/sessions/provider``, token in the X-VMWARE-VCLOUD-ACCESS-TOKEN header) and writes
the public addresses into ``/api/admin/extension/settings/general``.
"""

from __future__ import annotations

import contextlib
import time
from collections.abc import Iterator
from urllib.parse import urlsplit

from datacenters.pinned_http import RestClient, error_text, status_text
from datacenters.vsphere.errors import Unreachable
from lifecycle.waits import polling, wait_until
from products.appliances.base import ApplianceApi, ApplianceNode, NotReady, SetupFailed, appliance_port, setup_waits

PRODUCT = "VMware Cloud Director appliance"
API_VERSION = "36.0"
VERSION = "/api/1.0.0/version"
SYSTEM_SETUP = "/api/1.0.0/systemSetup"
VERSIONS = "/api/versions"
SESSIONS = "/cloudapi/1.0.0/sessions/provider"
SESSION_CURRENT = "/cloudapi/1.0.0/sessions/current"
GENERAL_SETTINGS = "/api/admin/extension/settings/general"
GENERAL_SETTINGS_TYPE = f"application/vnd.vmware.admin.generalSettings+json;version={API_VERSION}"
PUBLIC_ADDRESS_FIELDS = (
    "restApiBaseUri",
    "restApiBaseHttpUri",
    "tenantPortalExternalAddress",
    "tenantPortalExternalHttpAddress",
    "consoleProxyExternalAddress",
)
FAILOVER = "/api/1.0.0/nodes/failover/{mode}"
TASK_FAILED = ("failed", "error", "aborted", "cancelled", "canceled")
TASK_RUNNING = ("running", "queued", "pending", "started", "in_progress", "inprogress")


def ready(node: ApplianceNode) -> None:
    """The appliance API answers: the appliance has booted far enough to take its setup."""
    with _appliance(node) as client:
        response = client.request("GET", VERSION)
        if response.status_code == 200:
            version = client.json(response, what=VERSION)
            version = version.get("appliance") if isinstance(version, dict) else None
            node.log(f"{node.ip}: the appliance API answers (version {version or 'not given'})")
            return
    if response.status_code == 401:
        raise SetupFailed(_root_refused(node, response))
    port = appliance_port("VCD", "appliance")
    if response.status_code in (500, 502, 503, 504):
        raise NotReady(f"{node.ip}:{port} answers {status_text(response)}: the appliance is still starting")
    raise SetupFailed(
        f"{node.ip}:{port} answered GET {VERSION} with {status_text(response)}"
        f"{_said(response)}; check that this is a VMware Cloud Director 10.3 or later appliance"
    )


def setup(node: ApplianceNode) -> None:
    """System setup of this node as primary, standby or cell; returns when its cell answers."""
    timeout, poll = setup_waits("VCD")
    deadline = time.monotonic() + timeout
    body = setup_body(node)
    summary = f"NFS share {body['storage']['nfs']}"
    if node.role == "primary":
        summary += f", installation '{body['installation']['name']}' id {body['installation']['id']}"
    node.log(f"{node.ip}: system setup as {node.role} appliance ({summary})")
    with _appliance(node) as client:
        response = client.request("POST", SYSTEM_SETUP, json=body)
    task = None
    if response.status_code in (200, 201, 202, 204):
        task = urlsplit(response.headers.get("Location", "")).path or None
        node.log(f"{node.ip}: the appliance accepted the setup; waiting for its cell (up to {timeout:g} s)")
    elif response.status_code == 409:
        # A restarted deployment calls setup again: the appliance keeps the first one, so wait for its cell.
        node.log(f"{node.ip}: the appliance is set up already{_said(response)}; waiting for its cell")
    elif response.status_code == 401:
        raise SetupFailed(_root_refused(node, response))
    else:
        raise SetupFailed(
            f"{node.ip}: the appliance refused the {node.role} setup ({status_text(response)}){_said(response)}"
        )
    _cell_wait(node, task=task, deadline=deadline, timeout=timeout, poll=poll)


def setup_body(node: ApplianceNode) -> dict:
    """The systemSetup document for this node (the primary's carries the installation and its administrator)."""
    properties = node.properties
    body = {"applianceType": node.role, "storage": {"nfs": properties["nfsMount"]}}
    if node.role == "primary":
        if not node.product.get("adminPassword"):
            raise SetupFailed("the product has no adminPassword: VCD's system administrator needs one")
        body["appliance"] = {"ceip": False, "dbPassword": properties["dbPassword"]}
        body["sysAdmin"] = {
            "username": properties["adminUsername"],
            "password": node.product["adminPassword"],
            "fullName": properties["adminFullName"],
            "email": properties["adminEmail"],
        }
        body["installation"] = {"name": properties["systemName"], "id": int(properties["installationId"])}
    return body


def finish(primary: ApplianceNode) -> None:
    """Once every node is set up: the database cluster's failover mode, then the public addresses."""
    _failover_mode_set(primary)
    _public_addresses_set(primary)


def _failover_mode_set(primary: ApplianceNode) -> None:
    """properties.clusterFailoverMode on the primary's appliance API, when standbys make an HA cluster."""
    mode = str(primary.properties.get("clusterFailoverMode") or "").lower()
    standbys = [node.ip for node in primary.nodes if node.role == "standby"]
    if not mode:
        primary.log(f"{primary.ip}: no clusterFailoverMode given; the database cluster keeps its failover mode")
        return
    if not standbys:
        primary.log(
            f"{primary.ip}: no standby appliance, so no database HA cluster: clusterFailoverMode "
            f"{mode.upper()} does not apply"
        )
        return
    path = FAILOVER.format(mode=mode)
    with _appliance(primary) as client:
        response = client.request("POST", path)
    if response.status_code == 401:
        raise SetupFailed(_root_refused(primary, response))
    if response.status_code not in (200, 201, 202, 204):
        raise SetupFailed(
            f"{primary.ip}: the appliance refused failover mode {mode.upper()} ({status_text(response)})"
            f"{_said(response)}"
        )
    task = urlsplit(response.headers.get("Location", "")).path or None
    if task:
        timeout, poll = setup_waits("VCD")
        _task_wait(primary, task, what=f"setting failover mode {mode.upper()}", timeout=timeout, poll=poll)
    primary.log(f"{primary.ip}: database cluster failover mode {mode.upper()} (standby: {', '.join(standbys)})")


def _public_addresses_set(primary: ApplianceNode) -> None:
    """Public addresses (properties.publicAddress) into VCD's general settings, when any are given."""
    public = primary.properties.get("publicAddress") or {}
    wanted = {name: public[name] for name in PUBLIC_ADDRESS_FIELDS if public.get(name)}
    if not wanted:
        primary.log(f"{primary.ip}: no publicAddress given; VCD keeps the addresses of its cells")
        return
    with _vcd_session(primary) as (client, headers):
        response = client.request("GET", GENERAL_SETTINGS, headers=headers)
        if response.status_code != 200:
            raise SetupFailed(
                f"{primary.ip}: VCD did not give its general settings ({status_text(response)}){_said(response)}"
            )
        settings = client.json(response, what=GENERAL_SETTINGS)
        if not isinstance(settings, dict):
            raise SetupFailed(f"{primary.ip}: VCD answered {GENERAL_SETTINGS} with an unexpected document")
        settings.update(wanted)
        response = client.request(
            "PUT", GENERAL_SETTINGS, json=settings, headers={**headers, "Content-Type": GENERAL_SETTINGS_TYPE}
        )
        if response.status_code not in (200, 202):
            raise SetupFailed(
                f"{primary.ip}: VCD refused the public addresses ({status_text(response)}){_said(response)}"
            )
    primary.log(f"{primary.ip}: public addresses set: " + ", ".join(f"{k} {v}" for k, v in wanted.items()))


appliance = ApplianceApi(ready=ready, setup=setup, finish=finish)


# ---------------------------------------------------------------------------------------------


def _cell_wait(node: ApplianceNode, *, task: str | None, deadline: float, timeout: float, poll: float) -> None:
    def attempt() -> str | None:
        if task:
            failure = _task_failure(node, task)
            if failure:
                raise SetupFailed(f"{node.ip}: the {node.role} setup failed: {failure}")
        try:
            cell = node.client(appliance_port("VCD", "cell"), product="VMware Cloud Director")
            with contextlib.closing(cell) as client:
                response = client.request("GET", VERSIONS)
        except Unreachable as exc:  # the cell starts (and restarts) during setup
            return exc.message
        if response.status_code == 200:
            node.log(f"{node.ip}: the cell answers GET {VERSIONS}; setup complete")
            return None
        return f"GET {VERSIONS} answered {status_text(response)}"

    wait_until(
        attempt,
        what=f"the cell of {node.ip}",
        timeout=max(0.0, deadline - time.monotonic()),
        pause=polling(poll),
        check=node.check,
        gave_up=lambda last: SetupFailed(
            f"{node.ip}: the cell did not come up within {timeout:g} s of the {node.role} setup (last: {last.waiting})"
        ),
    )


def _task_wait(node: ApplianceNode, task: str, *, what: str, timeout: float, poll: float) -> None:
    """Until the appliance task ends; SetupFailed when it fails or outlasts `timeout`."""

    def attempt() -> str | None:
        status, failure = _task_read(node, task)
        if failure:
            raise SetupFailed(f"{node.ip}: {what} failed: {failure}")
        if status is not None and status not in TASK_RUNNING:
            return None
        return status or "not readable"

    wait_until(
        attempt,
        what=what,
        timeout=timeout,
        pause=polling(poll),
        check=node.check,
        gave_up=lambda last: SetupFailed(
            f"{node.ip}: {what} did not end within {timeout:g} s (its task {task} is {last.waiting})"
        ),
    )


def _task_failure(node: ApplianceNode, task: str) -> str | None:
    """The failure the setup task reports, or None (running, done, or no longer known to the appliance)."""
    return _task_read(node, task)[1]


def _task_read(node: ApplianceNode, task: str) -> tuple[str | None, str | None]:
    """(status in lower case, failure) of an appliance task; (None, None) when it cannot be read now (the
    appliance restarts services during setup, and forgets its tasks when it reboots)."""
    try:
        with _appliance(node) as client:
            response = client.request("GET", task)
    except Unreachable:
        return None, None
    if response.status_code != 200:
        return None, None
    try:
        document = response.json()
    except ValueError:
        return None, None
    if not isinstance(document, dict):
        return None, None
    status = str(document.get("status", "")).lower() or None
    if status not in TASK_FAILED:
        return status, None
    return status, (
        error_text(response) or str(document.get("errorMessage") or document.get("error") or "no reason given")
    )


@contextlib.contextmanager
def _appliance(node: ApplianceNode) -> Iterator[RestClient]:
    client = node.client(appliance_port("VCD", "appliance"), product=PRODUCT)
    client.session.auth = ("root", node.root_password)
    try:
        yield client
    finally:
        client.close()


@contextlib.contextmanager
def _vcd_session(primary: ApplianceNode) -> Iterator[tuple[RestClient, dict[str, str]]]:
    """A provider session as the system administrator; the headers carry its token."""
    username = f"{primary.properties.get('adminUsername') or 'administrator'}@System"
    password = primary.product.get("adminPassword")
    if not password:
        raise SetupFailed("the product has no adminPassword: cannot log in to VCD as its system administrator")
    client = primary.client(appliance_port("VCD", "cell"), product="VMware Cloud Director")
    try:
        response = client.request(
            "POST", SESSIONS, auth=(username, password), headers={"Accept": f"application/json;version={API_VERSION}"}
        )
        token = response.headers.get("X-VMWARE-VCLOUD-ACCESS-TOKEN")
        if response.status_code in (401, 403):
            raise SetupFailed(f"{primary.ip}: VCD refused the login of {username}{_said(response)}")
        if response.status_code != 200 or not token:
            raise SetupFailed(
                f"{primary.ip}: VCD gave no session to {username} ({status_text(response)}){_said(response)}"
            )
        primary.log(f"{primary.ip}: logged in to VCD as {username}")
        headers = {"Authorization": f"Bearer {token}", "Accept": f"application/*+json;version={API_VERSION}"}
        try:
            yield client, headers
        finally:
            with contextlib.suppress(Exception):  # the session expires by itself
                client.request("DELETE", SESSION_CURRENT, headers=headers)
    finally:
        client.close()


def _root_refused(node: ApplianceNode, response) -> str:
    return (
        f"{node.ip}: the appliance refused the root password ({status_text(response)}{_said(response, ': ')}); "
        "check the node's rootPassword"
    )


def _said(response, prefix: str = ": ") -> str:
    text = error_text(response)
    return f"{prefix}{text}" if text else ""

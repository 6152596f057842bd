"""RabbitMQ appliances after boot, through the management HTTP API (https, port 15672, basic authentication).

How the cluster settings reach the appliance: as OVF properties (the ``ovf_key`` of the type's properties),
read by the appliance at first boot: ``rabbitmq_username`` and ``rabbitmq_password`` (the AMQP user, an
administrator of the management API), ``erlang_cookie`` (the cluster's shared secret) and ``amqp_port``.
A member node also needs the node it joins, ``rabbitmq_cluster_join`` = ``rabbit@<primary's short host
name>``: that value comes from another node, which the type's declarations cannot express, so the
deployment engine must add it to the members' OVF properties. The management API cannot make a node join a
cluster, so the joining is the appliance's own doing; we watch it from the primary.

ready: ``GET /api/overview`` answers as the configured user. setup on the primary: the virtual host
(``PUT /api/vhosts/<vhost>``) and the user's permissions on it (``PUT /api/permissions/<vhost>/<user>``),
names percent-encoded ("/" is %2F). setup on a member: wait until the primary's ``GET /api/nodes`` lists
``rabbit@<member's short host name>``.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from urllib.parse import quote

from datacenters.pinned_http import RestClient, error_text, status_text
from datacenters.vsphere.errors import Unreachable
from lifecycle.waits import polling, wait_until
from products.appliances.base import ApplianceApi, ApplianceNode, NotReady, SetupFailed, appliance_port, setup_waits

PRODUCT = "RabbitMQ management API"
OVERVIEW = "/api/overview"
NODES = "/api/nodes"
ALL = ".*"


def ready(node: ApplianceNode) -> None:
    with _management(node) as client:
        response = client.request("GET", OVERVIEW)
        if response.status_code == 200:
            overview = client.json(response, what=OVERVIEW)
            overview = overview if isinstance(overview, dict) else {}
            node.log(
                f"{node.ip}: RabbitMQ {overview.get('rabbitmq_version') or '(version not given)'} answers as "
                f"{overview.get('node') or node_name(node)}"
            )
            return
    if response.status_code == 401:
        raise SetupFailed(
            f"{node.ip}: RabbitMQ refused the user {node.properties['username']} "
            f"({status_text(response)}{_said(response, ': ')}); check the username and password"
        )
    port = appliance_port("RABBITMQ", "management")
    if response.status_code in (500, 502, 503, 504):
        raise NotReady(f"{node.ip}:{port} answers {status_text(response)}: RabbitMQ is still starting")
    raise SetupFailed(
        f"{node.ip}:{port} answered GET {OVERVIEW} with {status_text(response)}{_said(response)}; "
        "check that this is a RabbitMQ appliance"
    )


def setup(node: ApplianceNode) -> None:
    if node.is_primary:
        _vhost_setup(node)
    else:
        _joined_wait(node)


def node_name(node: ApplianceNode) -> str:
    """RabbitMQ's name of the node: rabbit@ and the short host name."""
    return f"rabbit@{node.host_name.split('.')[0]}"


appliance = ApplianceApi(ready=ready, setup=setup)


# ---------------------------------------------------------------------------------------------


def _vhost_setup(node: ApplianceNode) -> None:
    vhost, user = node.properties.get("vhost") or "/", node.properties["username"]
    with _management(node) as client:
        response = client.request("PUT", f"/api/vhosts/{quote(vhost, safe='')}", json={})
        _check(node, response, f"creating the virtual host '{vhost}'")
        node.log(f"{node.ip}: virtual host '{vhost}' " + ("created" if response.status_code == 201 else "exists"))
        response = client.request(
            "PUT",
            f"/api/permissions/{quote(vhost, safe='')}/{quote(user, safe='')}",
            json={"configure": ALL, "write": ALL, "read": ALL},
        )
        _check(node, response, f"granting {user} all permissions on '{vhost}'")
        node.log(f"{node.ip}: {user} may configure, write and read everything on '{vhost}'")


def _joined_wait(node: ApplianceNode) -> None:
    primary = node.primary
    if primary is None:
        raise SetupFailed(f"{node.ip}: a member node needs the primary to join")
    timeout, poll = setup_waits("RABBITMQ")
    name = node_name(node)
    node.log(f"{node.ip}: waiting for {name} to join the cluster of {node_name(primary)} (up to {timeout:g} s)")

    def attempt() -> str | None:
        try:
            with _management(primary) as client:
                response = client.request("GET", NODES)
                if response.status_code == 200:
                    nodes = client.json(response, what=NODES)
                    names = [n.get("name") for n in nodes if isinstance(n, dict)] if isinstance(nodes, list) else []
                    if name in names:
                        node.log(f"{node.ip}: {name} is in the cluster ({', '.join(sorted(map(str, names)))})")
                        return None
                    return "the primary lists " + (", ".join(sorted(map(str, names))) or "no nodes")
        except Unreachable as exc:
            return exc.message
        if response.status_code == 401:
            raise SetupFailed(
                f"{primary.ip}: RabbitMQ refused the user {primary.properties['username']}{_said(response)}"
            )
        return f"GET {NODES} on {primary.ip} answered {status_text(response)}{_said(response)}"

    wait_until(
        attempt,
        what=f"{name} to join the cluster",
        timeout=timeout,
        pause=polling(poll),
        check=node.check,
        gave_up=lambda last: SetupFailed(
            f"{node.ip}: {name} did not join the cluster of {node_name(primary)} "
            f"within {timeout:g} s ({last.waiting}); check the erlang cookie and "
            "that the nodes resolve each other's host names"
        ),
    )


def _check(node: ApplianceNode, response, what: str) -> None:
    if response.status_code in (200, 201, 204):
        return
    raise SetupFailed(f"{node.ip}: RabbitMQ refused {what} ({status_text(response)}){_said(response)}")


@contextlib.contextmanager
def _management(node: ApplianceNode) -> Iterator[RestClient]:
    client = node.client(appliance_port("RABBITMQ", "management"), product=PRODUCT)
    client.session.auth = (node.properties["username"], node.properties["password"])
    try:
        yield client
    finally:
        client.close()


def _said(response, prefix: str = ": ") -> str:
    """RabbitMQ's own reason ({"error": …, "reason": …}), else the common JSON error fields."""
    try:
        body = response.json()
    except ValueError:
        body = None
    text = str(body.get("reason") or body.get("error") or "") if isinstance(body, dict) else ""
    text = text.strip()[:500] or error_text(response)
    return f"{prefix}{text}" if text else ""

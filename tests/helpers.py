"""Helpers the tests share: watching tasks run in a real worker, a browser that remembers its pages, and
datacenter components (their specs for the API, and stored ones without a server behind them)."""

import time
from collections.abc import Callable

from django.utils import timezone

from datacenters.models import DatacenterComponent, InventoryObject
from lifecycle.engine.models import Status, Task


def task_wait(task_id: int, *, timeout: float = 60, status: tuple[str, ...] = Status.finished()) -> Task:
    """Poll the database (as the pages do) until the task reaches one of `status`."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        task = Task.objects.get(pk=task_id)
        if task.status in status:
            return task
        time.sleep(0.05)
    raise AssertionError(f"task {task_id} is still {task.status} after {timeout}s:\n{task_story(task)}")


def task_story(task: Task) -> str:
    """Every action of the task's attempts with its status, message and log: what a failing test shows."""
    return "\n".join(
        f"  {a.name} {a.item} (attempt {a.attempt}) {a.status}: {a.message}\n{a.log}"
        for a in task.actions.order_by("attempt", "position")
    )


def action_wait(task_id: int, name: str, status: "str | Callable", *, timeout: float = 30):
    """The first action of that name in the task's latest attempt that reached `status` (or for which
    `status(action)` holds)."""
    from lifecycle.engine.models import Action

    matches = status if callable(status) else (lambda action: action.status == status)
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        latest = Action.objects.filter(task_id=task_id).order_by("-attempt").values_list("attempt", flat=True).first()
        for action in Action.objects.filter(task_id=task_id, name=name, attempt=latest).order_by("position"):
            if matches(action):
                return action
        time.sleep(0.02)
    raise AssertionError(f"action {name} of task {task_id} never reached {status}")


class Pages:
    """A logged-in browser that keeps every page it was shown, to check none shows a secret."""

    def __init__(self, client):
        self.client = client
        self.seen: list[str] = []

    def get(self, url, data=None, **extra):
        return self._keep(self.client.get(url, data, **extra))

    def post(self, url, data=None, **extra):
        return self._keep(self.client.post(url, data, **extra))

    def _keep(self, response):
        if not getattr(response, "streaming", False):
            self.seen.append(response.content.decode())
        return response

    def assert_never_shown(self, *secrets: str) -> None:
        assert self.seen
        for secret in secrets:
            assert not any(secret in page for page in self.seen), secret


def task_accepted_wait(answer) -> Task:
    """The task a 202 answer started, once it has ended."""
    assert answer.status_code == 202, answer.content
    assert set(answer.json()) == {"taskId", "precedingTasks"}
    return task_wait(answer.json()["taskId"])


# --- datacenter components ---


def component_spec(
    server, *, name: str = "vc01", component_type: str = "VCENTER", purpose: str = "management", **changes
) -> dict:
    """The API's spec registering `server` (vcsim or a fake NSX-T / vROps), its certificate accepted."""
    spec = {
        "componentName": name,
        "datacenterComponentType": component_type,
        "fqdn": server.fqdn,
        "port": server.port,
        "username": server.username,
        "password": server.password,
        "purpose": purpose,
        "tags": ["lab"],
        "content": {"certificate": {"thumbprint": server.certificate.thumbprint}},
    }
    spec.update(changes)
    return spec


def datacenter_register(api, spec, action=None):
    return api.post("/api/v1/datacenters" + (f"?action={action}" if action else ""), spec, format="json")


def vcenter_stored(
    name: str = "vc1", *, password: str = "pw", port_group: str = "pg-mgmt", vm_network: bool = True, **fields
) -> DatacenterComponent:
    """A vCenter as a discovery leaves it, with no server behind it: the distributed port group `port_group`
    (VLAN 120) and, with `vm_network`, the standard port group "VM Network"."""
    component = DatacenterComponent.objects.create(
        component_name=name,
        fqdn="vc.example.test",
        username="administrator@vsphere.local",
        password=password,
        certificate_pem="-",
        certificate_thumbprint="AB",
        discovered_at=timezone.now(),
        **fields,
    )
    InventoryObject.objects.create(
        component=component,
        kind="network",
        moref="dvportgroup-11",
        name=port_group,
        datacenter="DC1",
        path=f"/DC1/network/{port_group}",
        parent_moref="group-n5",
        properties={"type": "DistributedVirtualPortgroup", "switch": "dvs-1", "uplink": False, "vlan": 120},
    )
    if vm_network:
        InventoryObject.objects.create(
            component=component,
            kind="network",
            moref="network-7",
            name="VM Network",
            datacenter="DC1",
            path="/DC1/network/VM Network",
            properties={"type": "Network", "vlan": None},
        )
    return component

"""vCenter registration through the REST API, run by a real worker against vcsim."""

import pytest
from django.db import connection

from datacenters.models import DatacenterComponent
from lifecycle.engine.models import Status, Task
from tests.helpers import component_spec, datacenter_register, task_accepted_wait, task_wait

pytestmark = [pytest.mark.worker, pytest.mark.vcsim]


@pytest.mark.django_db(transaction=True)
def test_register_discovers_the_inventory_and_never_returns_the_password(api, vcsim, worker):
    task = task_accepted_wait(datacenter_register(api, component_spec(vcsim)))
    assert task.status == Status.SUCCESS, task.message
    detail = api.get(f"/api/v1/tasks/{task.pk}").json()
    assert [s["name"] for s in detail["subTasks"]] == [
        "certificate_verify",
        "login",
        "about_read",
        "inventory_discover",
        "component_create",
    ]
    assert all(s["status"] == "SUCCESS" for s in detail["subTasks"])
    assert detail["target"] == {"type": "datacenter", "name": "vc01"}

    component = api.get("/api/v1/datacenters/vc01").json()
    assert component["password"] == "$encrypted$"
    assert component["version"] and component["content"]["certificate"]["thumbprint"] == vcsim.certificate.thumbprint
    content = component["content"]
    assert [d["name"] for d in content["datacenters"]] == ["DC0"]
    assert [c["name"] for c in content["clusters"]] == ["DC0_C0"]
    assert {h["name"] for h in content["hosts"]} >= {"DC0_H0"} and len(content["hosts"]) == 4
    assert {p["path"] for p in content["resourcePools"]} >= {"/DC0/host/DC0_C0/Resources"}
    (datastore,) = content["datastores"]
    assert datastore["name"] == "LocalDS_0" and datastore["capacity"] > 0 and datastore["freeSpace"] > 0
    assert {"DC0_DVPG0", "VM Network"} <= {n["name"] for n in content["networks"]}
    assert "/DC0/vm" in {f["path"] for f in content["folders"]}

    raw = " ".join(
        map(str, DatacenterComponent.objects.filter(component_name="vc01").values_list("password", flat=True))
    )
    with connection.cursor() as cursor:
        cursor.execute("SELECT password FROM datacenters_datacentercomponent")
        stored = cursor.fetchone()[0]
    assert vcsim.password in raw and vcsim.password not in stored  # readable in Python, ciphertext in the table
    for url in (
        "/api/v1/datacenters",
        "/api/v1/datacenters/vc01",
        f"/api/v1/tasks/{task.pk}",
        f"/api/v1/tasks/{task.pk}/request",
        "/api/v1/tasks",
    ):
        assert vcsim.password not in api.get(url).content.decode()
    assert api.get(f"/api/v1/tasks/{task.pk}/request").json()["password"] == "$encrypted$"


@pytest.mark.django_db(transaction=True)
def test_validate_checks_everything_and_stores_nothing(api, vcsim, worker):
    task = task_accepted_wait(datacenter_register(api, component_spec(vcsim), action="VALIDATE"))
    assert task.status == Status.SUCCESS, task.message
    assert task.operation == "datacenter.validate"
    assert not DatacenterComponent.objects.exists()


@pytest.mark.django_db(transaction=True)
def test_wrong_password_fails_plainly_and_a_restart_with_the_right_one_succeeds(api, vcsim, worker):
    task = task_accepted_wait(datacenter_register(api, component_spec(vcsim, password="not-the-password")))
    assert task.status == Status.ERROR
    login = task.actions.get(name="login")
    assert login.message.startswith("login refused for administrator@vsphere.local")
    assert task.message.startswith("Connect and log in: login refused for administrator@vsphere.local")
    assert "not-the-password" not in login.message + login.log
    assert not DatacenterComponent.objects.exists()

    corrected = api.get(f"/api/v1/tasks/{task.pk}/request").json()
    corrected["password"] = vcsim.password
    answer = api.post(f"/api/v1/tasks/{task.pk}/restart", {"request": corrected}, format="json")
    done = task_accepted_wait(answer)
    assert done.status == Status.SUCCESS, done.message
    assert done.attempt == 2
    assert sorted(done.actions.filter(attempt=2).values_list("name", flat=True)) == [
        "about_read",
        "component_create",
        "inventory_discover",
        "login",
    ]
    assert DatacenterComponent.objects.get().component_name == "vc01"


@pytest.mark.django_db(transaction=True)
def test_closed_port_fails_the_task_with_a_plain_message(api, vcsim, worker):
    spec = component_spec(vcsim)
    vcsim.stop()
    task = task_accepted_wait(datacenter_register(api, spec))
    assert task.status == Status.ERROR
    assert task.actions.get(name="certificate_verify").message == (
        f"cannot connect to {vcsim.fqdn}:{vcsim.port}: connection refused"
    )
    assert not DatacenterComponent.objects.exists()


@pytest.mark.django_db(transaction=True)
def test_a_changed_certificate_is_refused_until_the_user_accepts_the_new_one(api, vcsim, worker):
    assert task_accepted_wait(datacenter_register(api, component_spec(vcsim))).status == Status.SUCCESS
    old = vcsim.certificate.thumbprint
    new = vcsim.restart_with_new_certificate().thumbprint
    task = task_accepted_wait(api.post("/api/v1/datacenters/vc01/discover"))
    assert task.status == Status.ERROR
    message = task.actions.get(name="certificate_verify").message
    assert "has changed" in message and new in message and old in message
    assert DatacenterComponent.objects.get().certificate_thumbprint == old  # nothing stored changed

    # Sending the old thumbprint again is refused at once, naming what the server presents now.
    stale = api.put("/api/v1/datacenters/vc01", {"content": {"certificate": {"thumbprint": old}}}, format="json")
    assert stale.status_code == 400, stale.json()
    assert new in stale.json()["errors"]["content.certificate.thumbprint"][0], stale.json()
    accepted = api.put("/api/v1/datacenters/vc01", {"content": {"certificate": {"thumbprint": new}}}, format="json")
    assert task_accepted_wait(accepted).status == Status.SUCCESS
    assert DatacenterComponent.objects.get().certificate_thumbprint == new
    assert task_accepted_wait(api.post("/api/v1/datacenters/vc01/discover")).status == Status.SUCCESS


@pytest.mark.django_db(transaction=True)
def test_refused_requests_name_the_field_and_change_nothing(api, vcsim, worker):
    missing = datacenter_register(api, component_spec(vcsim, content={}))
    assert missing.status_code == 400
    problem = missing.json()["errors"]["content.certificate.thumbprint"][0]
    assert vcsim.certificate.thumbprint in problem  # shows what the server presented

    wrong = datacenter_register(api, component_spec(vcsim, content={"certificate": {"thumbprint": "AB:" * 31 + "AB"}}))
    assert wrong.status_code == 400 and vcsim.certificate.thumbprint in wrong.json()["message"]

    bad_fqdn = datacenter_register(api, component_spec(vcsim, fqdn="not a host!"))
    assert bad_fqdn.status_code == 400
    assert bad_fqdn.json()["errors"]["fqdn"] == ["'not a host!' is not a valid host name or IP address"]

    bad_port = datacenter_register(api, component_spec(vcsim, port="https"))
    assert bad_port.status_code == 400 and "port" in bad_port.json()["errors"]
    assert datacenter_register(api, component_spec(vcsim, componentName="has/slash")).json()["errors"].keys() == {
        "componentName"
    }
    missing_fields = datacenter_register(api, {"datacenterComponentType": "VCENTER"}).json()["errors"]
    assert {"componentName", "fqdn", "username", "password"} <= set(missing_fields)
    not_json = api.post("/api/v1/datacenters", "{not json", content_type="application/json")
    assert not_json.status_code == 400 and "message" in not_json.json()
    assert not Task.objects.exists()

    assert task_accepted_wait(datacenter_register(api, component_spec(vcsim))).status == Status.SUCCESS
    duplicate = datacenter_register(api, component_spec(vcsim))
    assert duplicate.status_code == 400
    assert duplicate.json()["errors"] == {"componentName": ["a datacenter component named 'vc01' already exists"]}
    assert Task.objects.count() == 1


@pytest.mark.django_db(transaction=True)
def test_a_second_registration_of_a_pending_name_is_refused(api, vcsim, worker):
    first = datacenter_register(api, component_spec(vcsim))
    assert first.status_code == 202
    second = datacenter_register(api, component_spec(vcsim))
    if Task.objects.get(pk=first.json()["taskId"]).is_finished:
        assert "already exists" in second.json()["errors"]["componentName"][0]
    else:
        assert "being registered already" in second.json()["errors"]["componentName"][0]
    task_wait(first.json()["taskId"])


@pytest.mark.django_db(transaction=True)
def test_delete_removes_the_component_and_its_inventory(api, vcsim, worker):
    assert task_accepted_wait(datacenter_register(api, component_spec(vcsim))).status == Status.SUCCESS
    discover = api.post("/api/v1/datacenters/vc01/discover")
    delete = api.delete("/api/v1/datacenters/vc01")
    assert delete.json()["precedingTasks"] == [discover.json()["taskId"]]  # queued behind the discovery
    assert task_accepted_wait(delete).status == Status.SUCCESS
    assert api.get("/api/v1/datacenters/vc01").status_code == 404
    assert api.get("/api/v1/datacenters").json()["count"] == 0
    from datacenters.models import InventoryObject

    assert not InventoryObject.objects.exists()

"""NSX-T Manager and vRealize Operations Manager components through the REST API, run by a real worker
against fakes of their documented APIs: register, validate, update, discover and their failures."""

import pytest

from datacenters.models import DatacenterComponent
from lifecycle.engine.models import Status, Task
from lifecycle.secrets import secret_store
from tests.helpers import component_spec, datacenter_register, task_accepted_wait

pytestmark = pytest.mark.worker

TYPES = {"NSXT": ("nsxt", "nsx01"), "VROPS": ("vrops", "vrops01")}


@pytest.fixture(params=list(TYPES))
def server(request):
    """(component type, the fake server, its component name) for each REST-speaking type."""
    prefix, name = TYPES[request.param]
    return request.param, request.getfixturevalue(prefix), name


def spec_for(component_type: str, fake, name: str, **changes) -> dict:
    return component_spec(fake, name=name, component_type=component_type, purpose="integration", **changes)


@pytest.mark.django_db(transaction=True)
def test_register_records_version_and_identity(api, server, worker):
    component_type, fake, name = server
    prefix = TYPES[component_type][0]
    task = task_accepted_wait(datacenter_register(api, spec_for(component_type, fake, name)))
    assert task.status == Status.SUCCESS, task.message
    assert task.operation == f"{prefix}.register"
    detail = api.get(f"/api/v1/tasks/{task.pk}").json()
    assert [s["name"] for s in detail["subTasks"]] == ["certificate_verify", "login", "about_read", "component_create"]

    component = api.get(f"/api/v1/datacenters/{name}").json()
    assert component["datacenterComponentType"] == component_type and component["password"] == "$encrypted$"
    assert component["content"] == {"certificate": component["content"]["certificate"]}  # no inventory
    assert component["content"]["certificate"]["thumbprint"] == fake.certificate.thumbprint
    assert component["discoveredAt"]
    about = component["properties"]["about"]
    if component_type == "NSXT":
        assert (component["version"], component["build"]) == ("3.2.1", "19283092")
        assert about["nodeUuid"] == fake.node_uuid and about["clusterId"] == fake.cluster_id
        assert about["hostname"] == "nsxmgr-01"
    else:
        assert (component["version"], component["build"]) == ("8.10.0", "20470213")
        assert about["fullName"] == "vRealize Operations Manager 8.10.0" and about["nodeStatus"] == "ONLINE"
        assert fake.acquired == fake.released and not fake.tokens  # every session was ended
    login = task.actions.get(name="login")
    assert f"logged in to {fake.fqdn}:{fake.port} as admin" in login.log
    for url in (
        "/api/v1/datacenters",
        f"/api/v1/datacenters/{name}",
        f"/api/v1/tasks/{task.pk}",
        f"/api/v1/tasks/{task.pk}/request",
    ):
        assert fake.password not in api.get(url).content.decode()
    listed = api.get("/api/v1/datacenters").json()["results"]
    assert [(c["componentName"], c["datacenterComponentType"]) for c in listed] == [(name, component_type)]


@pytest.mark.django_db(transaction=True)
def test_validate_checks_everything_and_stores_nothing(api, server, worker):
    component_type, fake, name = server
    task = task_accepted_wait(datacenter_register(api, spec_for(component_type, fake, name), action="VALIDATE"))
    assert task.status == Status.SUCCESS, task.message
    assert task.operation == f"{TYPES[component_type][0]}.validate"
    assert [a.name for a in task.actions.all()] == ["certificate_verify", "login", "about_read"]
    assert not DatacenterComponent.objects.exists()


@pytest.mark.django_db(transaction=True)
def test_discover_reads_version_and_identity_again(api, server, worker):
    component_type, fake, name = server
    assert task_accepted_wait(datacenter_register(api, spec_for(component_type, fake, name))).status == Status.SUCCESS
    if component_type == "NSXT":
        fake.product_version, fake.hostname = "3.2.2.0.0.20737288", "nsxmgr-02"
    else:
        fake.version = lambda: {
            "releaseName": "vRealize Operations Manager 8.10.2",
            "major": 8,
            "minor": 10,
            "minorMinor": 2,
            "buildNumber": 21178503,
            "releasedDate": 1677000000000,
            "humanlyReadableReleaseDate": "February 21, 2023",
        }
    task = task_accepted_wait(api.post(f"/api/v1/datacenters/{name}/discover"))
    assert task.status == Status.SUCCESS, task.message
    assert task.operation == f"{TYPES[component_type][0]}.discover"
    component = DatacenterComponent.objects.get(component_name=name)
    assert component.version == ("3.2.2" if component_type == "NSXT" else "8.10.2")
    if component_type == "NSXT":
        assert component.properties["about"]["hostname"] == "nsxmgr-02"


@pytest.mark.django_db(transaction=True)
def test_wrong_password_fails_at_login_and_stores_nothing(api, server, worker):
    component_type, fake, name = server
    task = task_accepted_wait(
        datacenter_register(api, spec_for(component_type, fake, name, password="not-the-password"))
    )
    assert task.status == Status.ERROR
    login = task.actions.get(name="login")
    assert login.message.startswith("login refused for admin")
    assert "not-the-password" not in login.message + login.log + task.message
    assert task.actions.get(name="about_read").status == Status.NOT_STARTED
    assert not DatacenterComponent.objects.exists()


@pytest.mark.django_db(transaction=True)
def test_closed_port_fails_plainly(api, server, worker):
    component_type, fake, name = server
    spec = spec_for(component_type, fake, name)
    fake.stop()
    task = task_accepted_wait(datacenter_register(api, spec))
    assert task.status == Status.ERROR
    assert task.actions.get(name="certificate_verify").message == (
        f"cannot connect to {fake.fqdn}:{fake.port}: connection refused"
    )


@pytest.mark.django_db(transaction=True)
def test_a_changed_certificate_is_refused_until_the_user_accepts_it(api, server, worker):
    component_type, fake, name = server
    assert task_accepted_wait(datacenter_register(api, spec_for(component_type, fake, name))).status == Status.SUCCESS
    old = fake.certificate.thumbprint
    new = fake.restart_with_new_certificate().thumbprint
    task = task_accepted_wait(api.post(f"/api/v1/datacenters/{name}/discover"))
    assert task.status == Status.ERROR
    message = task.actions.get(name="certificate_verify").message
    assert "has changed" in message and new in message and old in message
    assert task.actions.get(name="login").status == Status.NOT_STARTED  # no credentials went to it

    accepted = api.put(f"/api/v1/datacenters/{name}", {"content": {"certificate": {"thumbprint": new}}}, format="json")
    assert task_accepted_wait(accepted).status == Status.SUCCESS
    assert DatacenterComponent.objects.get(component_name=name).certificate_thumbprint == new
    assert task_accepted_wait(api.post(f"/api/v1/datacenters/{name}/discover")).status == Status.SUCCESS


@pytest.mark.django_db(transaction=True)
def test_vrops_answering_unknown_token_fails_plainly(api, vrops, worker):
    vrops.refuse_tokens = True
    task = task_accepted_wait(datacenter_register(api, spec_for("VROPS", vrops, "vrops01")))
    assert task.status == Status.ERROR
    login = task.actions.get(name="login")
    assert "refused the token it had just issued for admin" in login.message
    assert not DatacenterComponent.objects.exists()


@pytest.mark.django_db(transaction=True)
def test_an_update_with_a_wrong_password_stores_nothing_and_the_old_one_keeps_working(api, server, worker):
    component_type, fake, name = server
    assert task_accepted_wait(datacenter_register(api, spec_for(component_type, fake, name))).status == Status.SUCCESS
    before = DatacenterComponent.objects.get(component_name=name)

    task = task_accepted_wait(
        api.put(f"/api/v1/datacenters/{name}", {"password": "a-wrong-password", "purpose": "changed"}, format="json")
    )
    assert task.status == Status.ERROR
    assert task.operation == f"{TYPES[component_type][0]}.update"
    assert task.actions.get(name="login").message.startswith("login refused for admin")
    assert task.actions.get(name="component_update").status == Status.NOT_STARTED
    after = DatacenterComponent.objects.get(component_name=name)
    assert (after.password, after.purpose, after.updated_at) == (fake.password, "integration", before.updated_at)

    assert (
        task_accepted_wait(api.post(f"/api/v1/datacenters/{name}/discover")).status == Status.SUCCESS
    )  # old credentials work


@pytest.mark.django_db(transaction=True)
def test_a_password_may_be_a_stored_secret_reference(api, nsxt, worker):
    ref = secret_store(nsxt.password, label="nsx01/password")
    unknown = datacenter_register(api, spec_for("NSXT", nsxt, "nsx01", password="ref:password:doesnotexist"))
    assert unknown.status_code == 400
    assert list(unknown.json()["errors"]) == ["password"]
    assert "ref:password:doesnotexist" in unknown.json()["errors"]["password"][0]

    task = task_accepted_wait(datacenter_register(api, spec_for("NSXT", nsxt, "nsx01", password=ref)))
    assert task.status == Status.SUCCESS, task.message
    assert DatacenterComponent.objects.get().password == nsxt.password
    assert api.get(f"/api/v1/tasks/{task.pk}/request").json()["password"] == "$encrypted$"


@pytest.mark.django_db
def test_the_type_of_a_component_cannot_change(api):
    DatacenterComponent.objects.create(
        component_name="nsx01",
        component_type="NSXT",
        fqdn="nsx.example.test",
        username="admin",
        password="pw",
        certificate_pem="-",
        certificate_thumbprint="AB",
    )
    answer = api.put("/api/v1/datacenters/nsx01", {"datacenterComponentType": "VROPS"}, format="json")
    assert answer.status_code == 400
    assert "cannot be changed (it is NSXT)" in answer.json()["errors"]["datacenterComponentType"][0]
    networks = api.put("/api/v1/datacenters/nsx01", {"content": {"networks": []}}, format="json")
    assert networks.status_code == 400
    assert "only a VCENTER component has port groups" in networks.json()["errors"]["content.networks"][0]
    assert not Task.objects.exists()


@pytest.mark.django_db(transaction=True)
def test_a_failed_registration_restarts_with_the_corrected_password_but_not_another_type(api, nsxt, worker):
    task = task_accepted_wait(datacenter_register(api, spec_for("NSXT", nsxt, "nsx01", password="not-the-password")))
    assert task.status == Status.ERROR
    corrected = api.get(f"/api/v1/tasks/{task.pk}/request").json()
    other_type = api.post(
        f"/api/v1/tasks/{task.pk}/restart",
        {"request": {**corrected, "datacenterComponentType": "VROPS"}},
        format="json",
    )
    assert other_type.status_code == 400
    assert "cannot be changed on restart" in other_type.json()["errors"]["datacenterComponentType"][0]

    corrected["password"] = nsxt.password
    done = task_accepted_wait(api.post(f"/api/v1/tasks/{task.pk}/restart", {"request": corrected}, format="json"))
    assert done.status == Status.SUCCESS, done.message
    assert sorted(done.actions.filter(attempt=2).values_list("name", flat=True)) == [
        "about_read",
        "component_create",
        "login",
    ]
    assert DatacenterComponent.objects.get().component_type == "NSXT"

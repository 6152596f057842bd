"""The VCD appliance API (products/appliances/vcd.py) against the fake VCD appliances: ready, setup per role,
and what follows setup (public addresses, the database cluster's failover mode)."""

import time

import pytest

from datacenters.vsphere.errors import CertificateChanged, Unreachable
from products.appliances import vcd
from products.appliances.base import NotReady, SetupFailed
from tests.products.appliance_nodes import ADMIN, DB, ROOT, _ready, assert_no_secret, eventually, node_make

pytestmark = pytest.mark.usefixtures("quick")

PRIMARY, STANDBY, CELL = "127.0.1.11", "127.0.1.12", "127.0.1.13"
NFS = "10.0.0.5:/vcd-transfer"
VCD_PROPERTIES = {
    "installationId": 7,
    "systemName": "vcd-lab",
    "dbPassword": DB,
    "adminUsername": "administrator",
    "adminFullName": "Cloud Administrator",
    "adminEmail": "cloud@lab.example.com",
    "nfsMount": NFS,
    "diskMode": "thin",
    "enableSsh": False,
    "expireRootPassword": True,
    "clusterFailoverMode": "MANUAL",
}
PUBLIC = {
    "restApiBaseUri": "https://vcd.example.com",
    "restApiBaseHttpUri": "http://vcd.example.com",
    "tenantPortalExternalAddress": "https://vcd.example.com",
    "tenantPortalExternalHttpAddress": "http://vcd.example.com",
    "consoleProxyExternalAddress": "console.example.com:443",
}


def vcd_node(ip=PRIMARY, *, role="primary", primary=None, **changes):
    properties = {**VCD_PROPERTIES, **changes.pop("properties", {})}
    return node_make(ip, role=role, properties=properties, primary=primary, **changes)


def vcd_expect(park, ip=PRIMARY, *, role="primary", boot=True, **settings):
    fake = park.expect(ip, "VCD", root_password=ROOT, role=role, nfs_share=NFS, **settings)
    if boot:
        park.boot(ip)
    return fake


# --- VCD: ready ------------------------------------------------------------------------------


def test_vcd_ready_trusts_the_first_certificate_and_refuses_a_changed_one(appliances):
    fake = vcd_expect(appliances)
    node = vcd_node()
    vcd.ready(node)
    port = fake.port("appliance")
    assert node.certificates == {str(port): fake.certificate(port).pem}
    assert f"SHA-256 {fake.certificate(port).thumbprint}" in node.log[0]
    assert "the appliance API answers (version 10.5.1.10593 Build 22821417)" in node.log.text()

    first = fake.certificate(port)
    renewed = fake.renew_certificate(port)
    with pytest.raises(CertificateChanged) as changed:
        vcd.ready(node)
    assert changed.value.message == (
        f"the certificate presented by {PRIMARY}:{port} has changed: it now presents "
        f"SHA-256 {renewed.thumbprint}, not the accepted {first.thumbprint}; accept the "
        "new certificate to continue"
    )
    assert node.certificates == {str(port): first.pem}


def test_vcd_ready_waits_while_the_appliance_starts(appliances):
    node = vcd_node()
    with pytest.raises(Unreachable):  # not booted: the engine keeps waiting on this too
        vcd.ready(node)
    vcd_expect(appliances, starting_seconds=0.5)
    with pytest.raises(NotReady) as starting:
        vcd.ready(node)
    assert "503" in starting.value.message and "still starting" in starting.value.message
    assert eventually(lambda: _ready(vcd.ready, node))


def test_vcd_wrong_root_password_is_refused_with_the_appliance_s_words(appliances):
    fake = vcd_expect(appliances)
    node = vcd_node(root_password="wrong-password")
    with pytest.raises(SetupFailed) as ready_refused:
        vcd.ready(node)
    with pytest.raises(SetupFailed) as setup_refused:
        vcd.setup(node)
    for refused in (ready_refused, setup_refused):
        assert refused.value.message.startswith(f"{PRIMARY}: the appliance refused the root password (401")
        assert "user name or password is incorrect" in refused.value.message
    assert fake.setup_started is None
    assert "wrong-password" not in node.log.text()


# --- VCD: setup ------------------------------------------------------------------------------


def test_vcd_primary_setup_sends_the_documented_body_and_waits_for_the_cell(appliances):
    fake = vcd_expect(appliances, setup_seconds=0.3)
    node = vcd_node()
    started = time.monotonic()
    vcd.setup(node)
    assert time.monotonic() - started >= 0.3  # returned only once the cell answered

    (call,) = fake.calls_to("POST", "/api/1.0.0/systemSetup")
    assert call.port == fake.port("appliance") and call.user == "root"
    assert call.headers["Content-Type"] == "application/json"
    body = call.body
    assert list(body) == ["applianceType", "storage", "appliance", "sysAdmin", "installation"]
    assert body["applianceType"] == "primary"
    assert body["storage"] == {"nfs": NFS}
    assert body["appliance"] == {"ceip": False, "dbPassword": DB}
    assert body["sysAdmin"] == {
        "username": "administrator",
        "password": ADMIN,
        "fullName": "Cloud Administrator",
        "email": "cloud@lab.example.com",
    }
    assert body["installation"] == {"name": "vcd-lab", "id": 7}
    assert type(body["installation"]["id"]) is int

    versions = fake.calls_to("GET", "/api/versions")
    assert versions and all(c.port == fake.port("cell") for c in versions)
    assert fake.calls_to("GET", f"/api/1.0.0/tasks/{fake.task_id}")  # the task was watched
    assert set(node.certificates) == {str(fake.port("appliance")), str(fake.port("cell"))}
    assert (
        node.log.text().count(
            "system setup as primary appliance (NFS share 10.0.0.5:/vcd-transfer, installation 'vcd-lab' id 7)"
        )
        == 1
    )
    assert "setup complete" in node.log[-1]
    assert_no_secret(node.log)


def test_vcd_bad_nfs_share_is_named(appliances):
    fake = vcd_expect(appliances)
    node = vcd_node(properties={"nfsMount": "10.0.0.9:/wrong"})
    with pytest.raises(SetupFailed) as refused:
        vcd.setup(node)
    assert refused.value.message == (
        f"{PRIMARY}: the appliance refused the primary setup (400 Bad Request): NFS share "
        "10.0.0.9:/wrong cannot be mounted: mount.nfs: access denied by server while "
        "mounting"
    )
    assert fake.setup_started is None


@pytest.mark.parametrize(
    "change, said",
    [
        ({"installationId": 64}, "installation.id must be between 1 and 63, not 64"),
        ({"installationId": 0}, "installation.id must be between 1 and 63, not 0"),
        ({"adminEmail": ""}, "sysAdmin.email must not be empty"),
    ],
)
def test_vcd_setup_fields_the_appliance_refuses(appliances, change, said):
    vcd_expect(appliances)
    with pytest.raises(SetupFailed) as refused:
        vcd.setup(vcd_node(properties=change))
    assert refused.value.message.endswith(said)


def test_vcd_fake_checks_the_document_strictly(appliances):
    """The fake's own checks, so that the tests above prove something: extra, missing and mistyped fields."""
    fake = vcd_expect(appliances)
    node = vcd_node()
    good = vcd.setup_body(node)
    cases = [
        ({**good, "extra": 1}, 'Unrecognized field "extra"'),
        ({**good, "appliance": {"ceip": "no", "dbPassword": DB}}, "appliance.ceip must be a bool"),
        ({**good, "installation": {"name": "x", "id": "7"}}, "installation.id must be a number"),
        ({**good, "installation": {"name": "x", "id": True}}, "installation.id must be a number"),
        ({k: v for k, v in good.items() if k != "sysAdmin"}, "sysAdmin is required"),
        ({**good, "storage": {"nfs": NFS, "mountOptions": "ro"}}, 'Unrecognized field "mountOptions" in storage'),
        ({**good, "applianceType": "cell"}, "deployed as a primary appliance"),
    ]
    with vcd._appliance(node) as client:
        for body, said in cases:
            response = client.request("POST", vcd.SYSTEM_SETUP, json=body)
            assert response.status_code == 400 and said in response.json()["message"], body
        wrong = client.request("POST", vcd.SYSTEM_SETUP, json=good, auth=("admin", ROOT))
        assert wrong.status_code == 401
    assert fake.setup_started is None


def test_vcd_standby_is_refused_before_the_primary_has_finished(appliances):
    primary = vcd_expect(appliances, setup_seconds=0.5)
    standby = vcd_expect(appliances, STANDBY, role="standby")
    primary_node = vcd_node()
    standby_node = vcd_node(STANDBY, role="standby", primary=primary_node)
    with pytest.raises(SetupFailed) as refused:
        vcd.setup(standby_node)
    assert (
        "No response file on NFS share 10.0.0.5:/vcd-transfer: set up the primary appliance first"
        in refused.value.message
    )

    with vcd._appliance(primary_node) as client:  # the primary's setup runs, not finished yet
        assert client.request("POST", vcd.SYSTEM_SETUP, json=vcd.setup_body(primary_node)).status_code == 202
    with pytest.raises(SetupFailed, match="wait until it has finished"):
        vcd.setup(standby_node)
    assert standby.setup_started is None and primary.setup_state() == "running"


def test_vcd_standby_and_cell_after_the_primary(appliances):
    vcd_expect(appliances)
    standby = vcd_expect(appliances, STANDBY, role="standby")
    cell = vcd_expect(appliances, CELL, role="cell")
    primary_node = vcd_node()
    vcd.setup(primary_node)
    for fake, ip, role in ((standby, STANDBY, "standby"), (cell, CELL, "cell")):
        node = vcd_node(ip, role=role, primary=primary_node)
        vcd.setup(node)
        (call,) = fake.calls_to("POST", "/api/1.0.0/systemSetup")
        assert call.body == {"applianceType": role, "storage": {"nfs": NFS}}
        assert fake.setup_state() == "success"
        assert f"system setup as {role} appliance (NFS share {NFS})" in node.log.text()
        assert_no_secret(node.log)


def test_vcd_node_of_the_wrong_role_is_refused(appliances):
    vcd_expect(appliances, CELL, role="cell")
    with pytest.raises(SetupFailed) as refused:
        vcd.setup(vcd_node(CELL, role="standby", primary=vcd_node()))
    assert "deployed as a cell appliance" in refused.value.message and "applianceType standby" in refused.value.message


def test_vcd_setup_again_after_a_restart_waits_for_the_same_setup(appliances):
    fake = vcd_expect(appliances, setup_seconds=0.3)
    vcd.setup(vcd_node())
    node = vcd_node(properties={"systemName": "another-name"})
    vcd.setup(node)
    assert len(fake.calls_to("POST", "/api/1.0.0/systemSetup")) == 2
    assert fake.setup_body["installation"]["name"] == "vcd-lab"
    assert "is set up already: The appliance is already configured" in node.log.text()


def test_vcd_setup_task_failure_is_reported_at_once(appliances):
    vcd_expect(appliances, setup_seconds=0.2, setup_failure="Unable to initialize the database: disk full")
    started = time.monotonic()
    with pytest.raises(SetupFailed) as failed:
        vcd.setup(vcd_node())
    assert failed.value.message == f"{PRIMARY}: the primary setup failed: Unable to initialize the database: disk full"
    assert time.monotonic() - started < 3  # not the 5 s setup timeout


def test_vcd_setup_gives_up_when_the_cell_never_answers(appliances, settings):
    settings.LCM_TIMEOUTS = {"VCD.setup": 0.5}
    vcd_expect(appliances, setup_seconds=60)
    started = time.monotonic()
    with pytest.raises(SetupFailed) as failed:
        vcd.setup(vcd_node())
    assert 0.5 <= time.monotonic() - started < 3
    assert failed.value.message == (
        f"{PRIMARY}: the cell did not come up within 0.5 s of the primary setup (last: "
        "GET /api/versions answered 503 Service Unavailable)"
    )


def test_vcd_primary_without_admin_password(appliances):
    fake = vcd_expect(appliances)
    with pytest.raises(SetupFailed, match="the product has no adminPassword"):
        vcd.setup(vcd_node(product={}))
    assert not fake.calls_to("POST", "/api/1.0.0/systemSetup")


# --- VCD: finish -----------------------------------------------------------------------------


def test_vcd_finish_sets_the_public_addresses(appliances):
    fake = vcd_expect(appliances)
    primary = vcd_node(properties={"publicAddress": PUBLIC})
    vcd.setup(primary)
    vcd.finish(primary)

    (login,) = fake.calls_to("POST", "/cloudapi/1.0.0/sessions/provider")
    assert login.user == "administrator@System" and login.headers["Accept"] == "application/json;version=36.0"
    (get,) = fake.calls_to("GET", "/api/admin/extension/settings/general")
    (put,) = fake.calls_to("PUT", "/api/admin/extension/settings/general")
    for call in (get, put):
        assert call.headers["Accept"] == "application/*+json;version=36.0"
        assert call.headers["Authorization"].startswith("Bearer ")
    assert put.headers["Content-Type"] == "application/vnd.vmware.admin.generalSettings+json;version=36.0"
    assert {k: put.body[k] for k in PUBLIC} == PUBLIC
    assert put.body["sessionTimeoutMinutes"] == 30 and put.body["installationId"] == 7  # the rest kept
    settings = fake.installation.general_settings
    assert {k: settings[k] for k in PUBLIC} == PUBLIC
    assert fake.calls_to("DELETE", "/cloudapi/1.0.0/sessions/current") and not fake.installation.tokens
    token = put.headers["Authorization"].split()[1]
    assert token not in primary.log.text()
    assert "public addresses set: restApiBaseUri https://vcd.example.com" in primary.log[-1]
    assert_no_secret(primary.log)


def test_vcd_finish_without_public_addresses_changes_nothing(appliances):
    fake = vcd_expect(appliances)
    primary = vcd_node()
    vcd.setup(primary)
    calls = len(fake.calls)
    vcd.finish(primary)
    assert len(fake.calls) == calls
    assert "no publicAddress given" in primary.log[-1]


def test_vcd_finish_with_a_wrong_admin_password(appliances):
    vcd_expect(appliances)
    primary = vcd_node(properties={"publicAddress": PUBLIC})
    vcd.setup(primary)
    primary.product = {"adminPassword": "not-the-one"}
    with pytest.raises(SetupFailed) as refused:
        vcd.finish(primary)
    assert refused.value.message == f"{PRIMARY}: VCD refused the login of administrator@System: Invalid credentials"


def _vcd_cluster(park, *, failover_failure=None, with_standby=True):
    """A set-up primary, a standby (or not) and a cell; the primary's node knows them all."""
    fake = vcd_expect(park, failover_failure=failover_failure)
    primary = vcd_node()
    vcd.setup(primary)
    others = [(STANDBY, "standby")] if with_standby else []
    others.append((CELL, "cell"))
    nodes = [primary]
    for ip, role in others:
        vcd_expect(park, ip, role=role)
        node = vcd_node(ip, role=role, primary=primary)
        vcd.setup(node)
        nodes.append(node)
    primary.nodes = nodes
    return fake, primary


@pytest.mark.parametrize("mode", ["AUTOMATIC", "MANUAL"])
def test_vcd_finish_sets_the_failover_mode_of_an_ha_cluster(appliances, mode):
    fake, primary = _vcd_cluster(appliances)
    primary.properties = {**primary.properties, "clusterFailoverMode": mode}
    vcd.finish(primary)
    (call,) = fake.calls_to("POST", f"/api/1.0.0/nodes/failover/{mode.lower()}")
    assert call.user == "root"
    assert fake.failover_mode() == mode
    assert f"database cluster failover mode {mode} (standby: {STANDBY})" in primary.log.text()
    for ip in (STANDBY, CELL):  # only the primary is asked
        assert not [c for c in appliances[ip].calls if "/failover/" in c.path]
    assert_no_secret(primary.log)


def test_vcd_failover_mode_does_not_apply_without_a_standby(appliances):
    fake, primary = _vcd_cluster(appliances, with_standby=False)
    primary.properties = {**primary.properties, "clusterFailoverMode": "AUTOMATIC"}
    vcd.finish(primary)
    assert not [c for c in fake.calls if "/failover/" in c.path]
    assert "no standby appliance, so no database HA cluster: clusterFailoverMode AUTOMATIC does not apply" in (
        primary.log.text()
    )


def test_vcd_failover_mode_task_failure_is_reported(appliances):
    fake, primary = _vcd_cluster(appliances, failover_failure="repmgrd is not running on the standby")
    primary.properties = {**primary.properties, "clusterFailoverMode": "AUTOMATIC"}
    with pytest.raises(SetupFailed) as failed:
        vcd.finish(primary)
    assert failed.value.message == (
        f"{PRIMARY}: setting failover mode AUTOMATIC failed: repmgrd is not running on the standby"
    )
    assert fake.failover_mode() == "MANUAL"


def test_vcd_fake_refuses_failover_mode_where_the_api_does(appliances):
    """The fake follows the documented answers: 404 on a cell, 400 for a mode it does not know."""
    fake, primary = _vcd_cluster(appliances)
    cell = vcd_node(CELL, role="cell", primary=primary)
    with vcd._appliance(cell) as client:
        assert client.request("POST", "/api/1.0.0/nodes/failover/manual").status_code == 404
    with vcd._appliance(primary) as client:
        assert client.request("POST", "/api/1.0.0/nodes/failover/sometimes").status_code == 400
    assert fake.failover_mode() == "MANUAL"

"""The appliance APIs of the product types (products/appliances) against the fake appliances, and the guest
simulator against a real vcsim."""
import time

import pytest
from pyVmomi import vim

from datacenters.vsphere.connection import connect
from datacenters.vsphere.errors import CertificateChanged, Unreachable
from products.appliances import rabbitmq, usage_meter, vcd, vrops_tenant_app
from products.appliances.base import ApplianceNode, NotReady, SetupFailed
from tests.guests import GuestSimulator, _vms_read

PRIMARY, STANDBY, CELL = "127.0.1.11", "127.0.1.12", "127.0.1.13"
RABBIT_1, RABBIT_2 = "127.0.1.14", "127.0.1.15"
METER, TENANT_APP, GUEST_IP0, GUEST_VAMI = "127.0.1.16", "127.0.1.17", "127.0.1.20", "127.0.1.21"
ROOT = "Root-Pa55word!"
ADMIN = "Admin-Pa55word!"
DB = "Db-Pa55word!"
NFS = "10.0.0.5:/vcd-transfer"
COOKIE = "ErlangCookie0123456789"
AMQP = "Amqp-Pa55word!"
SECRETS = (ROOT, ADMIN, DB, COOKIE, AMQP)
VCD_PROPERTIES = {
    "installationId": 7, "systemName": "vcd-lab", "dbPassword": DB, "adminUsername": "administrator",
    "adminFullName": "Cloud Administrator", "adminEmail": "cloud@lab.example.com", "nfsMount": NFS,
    "diskMode": "thin", "enableSsh": False, "expireRootPassword": True, "clusterFailoverMode": "MANUAL",
}
PUBLIC = {
    "restApiBaseUri": "https://vcd.example.com", "restApiBaseHttpUri": "http://vcd.example.com",
    "tenantPortalExternalAddress": "https://vcd.example.com",
    "tenantPortalExternalHttpAddress": "http://vcd.example.com",
    "consoleProxyExternalAddress": "console.example.com:443",
}


@pytest.fixture(autouse=True)
def quick(settings):
    """Poll fast, and give setups a few seconds (tests that wait for a timeout shorten it further)."""
    settings.LCM_POLL_INTERVAL = 0.05
    settings.LCM_TIMEOUTS = {"VCD.setup": 5, "RABBITMQ.setup": 5}


class Log(list):
    def __call__(self, line: str) -> None:
        self.append(line)

    def text(self) -> str:
        return "\n".join(self)


def node_make(ip, *, role, properties, product=None, root_password=ROOT, primary=None, host_name=None):
    host_name = host_name or f"host-{ip.rsplit('.', 1)[1]}.lab.example.com"
    return ApplianceNode(node_id=f"node-{ip}", ip=ip, host_name=host_name,
                         role=role, is_primary=primary is None, root_password=root_password, properties=properties,
                         product=product if product is not None else {"adminPassword": ADMIN}, primary=primary,
                         log=Log(), timeout=5)


def vcd_node(ip=PRIMARY, *, role="primary", primary=None, **changes):
    properties = {**VCD_PROPERTIES, **changes.pop("properties", {})}
    return node_make(ip, role=role, properties=properties, primary=primary, **changes)


def vcd_expect(park, ip=PRIMARY, *, role="primary", boot=True, **settings):
    fake = park.expect(ip, "VCD", root_password=ROOT, role=role, nfs_share=NFS, **settings)
    if boot:
        park.boot(ip)
    return fake


def assert_no_secret(*logs):
    text = "\n".join(log.text() for log in logs)
    for secret in SECRETS:
        assert secret not in text


def eventually(check, timeout=5.0):
    deadline = time.monotonic() + timeout
    while True:
        value = check()
        if value or time.monotonic() > deadline:
            return value
        time.sleep(0.02)


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
    assert changed.value.message == (f"the certificate presented by {PRIMARY}:{port} has changed: it now presents "
                                     f"SHA-256 {renewed.thumbprint}, not the accepted {first.thumbprint}; accept the "
                                     "new certificate to continue")
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


def _ready(ready, node) -> bool:
    try:
        ready(node)
    except NotReady:
        return False
    return True


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
    assert body["sysAdmin"] == {"username": "administrator", "password": ADMIN, "fullName": "Cloud Administrator",
                                "email": "cloud@lab.example.com"}
    assert body["installation"] == {"name": "vcd-lab", "id": 7}
    assert type(body["installation"]["id"]) is int

    versions = fake.calls_to("GET", "/api/versions")
    assert versions and all(c.port == fake.port("cell") for c in versions)
    assert fake.calls_to("GET", f"/api/1.0.0/tasks/{fake.task_id}")  # the task was watched
    assert set(node.certificates) == {str(fake.port("appliance")), str(fake.port("cell"))}
    assert node.log.text().count("system setup as primary appliance (NFS share 10.0.0.5:/vcd-transfer, "
                                 "installation 'vcd-lab' id 7)") == 1
    assert "setup complete" in node.log[-1]
    assert_no_secret(node.log)


def test_vcd_bad_nfs_share_is_named(appliances):
    fake = vcd_expect(appliances)
    node = vcd_node(properties={"nfsMount": "10.0.0.9:/wrong"})
    with pytest.raises(SetupFailed) as refused:
        vcd.setup(node)
    assert refused.value.message == (f"{PRIMARY}: the appliance refused the primary setup (400 Bad Request): NFS share "
                                     "10.0.0.9:/wrong cannot be mounted: mount.nfs: access denied by server while "
                                     "mounting")
    assert fake.setup_started is None


@pytest.mark.parametrize("change, said", [
    ({"installationId": 64}, "installation.id must be between 1 and 63, not 64"),
    ({"installationId": 0}, "installation.id must be between 1 and 63, not 0"),
    ({"adminEmail": ""}, "sysAdmin.email must not be empty"),
])
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
    assert "No response file on NFS share 10.0.0.5:/vcd-transfer: set up the primary appliance first" in \
        refused.value.message

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
    assert failed.value.message == (f"{PRIMARY}: the cell did not come up within 0.5 s of the primary setup (last: "
                                    "GET /api/versions answered 503 Service Unavailable)")


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
    get, = fake.calls_to("GET", "/api/admin/extension/settings/general")
    put, = fake.calls_to("PUT", "/api/admin/extension/settings/general")
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
        primary.log.text())


def test_vcd_failover_mode_task_failure_is_reported(appliances):
    fake, primary = _vcd_cluster(appliances, failover_failure="repmgrd is not running on the standby")
    primary.properties = {**primary.properties, "clusterFailoverMode": "AUTOMATIC"}
    with pytest.raises(SetupFailed) as failed:
        vcd.finish(primary)
    assert failed.value.message == (f"{PRIMARY}: setting failover mode AUTOMATIC failed: repmgrd is not running on "
                                    "the standby")
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


# --- RabbitMQ --------------------------------------------------------------------------------


def rabbit_properties(**changes):
    return {"username": "vcd", "password": AMQP, "vhost": "/", "erlangCookie": COOKIE, "amqpPort": 5672, **changes}


def rabbit_expect(park, ip=RABBIT_1, *, host_name="rabbit-1.lab.example.com", boot=True, **settings):
    settings.setdefault("username", "vcd")
    settings.setdefault("password", AMQP)
    settings.setdefault("erlang_cookie", COOKIE)
    fake = park.expect(ip, "RABBITMQ", root_password=ROOT, host_name=host_name, **settings)
    if boot:
        park.boot(ip)
    return fake


def rabbit_node(ip=RABBIT_1, *, host_name="rabbit-1.lab.example.com", primary=None, **properties):
    return node_make(ip, role="member" if primary else "primary", properties=rabbit_properties(**properties),
                     primary=primary, host_name=host_name, product={})


def test_rabbitmq_ready_and_a_wrong_password(appliances):
    fake = rabbit_expect(appliances)
    node = rabbit_node()
    rabbitmq.ready(node)
    assert node.certificates.keys() == {str(fake.port("management"))}
    assert "RabbitMQ 3.9.13 answers as rabbit@rabbit-1" in node.log.text()
    with pytest.raises(SetupFailed) as refused:
        rabbitmq.ready(rabbit_node(password="wrong-password"))
    assert refused.value.message == (f"{RABBIT_1}: RabbitMQ refused the user vcd (401 Unauthorized: Login failed); "
                                     "check the username and password")


def test_rabbitmq_primary_setup_encodes_the_default_vhost(appliances):
    fake = rabbit_expect(appliances)
    node = rabbit_node()
    rabbitmq.setup(node)
    vhost, = fake.calls_to("PUT", "/api/vhosts/%2F")
    permissions, = fake.calls_to("PUT", "/api/permissions/%2F/vcd")
    assert vhost.user == "vcd" and permissions.user == "vcd"
    assert permissions.body == {"configure": ".*", "write": ".*", "read": ".*"}
    assert fake.permissions[("/", "vcd")] == {"configure": ".*", "write": ".*", "read": ".*"}
    assert "virtual host '/' exists" in node.log.text()
    assert_no_secret(node.log)


def test_rabbitmq_primary_setup_creates_a_named_vhost(appliances):
    fake = rabbit_expect(appliances)
    node = rabbit_node(vhost="/vcd.events")
    rabbitmq.setup(node)
    assert fake.calls_to("PUT", "/api/vhosts/%2Fvcd.events") and "/vcd.events" in fake.vhosts
    assert fake.permissions[("/vcd.events", "vcd")] == {"configure": ".*", "write": ".*", "read": ".*"}
    assert "virtual host '/vcd.events' created" in node.log.text()


def test_rabbitmq_fake_refuses_bad_permissions(appliances):
    rabbit_expect(appliances)
    node = rabbit_node()
    with rabbitmq._management(node) as client:
        assert client.request("PUT", "/api/vhosts//", json={}).status_code == 404  # "/" not encoded
        missing = client.request("PUT", "/api/permissions/%2F/vcd", json={"configure": ".*"})
        assert missing.status_code == 400 and missing.json()["reason"] == "[{key_missing,write}]"
        nowhere = client.request("PUT", "/api/permissions/nowhere/vcd", json={"configure": ".*", "write": ".*",
                                                                               "read": ".*"})
        assert nowhere.status_code == 400 and nowhere.json()["reason"] == "vhost_not_found"


def test_rabbitmq_member_waits_until_the_primary_lists_it(appliances):
    primary_fake = rabbit_expect(appliances)
    rabbit_expect(appliances, RABBIT_2, host_name="rabbit-2.lab.example.com", cluster_join="rabbit@rabbit-1",
                  join_seconds=0.4)
    primary = rabbit_node()
    member = rabbit_node(RABBIT_2, host_name="rabbit-2.lab.example.com", primary=primary)
    rabbitmq.ready(member)
    started = time.monotonic()
    rabbitmq.setup(member)
    assert time.monotonic() - started >= 0.2
    assert len(primary_fake.calls_to("GET", "/api/nodes")) >= 2
    assert member.log[-1] == f"{RABBIT_2}: rabbit@rabbit-2 is in the cluster (rabbit@rabbit-1, rabbit@rabbit-2)"
    assert str(primary_fake.port("management")) in primary.certificates  # the member's wait pinned the primary's certificate on the primary


def test_rabbitmq_member_that_never_joins(appliances, settings):
    settings.LCM_TIMEOUTS = {"RABBITMQ.setup": 0.4}
    rabbit_expect(appliances)
    rabbit_expect(appliances, RABBIT_2, host_name="rabbit-2.lab.example.com", cluster_join="rabbit@rabbit-1",
                  erlang_cookie="AnotherCookie0123456789")
    member = rabbit_node(RABBIT_2, host_name="rabbit-2.lab.example.com", primary=rabbit_node())
    with pytest.raises(SetupFailed) as failed:
        rabbitmq.setup(member)
    assert failed.value.message.startswith(f"{RABBIT_2}: rabbit@rabbit-2 did not join the cluster of rabbit@rabbit-1 "
                                           "within 0.4 s (the primary lists rabbit@rabbit-1); check the erlang cookie")


def test_rabbitmq_fake_reads_what_it_was_not_told_from_its_ovf_properties(appliances):
    primary = appliances.expect(RABBIT_1, "RABBITMQ", root_password=ROOT)
    member = appliances.expect(RABBIT_2, "RABBITMQ", root_password=ROOT, join_seconds=0)
    common = {"rabbitmq_username": "vcd", "rabbitmq_password": AMQP, "erlang_cookie": COOKIE}
    appliances.boot(RABBIT_1, {"hostname": "rabbit-1.lab.example.com", **common})
    appliances.boot(RABBIT_2, {"hostname": "rabbit-2.lab.example.com", "rabbitmq_cluster_join": "rabbit@rabbit-1",
                               **common})
    node = rabbit_node()
    rabbitmq.ready(node)
    assert (primary.username, primary.password, primary.erlang_cookie) == ("vcd", AMQP, COOKIE)
    assert member.cluster_join == "rabbit@rabbit-1"
    assert primary.cluster_nodes() == ["rabbit@rabbit-1", "rabbit@rabbit-2"]

    lonely = appliances.expect("127.0.1.18", "RABBITMQ", root_password=ROOT)
    appliances.boot("127.0.1.18")  # no OVF properties: no user to log in as
    with pytest.raises(SetupFailed, match="refused the user vcd"):
        rabbitmq.ready(rabbit_node("127.0.1.18"))
    assert lonely.password is None


# --- Usage Meter and Tenant App ---------------------------------------------------------------


@pytest.mark.parametrize("module, product_type, ip, path", [
    (usage_meter, "USAGE_METER", METER, "/api/v1/version"),
    (vrops_tenant_app, "VROPS_TENANT_APP", TENANT_APP, "/tenant-app/api/version"),
])
def test_single_appliances_are_ready_when_their_version_answers(appliances, module, product_type, ip, path):
    fake = appliances.expect(ip, product_type, root_password=ROOT, starting_seconds=0.4)
    node = node_make(ip, role="appliance", properties={}, product={})
    with pytest.raises(Unreachable):
        module.appliance.ready(node)
    appliances.boot(ip)
    with pytest.raises(NotReady, match="503"):
        module.appliance.ready(node)
    assert eventually(lambda: _ready(module.appliance.ready, node))
    port = fake.port("https")
    assert node.certificates == {str(port): fake.certificate(port).pem}
    assert fake.calls_to("GET", path) and f"{fake.version} answers" in node.log[-1]
    assert module.appliance.setup is None and module.appliance.finish is None


def test_product_types_declare_their_appliance_api():
    from products.types import product_type_get

    assert product_type_get("VCD").appliance is vcd.appliance
    assert product_type_get("RABBITMQ").appliance is rabbitmq.appliance
    assert product_type_get("USAGE_METER").appliance is usage_meter.appliance
    assert product_type_get("VROPS_TENANT_APP").appliance is vrops_tenant_app.appliance
    assert product_type_get("OVA_APPLIANCE").appliance is None
    rabbit = product_type_get("RABBITMQ")
    assert {p.name: p.ovf_key for p in rabbit.properties if p.ovf_key} == {
        "username": "rabbitmq_username", "password": "rabbitmq_password", "erlangCookie": "erlang_cookie",
        "amqpPort": "amqp_port"}


def test_appliance_ports_are_declared_by_the_types_and_the_suite_moves_them_off_the_privileged_ones(settings):
    from products.types import appliance_ports, product_type_get

    declared = {code: product_type_get(code).ports for code in ("VCD", "RABBITMQ", "USAGE_METER", "VROPS_TENANT_APP")}
    assert declared == {"VCD": {"appliance": 5480, "cell": 443}, "RABBITMQ": {"management": 15672},
                        "USAGE_METER": {"https": 8443}, "VROPS_TENANT_APP": {"https": 443}}  # the real ones
    assert product_type_get("VCD").port("cell") == 10443 and min(appliance_ports()) >= 1024  # this session's
    settings.LCM_APPLIANCE_PORTS = {}
    assert appliance_ports() == [443, 5480, 8443, 15672]  # what the pre-checks probe besides SSH and HTTP


# --- the guest simulator ---------------------------------------------------------------------


def _vm_create(si, name, extra):
    content = si.RetrieveContent()
    datacenter = content.rootFolder.childEntity[0]
    cluster = next(e for e in datacenter.hostFolder.childEntity if isinstance(e, vim.ClusterComputeResource))
    spec = vim.vm.ConfigSpec(name=name, guestId="otherGuest64", numCPUs=1, memoryMB=64,
                             files=vim.vm.FileInfo(vmPathName="[LocalDS_0]"),
                             extraConfig=[vim.option.OptionValue(key=k, value=v) for k, v in extra.items()])
    task = datacenter.vmFolder.CreateVM_Task(config=spec, pool=cluster.resourcePool)
    assert eventually(lambda: task.info.state in ("success", "error")) and task.info.state == "success"
    return task.info.result


def _guest(si, vm):
    content = si.RetrieveContent()
    view = content.viewManager.CreateContainerView(content.rootFolder, [vim.VirtualMachine], True)
    try:
        return next(v for v in _vms_read(content, view) if v["obj"]._moId == vm._moId)
    finally:
        view.DestroyView()


def _connect(vcsim):
    return connect(fqdn=vcsim.fqdn, port=vcsim.port, username=vcsim.username, password=vcsim.password,
                   certificate_pem=vcsim.certificate.pem)


def _power(vm, on):
    task = vm.PowerOnVM_Task() if on else vm.PowerOffVM_Task()
    assert eventually(lambda: task.info.state in ("success", "error")) and task.info.state == "success"


@pytest.mark.vcsim
def test_guest_simulator_brings_guests_up_and_boots_their_appliances(vcsim, appliances, guests):
    meter = appliances.expect(GUEST_IP0, "USAGE_METER", root_password=ROOT)
    tenant_app = appliances.expect(GUEST_VAMI, "VROPS_TENANT_APP", root_password=ROOT)
    with _connect(vcsim) as si:
        plain = _vm_create(si, "meter", {"ip0": GUEST_IP0})
        vami = _vm_create(si, "tenant-app", {"vami.ip0.VMware_vCloud_Director": GUEST_VAMI})
        assert _guest(si, vami).get("guest.ipAddress") is None
        time.sleep(0.5)  # powered off: nothing comes up
        assert not meter.booted and not tenant_app.booted and guests.came_up == []

        _power(plain, True)
        _power(vami, True)
        assert eventually(lambda: meter.booted and tenant_app.booted)
        assert tenant_app.ovf["vami.ip0.VMware_vCloud_Director"] == GUEST_VAMI  # what the appliance booted with
        for vm, ip in ((plain, GUEST_IP0), (vami, GUEST_VAMI)):
            seen = _guest(si, vm)
            assert seen["guest.ipAddress"] == ip
            assert seen["guest.toolsRunningStatus"] == "guestToolsRunning"
        usage_meter.appliance.ready(node_make(GUEST_IP0, role="appliance", properties={}, product={}))

        _power(plain, False)
        assert eventually(lambda: not meter.booted)
        seen = _guest(si, plain)
        assert seen["guest.toolsRunningStatus"] == "guestToolsNotRunning" and seen.get("guest.ipAddress") is None
        _power(plain, True)  # comes up again, with the IP it had
        assert eventually(lambda: meter.booted) and meter.boots == 2
        assert _guest(si, plain)["guest.ipAddress"] == GUEST_IP0

        task = vami.PowerOffVM_Task()
        assert eventually(lambda: task.info.state == "success")
        task = vami.Destroy_Task()
        assert eventually(lambda: task.info.state == "success")
        assert eventually(lambda: not tenant_app.booted)
    assert guests.errors == []


@pytest.mark.vcsim
def test_guest_simulator_delay_pause_and_vcsim_going_away(vcsim, appliances, guests):
    meter = appliances.expect(GUEST_IP0, "USAGE_METER", root_password=ROOT)
    guests.delay = 0.6
    guests.pause("held")
    with _connect(vcsim) as si:
        held = _vm_create(si, "held", {"vami.ip0.x": GUEST_VAMI})
        vm = _vm_create(si, "meter", {"ip0": GUEST_IP0})
        _power(held, True)
        _power(vm, True)
        started = time.monotonic()
        assert eventually(lambda: meter.booted)
        assert time.monotonic() - started >= 0.4
        assert _guest(si, held)["guest.toolsRunningStatus"] == "guestToolsNotRunning"
        guests.resume("held")
        assert eventually(lambda: _guest(si, held)["guest.toolsRunningStatus"] == "guestToolsRunning")
    assert guests.came_up == [GUEST_IP0, GUEST_VAMI]

    vcsim.stop()  # vCenter gone: the VMs (and their appliances) keep running, the simulator keeps trying
    assert eventually(lambda: any("vcsim" in e for e in guests.errors))
    assert meter.booted and guests.is_alive()
    vcsim.start()  # back, with its default inventory: our VMs are gone, so is their appliance
    assert eventually(lambda: not meter.booted)
    started = time.monotonic()
    guests.stop()
    assert not guests.is_alive() and time.monotonic() - started < 6


def test_guest_simulator_without_vcsim_stops_cleanly(vcsim, appliances):
    vcsim.stop()
    simulator = GuestSimulator(vcsim, appliances)
    simulator.start()
    assert eventually(lambda: simulator.errors)
    simulator.stop()
    assert not simulator.is_alive()

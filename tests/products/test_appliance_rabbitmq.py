"""The RabbitMQ appliance API (products/appliances/rabbitmq.py) against the fake RabbitMQ appliances: ready,
the primary's virtual host and permissions, and a member joining the cluster."""

import time

import pytest

from products.appliances import rabbitmq
from products.appliances.base import SetupFailed
from tests.products.appliance_nodes import AMQP, COOKIE, ROOT, assert_no_secret, node_make

pytestmark = pytest.mark.usefixtures("quick")

RABBIT_1, RABBIT_2 = "127.0.1.14", "127.0.1.15"


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
    return node_make(
        ip,
        role="member" if primary else "primary",
        properties=rabbit_properties(**properties),
        primary=primary,
        host_name=host_name,
        product={},
    )


def test_rabbitmq_ready_and_a_wrong_password(appliances):
    fake = rabbit_expect(appliances)
    node = rabbit_node()
    rabbitmq.ready(node)
    assert node.certificates.keys() == {str(fake.port("management"))}
    assert "RabbitMQ 3.9.13 answers as rabbit@rabbit-1" in node.log.text()
    with pytest.raises(SetupFailed) as refused:
        rabbitmq.ready(rabbit_node(password="wrong-password"))
    assert refused.value.message == (
        f"{RABBIT_1}: RabbitMQ refused the user vcd (401 Unauthorized: Login failed); check the username and password"
    )


def test_rabbitmq_primary_setup_encodes_the_default_vhost(appliances):
    fake = rabbit_expect(appliances)
    node = rabbit_node()
    rabbitmq.setup(node)
    (vhost,) = fake.calls_to("PUT", "/api/vhosts/%2F")
    (permissions,) = fake.calls_to("PUT", "/api/permissions/%2F/vcd")
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
        nowhere = client.request(
            "PUT", "/api/permissions/nowhere/vcd", json={"configure": ".*", "write": ".*", "read": ".*"}
        )
        assert nowhere.status_code == 400 and nowhere.json()["reason"] == "vhost_not_found"


def test_rabbitmq_member_waits_until_the_primary_lists_it(appliances):
    primary_fake = rabbit_expect(appliances)
    rabbit_expect(
        appliances, RABBIT_2, host_name="rabbit-2.lab.example.com", cluster_join="rabbit@rabbit-1", join_seconds=0.4
    )
    primary = rabbit_node()
    member = rabbit_node(RABBIT_2, host_name="rabbit-2.lab.example.com", primary=primary)
    rabbitmq.ready(member)
    started = time.monotonic()
    rabbitmq.setup(member)
    assert time.monotonic() - started >= 0.2
    assert len(primary_fake.calls_to("GET", "/api/nodes")) >= 2
    assert member.log[-1] == f"{RABBIT_2}: rabbit@rabbit-2 is in the cluster (rabbit@rabbit-1, rabbit@rabbit-2)"
    assert (
        str(primary_fake.port("management")) in primary.certificates
    )  # the member's wait pinned the primary's certificate on the primary


def test_rabbitmq_member_that_never_joins(appliances, settings):
    settings.LCM_TIMEOUTS = {"RABBITMQ.setup": 0.4}
    rabbit_expect(appliances)
    rabbit_expect(
        appliances,
        RABBIT_2,
        host_name="rabbit-2.lab.example.com",
        cluster_join="rabbit@rabbit-1",
        erlang_cookie="AnotherCookie0123456789",
    )
    member = rabbit_node(RABBIT_2, host_name="rabbit-2.lab.example.com", primary=rabbit_node())
    with pytest.raises(SetupFailed) as failed:
        rabbitmq.setup(member)
    assert failed.value.message.startswith(
        f"{RABBIT_2}: rabbit@rabbit-2 did not join the cluster of rabbit@rabbit-1 "
        "within 0.4 s (the primary lists rabbit@rabbit-1); check the erlang cookie"
    )


def test_rabbitmq_fake_reads_what_it_was_not_told_from_its_ovf_properties(appliances):
    primary = appliances.expect(RABBIT_1, "RABBITMQ", root_password=ROOT)
    member = appliances.expect(RABBIT_2, "RABBITMQ", root_password=ROOT, join_seconds=0)
    common = {"rabbitmq_username": "vcd", "rabbitmq_password": AMQP, "erlang_cookie": COOKIE}
    appliances.boot(RABBIT_1, {"hostname": "rabbit-1.lab.example.com", **common})
    appliances.boot(
        RABBIT_2, {"hostname": "rabbit-2.lab.example.com", "rabbitmq_cluster_join": "rabbit@rabbit-1", **common}
    )
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

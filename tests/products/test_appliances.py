"""The appliance APIs of the single-node product types (Usage Meter, Tenant App) against the fake appliances,
and what the product types declare: their appliance API, OVF keys and ports. VCD and RabbitMQ have their own
modules (test_appliance_vcd, test_appliance_rabbitmq)."""

import pytest

from datacenters.vsphere.errors import Unreachable
from products.appliances import rabbitmq, usage_meter, vcd, vrops_tenant_app
from products.appliances.base import NotReady
from tests.products.appliance_nodes import ROOT, _ready, eventually, node_make

pytestmark = pytest.mark.usefixtures("quick")

METER, TENANT_APP = "127.0.1.16", "127.0.1.17"


@pytest.mark.parametrize(
    "module, product_type, ip, path",
    [
        (usage_meter, "USAGE_METER", METER, "/api/v1/version"),
        (vrops_tenant_app, "VROPS_TENANT_APP", TENANT_APP, "/tenant-app/api/version"),
    ],
)
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
        "username": "rabbitmq_username",
        "password": "rabbitmq_password",
        "erlangCookie": "erlang_cookie",
        "amqpPort": "amqp_port",
    }


def test_appliance_ports_are_declared_by_the_types_and_the_suite_moves_them_off_the_privileged_ones(settings):
    from products.types import appliance_ports, product_type_get

    declared = {code: product_type_get(code).ports for code in ("VCD", "RABBITMQ", "USAGE_METER", "VROPS_TENANT_APP")}
    assert declared == {
        "VCD": {"appliance": 5480, "cell": 443},
        "RABBITMQ": {"management": 15672},
        "USAGE_METER": {"https": 8443},
        "VROPS_TENANT_APP": {"https": 443},
    }  # the real ones
    assert product_type_get("VCD").port("cell") == 10443 and min(appliance_ports()) >= 1024  # this session's
    settings.LCM_APPLIANCE_PORTS = {}
    assert appliance_ports() == [443, 5480, 8443, 15672]  # what the pre-checks probe besides SSH and HTTP

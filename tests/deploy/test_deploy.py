"""Deployments into a real vcsim, run by a real worker: each product type, single and multi-node; what
vCenter holds afterwards is read back through pyvmomi, what the appliances were told from their fakes."""

from __future__ import annotations

import pytest

from environments.models import Environment, EnvironmentState, Node, NodeState
from lifecycle.engine.models import Action

pytestmark = [pytest.mark.vcsim, pytest.mark.worker]

TYPES = ["VCD", "USAGE_METER", "VROPS_TENANT_APP", "RABBITMQ", "OVA_APPLIANCE"]


def _secrets_of(spec: dict) -> list[str]:
    from products.types import product_secrets

    return [v for p in spec["products"] for _, v in product_secrets(p) if isinstance(v, str) and v]


def _all_logs(task) -> str:
    return "\n".join((a.log or "") + (a.message or "") for a in Action.objects.filter(task=task)) + task.message


@pytest.mark.parametrize("code", TYPES)
def test_one_node_of_each_type_is_deployed_where_the_definition_says(deploy_world, finished_ok, code):
    spec = deploy_world.definition(code)
    product_spec = next(p for p in spec["products"] if p["productType"] == code)
    product_spec["nodes"][0].update(cpuNum=2, ramMemory=256)  # overrides the OVA's 1 vCPU, 64 MB
    secrets = _secrets_of(spec)
    task = finished_ok(deploy_world.deploy(spec))

    environment = Environment.objects.get(environment_id=spec["environmentId"])
    assert environment.state == EnvironmentState.DEPLOYED
    assert {p.state for p in environment.products.all()} == {EnvironmentState.DEPLOYED}
    node_spec = product_spec["nodes"][0]
    node = Node.objects.get(product__environment=environment, product__product_type=code)
    assert node.deploy_state == (
        NodeState.STARTED
        if code == "OVA_APPLIANCE"
        else NodeState.SET_UP
        if code in ("VCD", "RABBITMQ")
        else NodeState.READY
    )
    assert node.ip_address == node_spec["nics"][0]["ipAddress"]
    assert node.power_state == "poweredOn" and node.vcenter_name == "vc01"

    vm = deploy_world.vms()[node_spec["vmName"]]
    assert (vm["moref"], vm["uuid"]) == (node.vm_moref, node.instance_uuid)
    assert (vm["folder"], vm["pool"], vm["datastores"]) == ("vm", "Resources", ["LocalDS_0"])
    from tests.deploy.packages import PACKAGES

    assert vm["networks"] == ["DC0_DVPG0"] * len(PACKAGES[code][2])  # every OVF network on the node's port group
    assert vm["powerState"] == "poweredOn" and (vm["numCPU"], vm["memoryMB"]) == (2, 256)
    # The OVF properties the definition sets reach the VM (vcsim keeps them in extraConfig; a key named
    # exactly ip0 it turns into the guest's IP instead).
    config = vm["extraConfig"]
    from products.types import product_type_get

    keys = product_type_get(code).ovf_node_keys
    assert config[keys["hostName"]] == node_spec["hostName"]
    ip_key = keys["ipAddress"].replace("{n}", "0")
    assert config.get(ip_key, vm["guestIp"]) == node_spec["nics"][0]["ipAddress"]
    assert config[keys["gateway"]] == "127.0.1.1" and config[keys["dns"]] == "127.0.1.2"
    assert config[keys["rootPassword"]] == node_spec["rootPassword"]  # the secret reaches the appliance only
    for prop in product_type_get(code).properties:
        if prop.ovf_key and not prop.secret and prop.name in product_spec["properties"]:
            value = product_spec["properties"][prop.name]
            assert config[prop.ovf_key] == (str(value) if not isinstance(value, bool) else str(value))
    assert "vendor.fixed" not in config or config["vendor.fixed"] == "factory"  # not user-configurable: untouched
    if code == "OVA_APPLIANCE":
        import_log = task.actions.get(name="vm_import").log
        assert "vendor.fixed is not user-configurable in this OVA; left at its default" in import_log
        assert (
            "the OVA declares no property extra (from products[0].properties.ovfProperties.extra); not set"
            in import_log
        )
    # No secret in any log, message or stored request.
    text = _all_logs(task) + str(task.request)
    assert not [s for s in secrets if s in text]


def test_vcd_primary_standby_and_cell(deploy_world, finished_ok):
    spec = deploy_world.definition("VCD", nodes=3)
    spec["products"][0]["properties"]["clusterFailoverMode"] = "AUTOMATIC"
    task = finished_ok(deploy_world.deploy(spec))
    nodes = spec["products"][0]["nodes"]
    ips = [n["nics"][0]["ipAddress"] for n in nodes]
    vms = deploy_world.vms()
    assert {n["vmName"] for n in nodes} <= set(vms)
    # The deployment options reached vCenter per node, and each appliance was set up in its role.
    roles = [deploy_world.park[ip].setup_body["applianceType"] for ip in ips]
    assert roles == ["primary", "standby", "cell"]
    # With a standby, the primary's database cluster got the failover mode asked for.
    assert deploy_world.park[ips[0]].failover_mode() == "AUTOMATIC"
    assert "database cluster failover mode AUTOMATIC" in task.actions.get(name="product_finish").log
    primary_body = deploy_world.park[ips[0]].setup_body
    props = spec["products"][0]["properties"]
    assert primary_body["installation"] == {"name": props["systemName"], "id": props["installationId"]}
    assert primary_body["storage"] == {"nfs": props["nfsMount"]}
    # Primary first: its setup ended before any other node's setup began; the imports overlapped.
    actions = {(a.name, a.item): a for a in task.actions.all()}
    primary = actions[("primary_setup", "vcd/node1")]
    members = [a for (name, _), a in actions.items() if name == "member_setup"]
    assert len(members) == 2 and all(m.started_at >= primary.finished_at for m in members)
    imports = [a for (name, _), a in actions.items() if name == "vm_import"]
    assert max(a.started_at for a in imports) < min(a.finished_at for a in imports)


def test_rabbitmq_cluster_of_three(deploy_world, finished_ok):
    spec = deploy_world.definition("RABBITMQ", nodes=3)
    finished_ok(deploy_world.deploy(spec))
    nodes = Node.objects.filter(product__environment__environment_id=spec["environmentId"]).order_by("position")
    assert [n.deploy_state for n in nodes] == [NodeState.SET_UP] * 3
    primary = deploy_world.park[nodes[0].ip_address]
    assert len(primary.cluster_nodes()) == 3

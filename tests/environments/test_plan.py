"""A task's plan is computed from the request alone: no vCenter or appliance client is loaded for it."""

import json
import subprocess
import sys
from pathlib import Path

from lifecycle.engine.operations import operation_get

EXAMPLES = Path(__file__).resolve().parents[2] / "examples" / "environments"

PLAN = """
import json, sys
from environments.deploy.plan import items_products, items_vms, nodes_for
request = {"environmentId": "e", "productIds": None, "definition": json.loads(sys.argv[1]), "vms": ["p/n"]}
items = [f(request) for f in (nodes_for(), nodes_for(primary=True), nodes_for(primary=False, step="setup"),
                              nodes_for(primary=True, step="ready"), items_products, items_vms)]
loaded = sorted(m for m in sys.modules if m.split(".")[0] == "pyVmomi" or m.startswith(("datacenters", "products.appliances")))
print(json.dumps({"items": items, "loaded": loaded}))
"""


def test_the_plan_of_a_deployment_loads_no_vcenter_or_appliance_client():
    definition = json.loads((EXAMPLES / "rabbitmq.json").read_text())
    answer = subprocess.run(
        [sys.executable, "-c", PLAN, json.dumps(definition)],
        capture_output=True,
        text=True,
        check=True,
        cwd=Path(__file__).resolve().parents[2],
    )
    found = json.loads(answer.stdout)
    assert found["loaded"] == []
    nodes = [
        f"{definition['products'][0]['productId']}/{n.get('nodeId') or n['vmName']}"
        for n in definition["products"][0]["nodes"]
    ]
    every, primary, member_setup, primary_ready, products, vms = found["items"]
    assert every == nodes and len(primary) == 1 and member_setup == [n for n in nodes if n not in primary]
    assert primary_ready == primary and products == [definition["products"][0]["productId"]] and vms == ["p/n"]


def test_the_deploy_plan_is_the_operation_plan():
    definition = json.loads((EXAMPLES / "vcd.json").read_text())
    rows = operation_get("environment.deploy").plan(
        {"environmentId": "e", "productIds": None, "definition": definition}
    )
    names = [spec.name for _, spec, _ in rows]
    assert names[0] == "prechecks" and names[-1] == "deployment_finish"
    assert names.count("vm_import") == sum(len(p["nodes"]) for p in definition["products"])

"""lcm environment/interop against a real server: definitions checked against the world of
tests/environments (vCenter vc01 read from a real vcsim, port group settings, a repository), a real worker."""

import json
import os
import stat

import pytest

from environments.models import Environment
from lcm.commands import environment, interop
from tests.environments.conftest import EXAMPLES, sample, vcsim_inventory, world_committed  # noqa: F401

SECRETS = ("Db-Passw0rd!", "Root-Passw0rd!", "Vc-Passw0rd!", "Admin-Passw0rd!", "Amqp-Passw0rd!", "Tiny-Passw0rd!")


def _file(tmp_path, spec, name="spec.json"):
    path = tmp_path / name
    path.write_text(json.dumps(spec))
    return str(path)


def _no_secrets(*results):
    text = " ".join(r.out + r.err for r in results)
    for secret in SECRETS:
        assert secret not in text


# --- without a server ---


def test_report_rows_put_failures_first_then_warnings_in_the_servers_order():
    checks = [
        {"check": "schema", "status": "PASS", "path": "", "message": "ok"},
        {"check": "network", "status": "FAIL", "path": "a", "message": "1"},
        {"check": "interop", "status": "WARN", "path": "b", "message": "2"},
        {"check": "nodes", "status": "FAIL", "path": "c", "message": "3"},
    ]
    assert [r[2] for r in environment.report_rows(checks)] == ["a", "c", "b", ""]
    assert [r[2] for r in environment.report_rows(checks, statuses=("FAIL",))] == ["a", "c"]


def test_interop_rows_give_one_line_per_upgrade_path():
    rows = interop._rows(
        {
            "VCD": {"deploy": ["10.5.1", "10.6.0"], "upgrades": {"10.5.1": ["10.6.0"], "10.6.0": []}},
            "OVA_APPLIANCE": {"deploy": "*", "upgrades": {}},
            "RABBITMQ": {"deploy": ["3.8.14"], "upgrades": {"3.8.9": ["3.8.14"], "3.8.14": ["3.9.13"]}},
        }
    )
    assert rows == [
        ["VCD", ["10.5.1", "10.6.0"], "10.5.1 → 10.6.0"],
        ["OVA_APPLIANCE", "any version", "none"],
        ["RABBITMQ", ["3.8.14"], "3.8.9 → 3.8.14"],
        ["", "", "3.8.14 → 3.9.13"],
    ]


# --- against the server ---


@pytest.mark.vcsim
def test_validate_every_sample_then_a_broken_one(lcm, logged_in, world_committed, sample, tmp_path):
    for path in sorted(EXAMPLES.glob("*.json")):
        result = lcm("environment", "validate", "-f", str(path), "--no-prechecks")
        assert result.code == 0, (path.name, result.out, result.err)
        assert result.out.splitlines()[0].split() == ["STATUS", "CHECK", "PATH", "MESSAGE"]
        assert "FAIL" not in result.out and "The definition is valid (0 checks failed" in result.out
    assert (
        lcm("env", "validate", "--no-prechecks", "-f", "-", "--json", stdin=json.dumps(sample("rabbitmq"))).json()[
            "valid"
        ]
        is True
    )

    broken = sample("vcd")
    broken["products"][0]["nodes"][0]["hostName"] = "vcd01"
    result = lcm("environment", "validate", "--no-prechecks", "-f", _file(tmp_path, broken))
    assert result.code == 2
    rows = result.out.splitlines()
    assert rows[1].split()[:3] == ["FAIL", "nodes", "products[0].nodes[0].hostName"]  # failures first
    assert "'vcd01' is not a fully qualified domain name" in rows[1]
    assert "error: the definition is not valid (1 check failed" in result.err
    as_json = lcm("environment", "validate", "--no-prechecks", "-f", _file(tmp_path, broken), "--json")
    assert as_json.code == 2 and as_json.json()["valid"] is False
    assert not Environment.objects.exists()

    garbled = tmp_path / "garbled.json"
    garbled.write_text("{not json")
    result = lcm("environment", "validate", "-f", str(garbled))
    assert result.code == 2 and "is not valid JSON" in result.err


@pytest.mark.vcsim
def test_create_refuse_an_existing_id_then_replace_it(lcm, logged_in, world_committed, sample, tmp_path):
    created = lcm("environment", "create", "-f", str(EXAMPLES / "vcd.json"))
    assert created.code == 0, created.err
    assert created.out.startswith(
        "Stored the definition of environment lab-vcd (Cloud Director lab): 1 product, 3 nodes; state DEFINED."
    )
    assert created.err == ""

    again = lcm("environment", "create", "-f", str(EXAMPLES / "vcd.json"))
    assert again.code == 2
    assert again.err.startswith("error: environmentId: an environment 'lab-vcd' exists already")
    assert "hint: pass --replace-existing" in again.err

    changed = sample("vcd")
    changed["environmentName"] = "Renamed"
    changed["products"][0]["properties"]["dbPassword"] = "$encrypted$"  # keeps the stored secret
    replaced = lcm("env", "create", "-f", _file(tmp_path, changed), "--replace-existing", "--json")
    assert replaced.code == 0, replaced.err
    body = replaced.json()
    assert body["environmentName"] == "Renamed" and body["validation"]["valid"] is True
    assert body["products"][0]["properties"]["dbPassword"].startswith("ref:password:")
    assert Environment.objects.get().environment_name == "Renamed"
    _no_secrets(created, again, replaced)


@pytest.mark.vcsim
def test_create_refusals_show_the_failing_rows_and_ignore_validation_only_where_it_may(
    lcm, logged_in, world_committed, sample, tmp_path
):
    broken = sample("rabbitmq")
    broken["products"][0]["properties"]["erlangCookie"] = "short"
    for extra in ((), ("--ignore-validation",)):
        result = lcm("environment", "create", "-f", _file(tmp_path, broken), *extra)
        assert result.code == 2
        lines = result.err.splitlines()
        assert lines[0] == "error: the definition is not valid (1 check failed); nothing was stored"
        assert lines[1].split() == ["STATUS", "CHECK", "PATH", "MESSAGE"]
        assert lines[2].split()[:3] == ["FAIL", "property", "products[0].properties.erlangCookie"]
        assert lines[2].endswith("must be at least 20 characters long")
        assert lines[3].startswith("hint: fix the paths above")
    assert "never stores a definition that is not well formed" in result.err

    elsewhere = sample("rabbitmq")
    elsewhere["products"][0]["nodes"][0]["deployment"]["clusterName"] = "Future"
    refused = lcm("environment", "create", "-f", _file(tmp_path, elsewhere))
    assert refused.code == 2
    assert refused.err.splitlines()[2].split()[:4] == [
        "FAIL",
        "placement",
        "products[0].nodes[0].deployment.clusterName",
        "no",
    ]
    assert "no cluster 'Future'" in refused.err
    assert "or pass --ignore-validation" in refused.err
    stored = lcm("environment", "create", "-f", _file(tmp_path, elsewhere), "--ignore-validation")
    assert stored.code == 0, stored.err
    assert "Stored the definition of environment lab-amqp" in stored.out
    assert stored.err.startswith("warning: stored although 1 check failed")
    assert any(
        line.split()[:3] == ["FAIL", "placement", "products[0].nodes[0].deployment.clusterName"]
        for line in stored.err.splitlines()
    )
    assert Environment.objects.filter(environment_id="lab-amqp").exists()


@pytest.mark.vcsim
def test_export_then_create_the_export_gives_the_same_definition(lcm, logged_in, world_committed, tmp_path):
    assert lcm("environment", "create", "-f", str(EXAMPLES / "vrops_tenant_app.json")).code == 0
    first = lcm("environment", "export", "lab-ta", "--json")
    assert first.code == 0, first.err
    exported = first.json()
    assert exported["environmentId"] == "lab-ta" and "ref:password:" in first.out
    assert lcm("environment", "export", "lab-ta").out == first.out  # JSON for people and scripts alike

    path = tmp_path / "lab-ta.json"
    written = lcm("environment", "export", "lab-ta", "-o", str(path))
    assert written.code == 0, written.err
    assert f"to {path}" in written.out and f"lcm environment create -f {path} --replace-existing" in written.out
    assert path.read_text() == first.out
    umask = os.umask(0)
    os.umask(umask)
    assert stat.S_IMODE(path.stat().st_mode) == 0o644 & ~umask

    path.write_text("{}")
    kept = lcm("environment", "export", "lab-ta", "-o", str(path))
    assert kept.code == 2 and f"{path} exists already" in kept.err and "--force" in kept.err
    assert path.read_text() == "{}"
    assert lcm("environment", "export", "lab-ta", "-o", str(path), "--force").code == 0
    assert path.read_text() == first.out

    stored = lcm("environment", "create", "-f", str(path), "--replace-existing")
    assert stored.code == 0, stored.err
    again = lcm("environment", "export", "lab-ta", "--json")
    assert again.out == first.out  # byte for byte: the stored references carry over
    _no_secrets(first, written, stored, again)

    missing = lcm("environment", "export", "nope", "-o", str(tmp_path / "nope.json"))
    assert missing.code == 2 and missing.err == "error: no environment 'nope'\n"
    assert not (tmp_path / "nope.json").exists()


@pytest.mark.vcsim
def test_list_get_and_product_get(lcm, logged_in, world_committed):
    assert lcm("env", "list").out == "No environments defined. Store one with `lcm environment create -f spec.json`.\n"
    for name in ("vcd", "rabbitmq"):
        assert lcm("environment", "create", "-f", str(EXAMPLES / f"{name}.json")).code == 0

    listing = lcm("environment", "list")
    assert listing.code == 0, listing.err
    rows = listing.out.splitlines()
    assert rows[0].split() == ["ENVIRONMENT", "NAME", "STATE", "NODES", "UPDATED", "PRODUCTS"]
    assert rows[1].startswith("lab-amqp     Messaging") and rows[1].endswith("rabbitmq (RABBITMQ 3.8.14)")
    assert rows[2].startswith("lab-vcd") and "DEFINED" in rows[2] and rows[2].endswith("vcd (VCD 10.5.1)")
    data = lcm("environment", "list", "--json").json()
    assert data["count"] == 2 and data["results"][1]["products"][0]["nodeCount"] == 3

    shown = lcm("environment", "get", "lab-vcd")
    assert shown.code == 0, shown.err
    out = shown.out
    assert (
        "Environment:  lab-vcd" in out and "Name:         Cloud Director lab" in out and "State:        DEFINED" in out
    )
    products = out[out.index("PRODUCT ") :].splitlines()
    assert products[1].split() == ["vcd", "VCD", "10.5.1", "DEFINED", "3"]
    nodes = out[out.index("Nodes of vcd") :].splitlines()
    assert nodes[1].split() == [
        "NODE",
        "ROLE",
        "HOST",
        "NAME",
        "VM",
        "NAME",
        "IP",
        "ADDRESS",
        "PLACEMENT",
        "STATE",
        "VM",
        "INSTANCE",
        "UUID",
    ]
    assert nodes[2].split() == [
        "node1",
        "primary",
        "vcd-01.lab.example.com",
        "vcd-01",
        "192.168.10.11",
        "vc01/DC0/DC0_C0",
        "DEFINED",
    ]
    assert [line.split()[1] for line in nodes[3:5]] == ["standby", "cell"]
    full = lcm("environment", "get", "lab-vcd", "--json").json()
    assert [n["role"] for n in full["products"][0]["deployedNodes"]] == ["primary", "standby", "cell"]

    product = lcm("environment", "product", "get", "lab-amqp", "rabbitmq")
    assert product.code == 0, product.err
    out = product.out
    assert "Product:      rabbitmq" in out and "Type:         RABBITMQ" in out and "Version:      3.8.14" in out
    properties = dict(
        line.split(None, 1)
        for line in out[out.index("Properties") : out.index("Nodes")].splitlines()[2:]
        if line.strip()
    )
    assert properties["password"] == "(stored secret)" and properties["username"] == "vcd"
    assert properties["amqpPort"] == "5672"
    assert len(out[out.index("\nNodes") :].strip().splitlines()) == 2 + 3
    as_json = lcm("env", "product", "get", "lab-amqp", "rabbitmq", "--json").json()
    assert as_json["properties"]["password"].startswith("ref:password:") and len(as_json["deployedNodes"]) == 3
    _no_secrets(listing, shown, product)

    missing = lcm("environment", "get", "nope")
    assert missing.code == 2 and missing.err == "error: no environment 'nope'\n"
    missing = lcm("environment", "product", "get", "lab-amqp", "nope")
    assert missing.code == 2 and missing.err == "error: no product 'nope' in environment 'lab-amqp'\n"


@pytest.mark.vcsim
def test_deploy_queues_a_task_or_refuses_an_invalid_definition(lcm, logged_in, world_committed, sample, tmp_path):
    neither = lcm("environment", "deploy")
    assert neither.code == 2 and "name a stored environment (ID) or a definition (-f FILE)" in neither.err
    broken = sample("ova_appliance")
    broken["products"][0]["nodes"][0]["deployment"]["clusterName"] = "Future"
    invalid = lcm("environment", "deploy", "-f", _file(tmp_path, broken))  # checked first, like create
    assert invalid.code == 2 and invalid.err.splitlines()[2].split()[:3] == [
        "FAIL",
        "placement",
        "products[0].nodes[0].deployment.clusterName",
    ]
    assert invalid.err.splitlines()[-1].startswith("hint: the definition is well formed: fix what it refers to")
    assert not Environment.objects.exists()

    # No worker here: the task is queued, and the environment is stored and marked as deploying.
    result = lcm("environment", "deploy", "-f", str(EXAMPLES / "ova_appliance.json"))
    assert result.code == 0, result.err
    assert result.out.startswith("Task ") and "queued: deploy lab-ova." in result.out
    assert Environment.objects.get(environment_id="lab-ova").state == "DEPLOYING"
    again = lcm("environment", "deploy", "lab-ova")
    assert again.code != 0 and "is running on lab-ova; deploy it when it has ended" in again.err


@pytest.mark.vcsim
@pytest.mark.worker
def test_delete_with_wait(lcm, logged_in, world_committed, worker):
    assert lcm("environment", "create", "-f", str(EXAMPLES / "ova_appliance.json")).code == 0
    refused = lcm("environment", "delete", "lab-ova", stdin="")  # no terminal to ask on
    assert refused.code == 2 and "pass --yes" in refused.err
    result = lcm("environment", "delete", "lab-ova", "--yes", "--wait")
    assert result.code == 0, result.err
    assert "SUCCESS          Remove the environment's definition" in result.out
    assert "succeeded in" in result.out.splitlines()[-1]
    assert not Environment.objects.exists()
    gone = lcm("environment", "delete", "lab-ova", "--yes")
    assert gone.code == 2 and gone.err == "error: no environment 'lab-ova'\n"


@pytest.mark.vcsim
def test_interop_show_and_import(lcm, logged_in, world_committed, tmp_path):
    shown = lcm("interop", "show")
    assert shown.code == 0, shown.err
    lines = shown.out.splitlines()
    assert lines[0] == "Interop table:  built-in interop table"
    assert lines[1] == "Imported:       never (the table built into this release)"
    assert lines[3].split() == ["TYPE", "DEPLOYABLE", "VERSIONS", "UPGRADE", "PATHS"]
    assert lines[4].split()[0] == "VCD" and lines[4].endswith("10.4.2 → 10.4.3, 10.5.0, 10.5.1")
    assert "OVA_APPLIANCE" in shown.out and "any version" in shown.out
    only = lcm("interop", "show", "--product-type", "rabbitmq", "--json").json()
    assert list(only["products"]) == ["RABBITMQ"]
    unknown = lcm("interop", "show", "--product-type", "nsx")
    assert unknown.code == 2 and "error: the interop table has no product type NSX" in unknown.err

    bundle = {
        "name": "2025-06 bundle",
        "products": {
            "VCD": {"deploy": ["10.6.1"], "upgrades": {"10.6.0": ["10.6.1"]}},
            "OVA_APPLIANCE": {"deploy": "*"},
        },
    }
    imported = lcm("interop", "import", "-f", _file(tmp_path, bundle, "bundle.json"))
    assert imported.code == 0, imported.err
    assert imported.out.startswith("Imported the interop bundle '2025-06 bundle' at ")
    assert "(2 product types)" in imported.out
    after = lcm("interop", "show").out.splitlines()
    assert after[0] == "Interop table:  2025-06 bundle" and not after[1].endswith(
        "never (the table built into this release)"
    )
    assert lcm("interop", "show", "--json").json()["products"] == bundle["products"]

    refused = lcm(
        "environment", "validate", "--no-prechecks", "-f", str(EXAMPLES / "vcd.json")
    )  # checked against the new table
    assert refused.code == 2
    failed = refused.out.splitlines()[1]
    assert failed.split()[:3] == ["FAIL", "interop", "products[0].version"] and failed.endswith("(allowed: 10.6.1)")

    for broken, path in (
        ({"name": "x", "products": {"NSX": {"deploy": ["4.1"]}}}, "products.NSX"),
        ({"name": "x", "products": {"VCD": {"deploy": "10.6.1"}}}, "products.VCD.deploy"),
        ({"products": {"VCD": {"deploy": ["10.6.1"]}}}, "name"),
    ):
        result = lcm("interop", "import", "-f", "-", stdin=json.dumps(broken))
        assert result.code == 2, result.out
        assert result.err.startswith(f"error: {path}: "), result.err
    assert lcm("interop", "show", "--json").json()["name"] == "2025-06 bundle"

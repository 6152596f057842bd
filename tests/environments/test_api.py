"""Environments over the REST API: create, validate, refuse, replace, export and re-import, delete."""

import pytest
from django.db import connection
from rest_framework.test import APIClient

from environments.models import ComponentReference, Environment, Node, Product
from lifecycle.engine.models import StoredSecret


@pytest.fixture
def api(admin_user):
    client = APIClient()
    client.force_authenticate(admin_user)
    return client


def post(api, spec, **params):
    query = "&".join(f"{k}={v}" for k, v in params.items())
    return api.post("/api/v1/environments" + (f"?{query}" if query else ""), spec, format="json")


def test_validate_answers_the_report_and_stores_nothing(world, api, sample):
    answer = post(api, sample("vcd"), action="VALIDATE", prechecks="false")
    assert answer.status_code == 200
    assert answer.json()["valid"] is True
    broken = sample("vcd")
    broken["products"][0]["nodes"][0]["hostName"] = "vcd01"
    report = post(api, broken, action="VALIDATE", prechecks="false").json()
    assert report["valid"] is False
    assert {
        "check": "nodes",
        "status": "FAIL",
        "path": "products[0].nodes[0].hostName",
        "message": "'vcd01' is not a fully qualified domain name",
    } in report["checks"]
    assert not Environment.objects.exists()


def test_create_stores_products_nodes_references_and_secrets_only_encrypted(world, api, sample):
    answer = post(api, sample("vcd"))
    assert answer.status_code == 201, answer.json()
    body = answer.json()
    assert body["environmentId"] == "lab-vcd" and body["environmentState"] == "DEFINED"
    assert body["validation"]["valid"] is True
    product = Product.objects.get()
    assert [n.role for n in Node.objects.order_by("position")] == ["primary", "standby", "cell"]
    assert set(ComponentReference.objects.values_list("component_name", flat=True)) == {"vc01"}
    stored = product.spec
    assert stored["properties"]["dbPassword"].startswith("ref:password:")
    assert stored["nodes"][0]["rootPassword"].startswith("ref:password:")
    assert stored["integrations"][0]["integrationPassword"].startswith("ref:password:")
    assert StoredSecret.objects.get(ref=stored["properties"]["dbPassword"].split(":")[-1]).value == "Db-Passw0rd!"
    everything = " ".join(
        api.get(url).content.decode()
        for url in (
            "/api/v1/environments",
            "/api/v1/environments/lab-vcd",
            "/api/v1/environments/lab-vcd/export",
            "/api/v1/environments/lab-vcd/products/vcd",
        )
    )
    with connection.cursor() as cursor:
        cursor.execute("SELECT value FROM lifecycle_storedsecret")
        everything += " ".join(row[0] for row in cursor.fetchall())
    for secret in ("Db-Passw0rd!", "Root-Passw0rd!", "Vc-Passw0rd!", "Admin-Passw0rd!"):
        assert secret not in everything


def test_an_existing_environment_id_is_refused_unless_replace_existing(world, api, sample):
    assert post(api, sample("vcd")).status_code == 201
    again = post(api, sample("vcd"))
    assert again.status_code == 400
    assert "replaceExisting" in again.json()["errors"]["environmentId"][0]
    changed = sample("vcd")
    changed["environmentName"] = "Renamed"
    changed["products"][0]["properties"]["dbPassword"] = "$encrypted$"  # keep the stored one
    replaced = post(api, changed, replaceExisting="true")
    assert replaced.status_code == 201, replaced.json()
    assert Environment.objects.get().environment_name == "Renamed"
    assert Product.objects.count() == 1


def test_export_then_import_gives_an_identical_definition(world, api, sample):
    assert post(api, sample("vrops_tenant_app")).status_code == 201
    exported = api.get("/api/v1/environments/lab-ta/export").json()
    assert post(api, exported, replaceExisting="true").status_code == 201
    assert api.get("/api/v1/environments/lab-ta/export").json() == exported
    copy_of = dict(exported, environmentId="lab-ta-copy")
    for product in copy_of["products"]:
        for node in product["nodes"]:
            node["nics"][0]["ipAddress"] = node["nics"][0]["ipAddress"].replace("192.168.10.3", "192.168.10.13")
            node["vmName"] += "-b"
    copy_of["products"][0]["properties"]["installationId"] = 9
    answer = post(api, copy_of)
    assert answer.status_code == 201, answer.json()
    again = api.get("/api/v1/environments/lab-ta-copy/export").json()
    assert again == copy_of  # secret references carry over: no clear text needed to re-import


def test_invalid_definitions_are_refused_with_the_report_unless_only_the_world_is_missing(world, api, sample):
    broken = sample("rabbitmq")
    broken["products"][0]["properties"]["erlangCookie"] = "short"
    answer = post(api, broken)
    assert answer.status_code == 400
    assert answer.json()["errors"]["products[0].properties.erlangCookie"] == ["must be at least 20 characters long"]
    assert answer.json()["validation"]["valid"] is False
    assert post(api, broken, ignoreValidation="true").status_code == 400  # a malformed definition is never stored

    elsewhere = sample("rabbitmq")
    elsewhere["products"][0]["nodes"][0]["deployment"]["clusterName"] = "Future"
    assert post(api, elsewhere).status_code == 400
    stored = post(api, elsewhere, ignoreValidation="true")
    assert stored.status_code == 201
    assert stored.json()["validation"]["valid"] is False
    assert not Environment.objects.filter(environment_id="nope").exists()


def test_import_refuses_plainly_and_an_invalid_deploy_stores_nothing(world, api, sample):
    answer = post(api, sample("ova_appliance"), action="IMPORT")
    assert answer.status_code == 501
    assert "not available in this release" in answer.json()["message"]
    broken = sample("ova_appliance")
    broken["products"][0]["nodes"][0]["deployment"]["clusterName"] = "Future"
    answer = post(api, broken, action="DEPLOY")
    assert answer.status_code == 400
    assert answer.json()["errors"] == {
        "products[0].nodes[0].deployment.clusterName": ["no cluster 'Future' in vc01/DC0 (known: DC0_C0)"]
    }
    assert not Environment.objects.exists()
    from lifecycle.engine.models import Task

    assert not Task.objects.exists()
    assert post(api, sample("ova_appliance"), action="EXPLODE").json()["errors"] == {
        "action": ["must be one of CREATE, VALIDATE, DEPLOY, IMPORT, not 'EXPLODE'"]
    }


def test_product_and_unknown_ids(world, api, sample):
    post(api, sample("rabbitmq"))
    product = api.get("/api/v1/environments/lab-amqp/products/rabbitmq").json()
    assert product["productType"] == "RABBITMQ" and len(product["deployedNodes"]) == 3
    assert product["properties"]["password"].startswith("ref:password:")
    assert api.get("/api/v1/environments/nope").status_code == 404
    assert api.get("/api/v1/environments/lab-amqp/products/nope").status_code == 404
    assert post(api, ["not", "an", "object"]).json()["errors"] == {"": ["the environment spec must be a JSON object"]}


def test_delete_runs_as_a_task_and_removes_the_definition(world_committed, worker, admin_user, sample):
    from tests.helpers import task_wait

    client = APIClient()
    client.force_authenticate(admin_user)
    assert post(client, sample("ova_appliance")).status_code == 201
    answer = client.delete("/api/v1/environments/lab-ova")
    assert answer.status_code == 202
    assert task_wait(answer.json()["taskId"]).status == "SUCCESS"
    assert not Environment.objects.exists() and not Node.objects.exists()

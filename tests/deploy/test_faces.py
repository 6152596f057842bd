"""A deployment and a delete from each face: the REST API, the CLI (through the API) and the pages."""

from __future__ import annotations

import json

import pytest
from django.urls import reverse

from environments.models import Environment, EnvironmentState, Node
from lifecycle.engine.models import Status, Task
from tests.cli.conftest import lcm, lcm_env, logged_in, user  # noqa: F401  (the CLI's fixtures)
from tests.helpers import task_wait

pytestmark = [pytest.mark.vcsim, pytest.mark.worker]


def test_api_deploy_get_and_delete_a_product(deploy_world, api, finished_ok):
    spec = deploy_world.definition("USAGE_METER")
    deploy_world.expect(spec)
    answer = api.post("/api/v1/environments?action=DEPLOY", spec, format="json")
    assert answer.status_code == 202, answer.json()
    body = answer.json()
    assert body["environment"]["environmentState"] == "DEPLOYING" and body["validation"]["valid"] is True
    finished_ok(task_wait(body["taskId"]))
    environment_id = spec["environmentId"]
    shown = api.get(f"/api/v1/environments/{environment_id}").json()
    assert shown["environmentState"] == "DEPLOYED"
    node = shown["products"][0]["deployedNodes"][0]
    recorded = Node.objects.get(product__environment__environment_id=environment_id)
    assert node == {
        **node,
        "nodeState": "READY",
        "vmMoref": recorded.vm_moref,
        "instanceUuid": recorded.instance_uuid,
        "ipAddress": spec["products"][0]["nodes"][0]["nics"][0]["ipAddress"],
        "powerState": "poweredOn",
        "vcenterName": "vc01",
    }
    assert "Meter-Passw0rd!" not in json.dumps(shown)
    again = api.post(f"/api/v1/environments/{environment_id}/deploy", {}, format="json")
    assert again.status_code == 409 and "its products are deployed already" in again.json()["message"]
    bad = api.post(f"/api/v1/environments/{environment_id}/deploy", {"productIds": "um"}, format="json")
    assert bad.status_code == 400 and bad.json()["errors"] == {"productIds": ["must be a list of product ids"]}
    deleted = api.delete(f"/api/v1/environments/{environment_id}/products/um")
    assert deleted.status_code == 202
    finished_ok(task_wait(deleted.json()["taskId"]))
    assert spec["products"][0]["nodes"][0]["vmName"] not in deploy_world.vms()
    assert Environment.objects.get(environment_id=environment_id).state == EnvironmentState.DEFINED


def test_cli_deploys_with_wait_shows_the_vms_and_deletes(deploy_world, lcm, logged_in, tmp_path):  # noqa: F811
    spec = deploy_world.definition("RABBITMQ", nodes=2)
    deploy_world.expect(spec)
    path = tmp_path / "amqp.json"
    path.write_text(json.dumps(spec))
    result = lcm("environment", "deploy", "-f", str(path), "--wait")
    assert result.code == 0, result.out + result.err
    assert result.out.startswith("Task ") and "SUCCESS" in result.out
    shown = lcm("environment", "get", spec["environmentId"])
    node = Node.objects.filter(product__environment__environment_id=spec["environmentId"]).first()
    assert "DEPLOYED" in shown.out and node.instance_uuid in shown.out and "SET_UP" in shown.out
    refused = lcm("environment", "deploy", spec["environmentId"])
    assert refused.code != 0 and "its products are deployed already" in refused.err
    deleted = lcm("environment", "delete", spec["environmentId"], "--yes", "--wait")
    assert deleted.code == 0, deleted.out + deleted.err
    assert not Environment.objects.filter(environment_id=spec["environmentId"]).exists()
    assert not {n["vmName"] for n in spec["products"][0]["nodes"]} & set(deploy_world.vms())


def test_pages_deploy_button_task_and_delete_confirmation(deploy_world, admin_client, finished_ok):
    from environments.services import environment_create

    spec = deploy_world.definition("VROPS_TENANT_APP")
    deploy_world.expect(spec)
    environment_create(spec=spec)
    detail = reverse("environment-detail", args=[spec["environmentId"]])
    page = admin_client.get(detail).content.decode()
    assert reverse("environment-deploy", args=[spec["environmentId"]]) in page and ">Deploy</button>" in page
    answer = admin_client.post(reverse("environment-deploy", args=[spec["environmentId"]]))
    task = Task.objects.get(operation="environment.deploy")
    assert answer.status_code == 302 and answer["Location"] == reverse("task-detail", args=[task.pk])
    finished_ok(task_wait(task.pk))
    page = admin_client.get(detail).content.decode()
    node = Node.objects.filter(product__product_id="tenant-app").get()
    assert node.instance_uuid in page and node.vm_moref in page and ">Deploy</button>" not in page
    confirm = admin_client.get(reverse("product-delete", args=[spec["environmentId"], "tenant-app"])).content.decode()
    assert "powered off and destroyed" in confirm and node.instance_uuid in confirm
    assert "Admin-Passw0rd!" not in page + confirm
    answer = admin_client.post(reverse("product-delete", args=[spec["environmentId"], "tenant-app"]))
    delete = Task.objects.get(operation="product.delete")
    assert answer["Location"] == reverse("task-detail", args=[delete.pk])
    assert task_wait(delete.pk).status == Status.SUCCESS

"""An OVA's own secrets, found as a user would look for them: an OVA appliance whose OVF marks root_pw,
api_token and guestinfo.seed as passwords is deployed; the values reach vCenter and nowhere else."""

from __future__ import annotations

import json

import pytest
from django.db import connection
from django.urls import reverse

from environments.models import Product
from lifecycle.engine.models import Action, Task
from tests.deploy.packages import OVA_PASSWORD_KEYS
from tests.helpers import task_wait

pytestmark = [pytest.mark.vcsim, pytest.mark.worker]


def _database_text() -> str:
    """Every row of every table, as the database holds it (ciphertext stays ciphertext)."""
    chunks = []
    with connection.cursor() as cursor:
        for table in connection.introspection.table_names(cursor):
            cursor.execute(f"SELECT * FROM {connection.ops.quote_name(table)}")
            chunks.extend(repr(row) for row in cursor.fetchall())
    return "\n".join(chunks)


def test_ova_password_properties_reach_vcenter_and_no_other_place(deploy_world, api, admin_client, finished_ok):
    spec = deploy_world.definition("OVA_APPLIANCE")
    product = spec["products"][0]
    secrets = {key: f"only-for-the-vm-{n}-Xq7" for n, key in enumerate(OVA_PASSWORD_KEYS)}
    product["properties"]["ovfProperties"].update(secrets)
    node = product["nodes"][0]
    deploy_world.expect(spec)

    answer = api.post("/api/v1/environments?action=DEPLOY", spec, format="json")
    assert answer.status_code == 202, answer.json()
    task = finished_ok(task_wait(answer.json()["taskId"]))

    # The values reached the VM (vcsim keeps the OVF environment's properties in extraConfig) …
    config = deploy_world.vms()[node["vmName"]]["extraConfig"]
    assert {key: config.get(key) for key in secrets} == secrets
    assert config["hostname"] == node["hostName"]  # … as did the plain ones, which the log shows …
    import_log = task.actions.get(name="vm_import").log
    assert f"hostname = '{node['hostName']}'" in import_log
    assert all(f"{key} = (secret)" in import_log for key in secrets)

    # … and no other place holds them: the database, the API's answers, the pages, the task's log.
    environment_id, product_id = spec["environmentId"], product["productId"]
    places = {"database": _database_text()}
    for path in (
        f"/api/v1/environments/{environment_id}",
        f"/api/v1/environments/{environment_id}/export",
        f"/api/v1/environments/{environment_id}/products/{product_id}",
        f"/api/v1/tasks/{task.pk}",
        f"/api/v1/tasks/{task.pk}/request",
        "/api/v1/tasks",
        "/api/v1/environments",
    ):
        response = api.get(path)
        assert response.status_code == 200, (path, response.content[:300])
        places[path] = response.content.decode()
    stored = Product.objects.get(environment__environment_id=environment_id)
    for name, args in (
        ("environment-detail", [environment_id]),
        ("environment-export", [environment_id]),
        ("task-detail", [task.pk]),
        ("task-list", []),
        ("environment-list", []),
    ):
        page = admin_client.get(reverse(name, args=args))
        assert page.status_code == 200, name
        places[name] = page.content.decode()
    for url in (
        reverse("admin:environments_product_change", args=[stored.pk]),
        reverse("admin:lifecycle_task_change", args=[task.pk]),
    ):
        page = admin_client.get(url)
        assert page.status_code == 200, url
        places[url] = page.content.decode()
    places["task log"] = "\n".join(f"{a.log}{a.message}" for a in Action.objects.filter(task=task)) + task.message
    leaks = {where: [key for key, value in secrets.items() if value in text] for where, text in places.items()}
    assert {where: keys for where, keys in leaks.items() if keys} == {}

    # What the API shows in their place: the stored secret's reference in the definition (which imports
    # again), the placeholder in the task's request.
    exported = json.loads(places[f"/api/v1/environments/{environment_id}/export"])
    shown = exported["products"][0]["properties"]["ovfProperties"]
    assert all(shown[key].startswith("ref:password:") for key in secrets) and shown["extra"] == "x"
    request = Task.objects.get(pk=task.pk).request
    ovf = request["definition"]["products"][0]["properties"]["ovfProperties"]
    assert {ovf[key] for key in secrets} == {"$encrypted$"} and ovf["extra"] == "x"

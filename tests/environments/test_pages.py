"""The environment pages: list, detail (validate, export, delete) and JSON import. The product wizard has its own
module (test_wizard)."""

import copy
import html as html_lib
import json
import re

import pytest
from django.urls import reverse

from environments import services
from environments.models import Environment
from lifecycle.engine.models import Task
from tests.environments.conftest import SAMPLES
from tests.environments.page_helpers import SECRETS, _field_error, _revealed, _store

# The list: session, user, environments (with their last task), products, nodes, the last tasks.
LIST_QUERIES = 6


# -- list and detail --


@pytest.mark.django_db
def test_pages_ask_for_a_login_first(client):
    for url in (
        reverse("environment-list"),
        reverse("environment-new"),
        reverse("environment-import"),
        reverse("environment-detail", args=["x"]),
        reverse("environment-options", args=["datacenters"]),
    ):
        response = client.get(url)
        assert response.status_code == 302 and response.url.startswith(reverse("login")), url


def test_list_shows_state_products_nodes_and_last_task(world, pages, django_assert_num_queries):
    empty = pages.get(reverse("environment-list")).content.decode()
    assert "No environments yet" in empty and reverse("environment-new") in empty
    assert reverse("environment-import") in empty and 'href="/environments/">Environments</a>' in empty
    _store(SAMPLES["vcd"])
    _store(SAMPLES["vrops_tenant_app"])
    task = services.environment_delete(environment_id="lab-ta")
    with django_assert_num_queries(LIST_QUERIES):
        html = pages.get(reverse("environment-list")).content.decode()
    for text in (
        "lab-vcd",
        "Cloud Director lab",
        "lab-ta",
        "Tenant App",
        "VCD 10.5.1",
        "VROPS_TENANT_APP 8.12.0",
        'badge text-bg-secondary">Defined',
        '<td class="text-end">3</td>',
        '<td class="text-end">2</td>',
    ):
        assert text in html, text
    assert reverse("task-detail", args=[task.pk]) in html and "Delete environment" in html
    pages.assert_never_shown(*SECRETS)


def test_detail_shows_products_properties_nodes_references_and_tasks(world, pages):
    _store(SAMPLES["vcd"])
    task = services.environment_delete(environment_id="lab-vcd")
    response = pages.get(reverse("environment-detail", args=["lab-vcd"]))
    html = response.content.decode()
    for text in (
        "Cloud Director lab",
        "VMware Cloud Director 10.5.1",
        "22375354",
        "installationId",
        "cloud@lab.example.com",
        "publicAddress.restApiBaseUri",
        "https://vcd.lab.example.com",
        "vcd-01.lab.example.com",
        "192.168.10.13",
        "vc01 / DC0 / DC0_C0 / Resources / vm",
        "LocalDS_0",
        "Standby appliance",
        "Primary appliance",
        "(primary-small)",
        "infraReference",
        "as administrator@vsphere.local",
    ):
        assert text in html, text
    assert html.count("stored secret") == 3  # adminPassword, dbPassword, the integration's password
    assert "ref:password:" not in html
    assert f'href="{reverse("datacenter-detail", args=["vc01"])}"' in html
    for name in ("environment-validate", "environment-export", "environment-add-product", "environment-delete"):
        assert reverse(name, args=["lab-vcd"]) in html, name
    assert reverse("task-detail", args=[task.pk]) in html
    assert pages.get(reverse("environment-detail", args=["nope"])).status_code == 404
    pages.assert_never_shown(*SECRETS)


def test_validate_on_the_page_shows_the_report_with_status_colours(world, pages):
    _store(SAMPLES["rabbitmq"])
    url = reverse("environment-validate", args=["lab-amqp"])
    partial = pages.post(url, HTTP_HX_REQUEST="true").content.decode()
    assert partial.lstrip().startswith('<div id="report">') and "<html" not in partial
    assert 'text-bg-success">PASS' in partial
    # The page's Validate adds the deployment pre-checks: this world's vc01 does not answer.
    assert "products[0].nodes[0].deployment.vcenterName" in partial and "cannot connect to 127.0.0.1:443" in partial
    from products.models import RepositoryFile

    RepositoryFile.objects.filter(product_type="RABBITMQ").delete()  # the binary went away since
    page = pages.post(url).content.decode()
    assert "<html" in page and 'text-bg-danger">FAIL' in page and "table-danger" in page
    assert "products[0].version" in page and "no usable RABBITMQ 3.8.14 binary" in page
    pages.assert_never_shown(*SECRETS)


def test_delete_asks_then_runs_a_task(world, pages):
    _store(SAMPLES["ova_appliance"])
    confirm = pages.get(reverse("environment-delete", args=["lab-ova"])).content.decode()
    assert "Delete lab-ova?" in confirm and not Task.objects.exists()
    response = pages.post(reverse("environment-delete", args=["lab-ova"]))
    task = Task.objects.get(operation="environment.delete")
    assert response.url == reverse("task-detail", args=[task.pk])
    again = pages.post(reverse("environment-delete", args=["lab-ova"]), follow=True)
    assert again.status_code == 200  # a second delete queues behind the first
    pages.assert_never_shown(*SECRETS)


# -- import and export --


@pytest.mark.parametrize("name", sorted(SAMPLES))
def test_import_of_pasted_json_stores_each_sample(world, pages, name):
    spec = SAMPLES[name]
    response = pages.post(reverse("environment-import"), {"text": json.dumps(spec), "action": "import"})
    assert response.status_code == 302 and response.url == reverse("environment-detail", args=[spec["environmentId"]])
    assert _revealed(services.environment_export(environment_id=spec["environmentId"])) == spec
    pages.get(response.url)
    pages.assert_never_shown(*SECRETS)


def _textarea(html: str) -> str:
    return html_lib.unescape(re.search(r'<textarea name="text"[^>]*>\n?(.*?)</textarea>', html, re.S).group(1))


def test_a_refused_import_shows_its_failures_and_keeps_the_text(world, pages):
    broken = copy.deepcopy(SAMPLES["rabbitmq"])
    broken["products"][0]["nodes"][0]["hostName"] = "rmq01"
    broken["products"][0]["properties"]["amqpPort"] = 70000
    text = json.dumps(broken, indent=2)
    response = pages.post(reverse("environment-import"), {"text": text, "action": "import"})
    html = response.content.decode()
    assert response.status_code == 200 and not Environment.objects.exists()
    assert "Not imported" in html
    assert "<code>products[0].nodes[0].hostName</code>: &#x27;rmq01&#x27; is not a fully qualified domain name" in html
    assert "<code>products[0].properties.amqpPort</code>: must be from 1 to 65535, not 70000" in html
    # The text is kept for correcting, its secrets shown as "********" and kept for the next try.
    shown = _textarea(html)
    masked = json.loads(shown)
    assert masked["products"][0]["properties"]["password"] == "********"
    assert masked["products"][0]["nodes"][2]["rootPassword"] == "********"
    for secret in ("Amqp-Passw0rd!", "ErlangCookie0123456789abc", "Root-Passw0rd!"):
        text = text.replace(json.dumps(secret), '"********"')
    assert shown == text and "5 secret(s)" in html  # password, erlangCookie, 3 rootPasswords
    corrected = shown.replace('"rmq01"', '"rmq-01.lab.example.com"').replace("70000", "5672")
    imported = pages.post(reverse("environment-import"), {"text": corrected, "action": "import"})
    assert imported.status_code == 302
    assert _revealed(services.environment_export(environment_id="lab-amqp")) == SAMPLES["rabbitmq"]

    Environment.objects.all().delete()
    validated = pages.post(
        reverse("environment-import"), {"text": json.dumps(SAMPLES["rabbitmq"]), "action": "validate"}
    )
    assert "Every check passes." in validated.content.decode() and not Environment.objects.exists()
    not_json = pages.post(reverse("environment-import"), {"text": "{oops", "action": "import"}).content.decode()
    assert "not valid JSON" in _field_error(not_json, "text") and "{oops" in not_json
    _store(SAMPLES["rabbitmq"])
    again = pages.post(reverse("environment-import"), {"text": json.dumps(SAMPLES["rabbitmq"]), "action": "import"})
    assert "replaceExisting" in again.content.decode()
    replaced = pages.post(
        reverse("environment-import"),
        {"text": _textarea(again.content.decode()), "action": "import", "replaceExisting": "on"},
    )
    assert replaced.status_code == 302
    assert _revealed(services.environment_export(environment_id="lab-amqp")) == SAMPLES["rabbitmq"]
    pages.assert_never_shown(*SECRETS)


def test_import_of_an_uploaded_file_and_export_download(world, pages):
    from django.core.files.uploadedfile import SimpleUploadedFile

    upload = SimpleUploadedFile("usage_meter.json", json.dumps(SAMPLES["usage_meter"]).encode(), "application/json")
    response = pages.post(reverse("environment-import"), {"file": upload, "action": "import"})
    assert response.url == reverse("environment-detail", args=["lab-um"])
    download = pages.client.get(reverse("environment-export", args=["lab-um"]))
    assert download["Content-Type"] == "application/json"
    assert download["Content-Disposition"] == 'attachment; filename="lab-um.json"'
    assert json.loads(download.content) == services.environment_export(environment_id="lab-um")
    assert "Meter-Passw0rd!" not in download.content.decode()
    assert pages.client.get(reverse("environment-export", args=["nope"])).status_code == 404

    broken = SimpleUploadedFile("x.json", b'{"environmentId": "lab-y"}', "application/json")
    refused = pages.post(reverse("environment-import"), {"file": broken, "action": "import"}).content.decode()
    assert "<code>environmentName</code>: required" in refused and "&quot;lab-y&quot;" in refused
    pages.assert_never_shown(*SECRETS)

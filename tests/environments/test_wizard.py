"""The product wizard's pages and their small htmx answers: the wizard must store exactly what the API stores for
the same definition."""

import copy
import html as html_lib
import json
import re

import pytest
from django.urls import reverse
from rest_framework.test import APIClient

from environments import services
from environments.models import Environment
from products.types import product_type_get
from products.types.base import BOOLEAN, OBJECT
from tests.environments.conftest import SAMPLES
from tests.environments.page_helpers import SECRETS, _field_error, _revealed, _store


def _options(html: str) -> list[str]:
    return [html_lib.unescape(value) for value in re.findall(r'<option value="([^"]*)"', html) if value]


def _selected(html: str) -> str:
    match = re.search(r'<option value="([^"]*)" selected>', html)
    return html_lib.unescape(match.group(1)) if match else ""


# -- walking the wizard as a browser does --


def _node_data(index: int, node: dict) -> dict:
    nic = node["nics"][0]
    data = {
        f"nodes-{index}-{key}": str(node.get(key, ""))
        for key in ("nodeId", "deploymentOption", "hostName", "vmName", "cpuNum", "ramMemory", "rootPassword")
    }
    data[f"nodes-{index}-ipAddress"] = nic.get("ipAddress", "")
    data[f"nodes-{index}-networkName"] = nic["networkName"]
    if node.get("isPrimary"):
        data[f"nodes-{index}-isPrimary"] = "on"
    return data


def _nodes_data(nodes: list[dict]) -> dict:
    data = {"nodes-TOTAL_FORMS": str(len(nodes)), "nodes-INITIAL_FORMS": "0"}
    for index, node in enumerate(nodes):
        data.update(_node_data(index, node))
    return data


def _properties_data(product: dict) -> dict:
    """What a user types into the properties step for a sample: its values, the rest left blank."""
    data = {}

    def fill(declared, values, prefix):
        for prop in declared:
            name = prefix + prop.name
            if prop.type == OBJECT:
                fill(prop.children, values.get(prop.name) or {}, name + ".")
            elif prop.type == BOOLEAN:
                if values.get(prop.name):
                    data[name] = "on"
            elif isinstance(values.get(prop.name), dict):
                data[name] = "\n".join(f"{k}={v}" for k, v in values[prop.name].items())
            else:
                data[name] = str(values.get(prop.name, ""))

    fill(product_type_get(product["productType"]).properties, product.get("properties", {}), "")
    return data


def _next(pages, url: str, data: dict) -> str:
    response = pages.post(url, {"nav": "next", **data})
    assert response.status_code == 302, response.content.decode()[:3000]
    return response.url


def _walk(pages, spec: dict, product_index: int = 0, *, start: str | None = None) -> str:
    """Fill every step for products[product_index] of a sample; answers the review step's URL."""
    product = spec["products"][product_index]
    if start is None:
        url = pages.get(reverse("environment-new")).url
        assert url.endswith("/environment/")
        url = _next(pages, url, {"environmentId": spec["environmentId"], "environmentName": spec["environmentName"]})
    else:
        url = pages.get(start).url
    assert url.endswith("/product/")
    fields = {
        key: product.get(key, "")
        for key in ("productType", "version", "productId", "buildNumber", "license", "adminPassword")
    }
    url = _next(pages, url, fields)
    assert url.endswith("/placement/")
    deployment = product["nodes"][0]["deployment"]
    placement = {
        key: deployment.get(key, "")
        for key in ("vcenterName", "datacenterName", "clusterName", "resourcePool", "vmFolder")
    }
    placement["datastoreName"] = deployment["datastoreNames"][0]
    if "infraReference" in product:
        placement["infraReference"] = "on"
    url = _next(pages, url, placement)
    assert url.endswith("/nodes/")
    nodes = product["nodes"]
    for count in range(1, len(nodes)):  # one row to start with; "Add node" for each further one
        added = pages.post(url, {**_nodes_data(nodes[:count]), "row": "add"})
        assert added.status_code == 302
    url = _next(pages, url, _nodes_data(nodes))
    assert url.endswith("/properties/")
    url = _next(pages, url, _properties_data(product))
    assert url.endswith("/integrations/")
    forms = pages.get(url).context["integration_forms"]
    data = {}
    for integration in product.get("integrations", []):
        index = [form.ref for form in forms].index(integration["ref"])
        data[f"int{index}-use"] = "on"
        for key in ("integrationId", "integrationUsername", "integrationPassword"):
            data[f"int{index}-{key}"] = integration.get(key, "")
    url = _next(pages, url, data)
    assert url.endswith("/review/")
    return url


# -- the small htmx answers --


def test_option_endpoints_follow_the_inventory(world, pages):
    def options(kind, **params):
        response = pages.get(reverse("environment-options", args=[kind]), params)
        assert response.status_code == 200
        return response.content.decode()

    datacenters = options("datacenters", vcenterName="vc01")
    assert _options(datacenters) == ["DC0"] and _selected(datacenters) == "DC0"
    assert _options(options("clusters", vcenterName="vc01", datacenterName="DC0")) == ["DC0_C0"]
    pools = options("resource-pools", vcenterName="vc01", datacenterName="DC0", clusterName="DC0_C0")
    assert _options(pools) == ["Resources"]  # the standalone host's own pool is not the cluster's
    assert '<option value="">(none)</option>' in pools
    assert _options(options("folders", vcenterName="vc01", datacenterName="DC0")) == ["vm"]
    datastores = options("datastores", vcenterName="vc01", datacenterName="DC0")
    assert _options(datastores) == ["LocalDS_0"] and "GiB free" in datastores
    networks = _options(options("networks", vcenterName="vc01", datacenterName="DC0"))
    assert "DC0_DVPG0" in networks and "VM Network" in networks
    kept = options("clusters", vcenterName="vc01", datacenterName="DC0", clusterName="DC0_C0")
    assert _selected(kept) == "DC0_C0"
    assert _options(options("datacenters", vcenterName="vrops01")) == []  # not a vCenter
    assert _options(options("clusters", vcenterName="vc01", datacenterName="DC9")) == []
    versions = options("versions", productType="VCD")
    assert _options(versions) == ["10.5.1"]
    from products.models import RepositoryFile

    RepositoryFile.objects.filter(product_type="RABBITMQ").delete()
    assert "scan the repository" in options("versions", productType="RABBITMQ")
    assert pages.get(reverse("environment-options", args=["planets"])).status_code == 404


def test_port_group_settings_are_shown_next_to_the_select(world, pages):
    url = reverse("environment-port-group")
    shown = pages.get(url, {"vcenterName": "vc01", "nodes-1-networkName": "DC0_DVPG0"}).content.decode()
    assert "gateway 192.168.10.1" in shown and "255.255.255.0" in shown and "DNS 192.168.10.2" in shown
    missing = pages.get(url, {"vcenterName": "vc01", "networkName": "VM Network"}).content.decode()
    assert "No IPv4 settings for VM Network" in missing and reverse("datacenter-detail", args=["vc01"]) in missing


# -- the wizard --


def test_the_wizard_stores_what_the_api_stores(world, pages, admin_user):
    review = _walk(pages, SAMPLES["vcd"])
    page = pages.get(review)
    shown = json.loads(html_lib.unescape(re.search(r"<code>(.*?)</code>", page.content.decode(), re.S).group(1)))
    assert shown["properties"]["dbPassword"] == "********" and shown["nodes"][2]["rootPassword"] == "********"
    assert shown["integrations"][0]["integrationPassword"] == "********" and shown["adminPassword"] == "********"
    validated = pages.post(review, {"nav": "validate"})
    assert validated.status_code == 302
    checked = pages.get(review).content.decode()
    assert "Every check passes." in checked and 'text-bg-success">PASS' in checked
    saved = pages.post(review, {"nav": "save"})
    assert saved.status_code == 302 and saved.url == reverse("environment-detail", args=["lab-vcd"])
    assert "Product vcd saved in environment lab-vcd" in pages.get(saved.url).content.decode()
    from_wizard = services.environment_export(environment_id="lab-vcd")
    assert Environment.objects.get().created_by == admin_user
    assert pages.get(review).url == reverse("environment-list")  # the wizard has ended

    Environment.objects.all().delete()
    api = APIClient()
    api.force_authenticate(admin_user)
    assert api.post("/api/v1/environments", SAMPLES["vcd"], format="json").status_code == 201
    from_api = services.environment_export(environment_id="lab-vcd")
    assert from_wizard != from_api  # the secret references differ …
    assert _revealed(from_wizard) == _revealed(from_api) == SAMPLES["vcd"]  # … what they refer to does not
    pages.assert_never_shown(*SECRETS)


@pytest.mark.parametrize("name", ["rabbitmq", "usage_meter", "ova_appliance"])
def test_the_wizard_builds_each_sample(world, pages, name):
    review = _walk(pages, SAMPLES[name])
    assert pages.post(review, {"nav": "save"}).status_code == 302
    stored = services.environment_export(environment_id=SAMPLES[name]["environmentId"])
    assert _revealed(stored) == SAMPLES[name]  # infraReference left unticked, as these samples have none
    html = pages.get(reverse("environment-detail", args=[SAMPLES[name]["environmentId"]])).content.decode()
    assert "stored secret" in html
    pages.assert_never_shown(*SECRETS)


def test_a_product_is_added_to_a_stored_environment_with_its_integrations(world, pages):
    sample = SAMPLES["vrops_tenant_app"]
    _store({**sample, "products": sample["products"][:1]})
    detail = pages.get(reverse("environment-detail", args=["lab-ta"])).content.decode()
    start = reverse("environment-add-product", args=["lab-ta"])
    assert start in detail
    review = _walk(pages, sample, 1, start=start)
    integrations = pages.get(review.replace("/review/", "/integrations/")).content.decode()
    assert "Connect to vcd" in integrations and "Connect to vrops01" in integrations
    assert "Connect to vc01" not in integrations  # the Tenant App takes no vCenter
    saved = pages.post(review, {"nav": "save"})
    assert saved.url == reverse("environment-detail", args=["lab-ta"])
    assert _revealed(services.environment_export(environment_id="lab-ta")) == sample
    pages.assert_never_shown(*SECRETS)


def test_failures_come_back_onto_the_wizard_fields(world, pages):
    spec = copy.deepcopy(SAMPLES["vcd"])
    spec["products"][0]["nodes"][1]["hostName"] = "vcd02"
    spec["products"][0]["properties"]["publicAddress"]["restApiBaseUri"] = "ftp://vcd"
    spec["products"][0]["properties"]["installationId"] = ""
    review = _walk(pages, spec)
    assert pages.post(review, {"nav": "validate"}).status_code == 302
    html = pages.get(review).content.decode()
    assert "Some checks fail" in html and 'id="field-failures"' in html
    assert "node2 · hostName: &#x27;vcd02&#x27; is not a fully qualified domain name" in html

    nodes = pages.get(review.replace("/review/", "/nodes/")).content.decode()
    assert _field_error(nodes, "nodes-1-hostName") == "'vcd02' is not a fully qualified domain name"
    assert _field_error(nodes, "nodes-0-hostName") == ""
    assert 'value="vcd02"' in nodes and 'value="vcd-03.lab.example.com"' in nodes  # what was typed stays
    assert "Root-Passw0rd!" not in nodes and 'placeholder="(kept)"' in nodes
    properties = pages.get(review.replace("/review/", "/properties/")).content.decode()
    assert "is not an https:// URL" in _field_error(properties, "publicAddress.restApiBaseUri")
    assert _field_error(properties, "installationId").startswith("required")

    refused = pages.post(review, {"nav": "save"})  # Save checks the same and refuses
    assert refused.url == review and not Environment.objects.exists()
    assert "Not saved" in pages.get(review).content.decode()

    # Correcting the field clears its failure, and the rest of the input is still there.
    fixed = _nodes_data(SAMPLES["vcd"]["products"][0]["nodes"])
    for index in range(3):
        del fixed[f"nodes-{index}-rootPassword"]  # left blank: the kept ones count
    nodes_url = review.replace("/review/", "/nodes/")
    assert _next(pages, nodes_url, fixed).endswith("/properties/")
    properties_data = _properties_data(SAMPLES["vcd"]["products"][0])
    del properties_data["dbPassword"]
    _next(pages, review.replace("/review/", "/properties/"), properties_data)
    assert pages.post(review, {"nav": "save"}).url == reverse("environment-detail", args=["lab-vcd"])
    assert _revealed(services.environment_export(environment_id="lab-vcd")) == SAMPLES["vcd"]
    pages.assert_never_shown(*SECRETS)


def test_the_wizard_keeps_input_across_steps_and_rows(world, pages):
    url = pages.get(reverse("environment-new")).url
    wizard = url.rsplit("/", 2)[0]
    jumped = pages.post(url, {"nav": "step:nodes", "environmentId": "lab-x", "environmentName": "X"})
    assert jumped.url == f"{wizard}/nodes/"
    back = pages.get(f"{wizard}/environment/").content.decode()
    assert 'value="lab-x"' in back and 'value="X"' in back
    product = pages.get(f"{wizard}/product/").content.decode()
    assert 'hx-get="/environments/-/options/versions/"' in product
    pages.post(f"{wizard}/product/", {"nav": "next", "productType": "RABBITMQ", "version": "3.8.14", "productId": "mq"})
    placement = pages.get(f"{wizard}/placement/").content.decode()
    for name in ("DC0", "DC0_C0", "Resources", "vm", "LocalDS_0"):
        assert f'<option value="{name}" selected>' in placement, name  # the first of each, chosen
    assert 'hx-trigger="change from:#id_datacenterName"' in placement
    nodes = pages.get(f"{wizard}/nodes/").content.decode()
    assert 'name="nodes-0-nodeId"' in nodes and 'value="node1"' in nodes and "First node" in nodes
    assert "DC0_DVPG0" in nodes and "gateway 192.168.10.1" not in nodes  # nothing chosen yet

    rows = _nodes_data([SAMPLES["rabbitmq"]["products"][0]["nodes"][0]])
    added = pages.post(f"{wizard}/nodes/", {**rows, "row": "add"}, HTTP_HX_REQUEST="true")
    partial = added.content.decode()
    assert added.status_code == 200 and partial.lstrip().startswith('<div id="nodes">') and "<html" not in partial
    assert 'name="nodes-1-nodeId"' in partial and 'value="node2"' in partial and "Member node" in partial
    assert 'value="rmq-01.lab.example.com"' in partial
    assert partial.count("gateway 192.168.10.1") == 2  # the new row takes the port group of the one before
    assert "Root-Passw0rd!" not in partial and 'placeholder="(kept)"' in partial
    second = {
        "nodeId": "node2",
        "hostName": "gone.lab.example.com",
        "vmName": "gone",
        "nics": [{"networkName": "DC0_DVPG0"}],
    }
    rows = _nodes_data([SAMPLES["rabbitmq"]["products"][0]["nodes"][0], second])
    removed = pages.post(f"{wizard}/nodes/", {**rows, "row": "remove-0"}, HTTP_HX_REQUEST="true").content.decode()
    assert 'name="nodes-1-nodeId"' not in removed and 'value="gone.lab.example.com"' in removed
    assert 'placeholder="(kept)"' not in removed  # the removed row's password went with it

    cancelled = pages.post(f"{wizard}/nodes/", {"nav": "cancel", **_nodes_data([])})
    assert cancelled.url == reverse("environment-list")
    assert pages.get(f"{wizard}/nodes/").url == reverse("environment-list")  # the wizard has ended
    pages.assert_never_shown(*SECRETS)


def test_an_unreadable_number_keeps_the_user_on_the_step(world, pages):
    url = pages.get(reverse("environment-new")).url
    wizard = url.rsplit("/", 2)[0]
    pages.post(f"{wizard}/product/", {"nav": "next", "productType": "VCD", "version": "10.5.1", "productId": "vcd"})
    response = pages.post(f"{wizard}/properties/", {"nav": "next", "installationId": "seven"})
    assert response.status_code == 200 and _field_error(response.content.decode(), "installationId")
    assert pages.post(f"{wizard}/properties/", {"nav": "back", "installationId": "seven"}).status_code == 302
    review = pages.get(f"{wizard}/review/").content.decode()
    assert "Some input cannot be read" in review


def test_another_product_type_resets_what_only_the_old_one_declares(world, pages):
    url = pages.get(reverse("environment-new")).url
    wizard = url.rsplit("/", 2)[0]
    pages.post(f"{wizard}/product/", {"nav": "next", "productType": "VCD", "version": "10.5.1", "productId": "p"})
    pages.post(f"{wizard}/nodes/", {"nav": "next", **_nodes_data(SAMPLES["vcd"]["products"][0]["nodes"][:1])})
    pages.post(f"{wizard}/properties/", {"nav": "next", **_properties_data(SAMPLES["vcd"]["products"][0])})
    pages.post(f"{wizard}/product/", {"nav": "next", "productType": "RABBITMQ", "version": "3.8.14", "productId": "p"})
    nodes = pages.get(f"{wizard}/nodes/").content.decode()
    assert 'value="vcd-01.lab.example.com"' in nodes and "primary-small" not in nodes
    properties = pages.get(f"{wizard}/properties/").content.decode()
    assert 'name="erlangCookie"' in properties and 'name="installationId"' not in properties
    pages.assert_never_shown(*SECRETS)


def test_the_nodes_step_offers_the_deployment_options_of_the_scanned_ova(world, pages):
    from products.models import RepositoryFile

    RepositoryFile.objects.filter(product_type="VCD").update(
        deployment_options=[
            {"id": "primary-medium", "label": "Primary (medium)", "description": "", "default": True},
            {"id": "cell", "label": "cell", "description": "", "default": False},
        ]
    )
    spec = SAMPLES["vcd"]
    url = pages.get(reverse("environment-new")).url
    url = _next(pages, url, {"environmentId": "lab-options", "environmentName": "Options"})
    product = spec["products"][0]
    url = _next(
        pages, url, {key: product.get(key, "") for key in ("productType", "version", "productId", "adminPassword")}
    )
    deployment = product["nodes"][0]["deployment"]
    placement = {
        key: deployment.get(key, "")
        for key in ("vcenterName", "datacenterName", "clusterName", "resourcePool", "vmFolder")
    }
    url = _next(pages, url, {**placement, "datastoreName": deployment["datastoreNames"][0]})
    nodes = pages.get(url).content.decode()
    # The OVA's options, the primary's suggested from them; a value the OVA lacks is kept and said so.
    assert _options(nodes)[:2] == ["primary-medium", "cell"] and _selected(nodes) == "primary-medium"
    assert "primary-medium — Primary (medium)" in html_lib.unescape(nodes)
    RepositoryFile.objects.filter(product_type="VCD").update(deployment_options=[])  # an OVA that declares none
    nodes = pages.get(url).content.decode()
    assert _options(nodes)[:5] == ["primary-small", "primary-large", "standby-small", "standby-large", "cell"]

"""The interop table: built in, replaced by an imported bundle, checked field by field."""

import pytest
from rest_framework.test import APIClient

from products.interop import interop_deployable, interop_upgrades


@pytest.fixture
def api(admin_user):
    client = APIClient()
    client.force_authenticate(admin_user)
    return client


@pytest.mark.django_db
def test_the_built_in_table_is_in_force_until_a_bundle_is_imported(api):
    assert api.get("/api/v1/interop").json()["name"] == "built-in interop table"
    assert interop_deployable(product_type="VCD", version="10.5.1") == (
        True,
        ["10.4.2", "10.4.3", "10.5.0", "10.5.1", "10.6.0", "10.6.1"],
    )
    assert interop_deployable(product_type="OVA_APPLIANCE", version="0.0.1") == (True, "*")
    assert interop_upgrades(product_type="VCD", version="10.5.1") == ["10.6.0", "10.6.1"]

    bundle = {"name": "2026-12", "products": {"VCD": {"deploy": ["10.6.1"], "upgrades": {}}}}
    answer = api.post("/api/v1/interop", bundle, format="json")
    assert answer.status_code == 201 and answer.json()["name"] == "2026-12"
    assert api.get("/api/v1/interop").json()["products"] == bundle["products"]
    assert interop_deployable(product_type="VCD", version="10.5.1") == (False, ["10.6.1"])
    assert interop_deployable(product_type="RABBITMQ", version="3.8.14") == (False, [])  # the bundle replaces all


@pytest.mark.django_db
@pytest.mark.parametrize(
    "bundle,path",
    [
        ({"products": {"VCD": {"deploy": []}}}, "name"),
        ({"name": "x", "products": {}}, "products"),
        ({"name": "x", "products": {"NSX": {"deploy": []}}}, "products.NSX"),
        ({"name": "x", "products": {"VCD": {"deploy": "10.5"}}}, "products.VCD.deploy"),
        (
            {"name": "x", "products": {"VCD": {"deploy": ["10.5.1"], "upgrades": {"10.5.1": "10.6.0"}}}},
            "products.VCD.upgrades",
        ),
    ],
)
def test_a_bad_bundle_is_refused_naming_the_field(api, bundle, path):
    answer = api.post("/api/v1/interop", bundle, format="json")
    assert answer.status_code == 400
    assert path in answer.json()["errors"]
    assert api.get("/api/v1/interop").json()["name"] == "built-in interop table"

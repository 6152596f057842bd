"""A component that a product uses cannot be deleted: refused when asked, and again by the task itself
(a product may have been defined in between)."""

import pytest
from django.db import transaction
from django.urls import reverse

from datacenters.models import DatacenterComponent, InventoryObject, PortGroupSettings
from datacenters.services import components
from environments.models import ComponentReference, Environment, Product
from lifecycle.engine.models import Status, Task
from lifecycle.errors import Conflict
from tests.helpers import task_wait


def component(name="vc1", component_type="VCENTER") -> DatacenterComponent:
    return DatacenterComponent.objects.create(
        component_name=name,
        component_type=component_type,
        fqdn=f"{name}.example.test",
        username="admin",
        password="pw",
        certificate_pem="-",
        certificate_thumbprint="AB",
    )


def product_using(component_name: str, *, environment_id: str, product_id: str, usage="infraReference") -> None:
    environment, _ = Environment.objects.get_or_create(
        environment_id=environment_id, defaults={"environment_name": environment_id}
    )
    product = Product.objects.create(
        environment=environment,
        product_id=product_id,
        product_type="VCD",
        version="10.5.1",
        spec={"productId": product_id},
    )
    ComponentReference.objects.create(product=product, component_name=component_name, usage=usage)


@pytest.mark.django_db
def test_delete_of_a_component_in_use_is_refused_with_409_naming_the_products(api):
    component("vc1")
    product_using("vc1", environment_id="env2", product_id="um")
    product_using("vc1", environment_id="env1", product_id="vcd")
    answer = api.delete("/api/v1/datacenters/vc1")
    assert answer.status_code == 409
    body = answer.json()
    assert body["message"].startswith("vc1 cannot be deleted: it is used by the products env1/vcd, env2/um")
    assert body["products"] == ["env1/vcd", "env2/um"]
    assert not Task.objects.exists() and DatacenterComponent.objects.exists()


@pytest.mark.django_db
def test_the_service_checks_again_when_it_removes():
    component("nsx01", "NSXT")
    product_using("nsx01", environment_id="env1", product_id="vcd", usage="integrations[0].ref")
    with pytest.raises(Conflict, match="used by the product env1/vcd"):
        components.component_remove(component_name="nsx01")
    assert DatacenterComponent.objects.filter(component_name="nsx01").exists()


@pytest.mark.django_db
def test_the_delete_page_names_the_products_and_offers_no_button(client, admin_user):
    client.force_login(admin_user)
    component("vc1")
    product_using("vc1", environment_id="env1", product_id="vcd")
    page = client.get(reverse("datacenter-delete", args=["vc1"])).content.decode()
    assert "vc1 cannot be deleted" in page and "env1/vcd" in page and 'class="btn btn-danger"' not in page
    refused = client.post(reverse("datacenter-delete", args=["vc1"]), follow=True).content.decode()
    assert "used by the product env1/vcd" in refused and "alert-danger" in refused
    assert not Task.objects.exists()


@pytest.mark.worker
@pytest.mark.django_db(transaction=True)
def test_a_product_defined_after_the_request_stops_the_delete_task(api, worker):
    component("vc1")
    with transaction.atomic():  # the task starts only after this commits: the product is there by then
        accepted = api.delete("/api/v1/datacenters/vc1")
        assert accepted.status_code == 202
        product_using("vc1", environment_id="env1", product_id="vcd")
    task = task_wait(accepted.json()["taskId"])
    assert task.status == Status.ERROR
    assert "vc1 cannot be deleted: it is used by the product env1/vcd" in task.actions.get().message
    assert DatacenterComponent.objects.filter(component_name="vc1").exists()


@pytest.mark.worker
@pytest.mark.django_db(transaction=True)
def test_an_unused_component_is_deleted_with_its_inventory_and_settings(api, worker):
    vc = component("vc1")
    InventoryObject.objects.create(component=vc, kind="network", moref="network-7", name="pg", path="/DC1/network/pg")
    PortGroupSettings.objects.create(component=vc, port_group_name="pg", use_dhcp=True)
    component("vrops01", "VROPS")
    for name in ("vc1", "vrops01"):
        task = task_wait(api.delete(f"/api/v1/datacenters/{name}").json()["taskId"])
        assert task.status == Status.SUCCESS, task.message
        assert task.operation == "datacenter.delete"
    assert not DatacenterComponent.objects.exists() and not PortGroupSettings.objects.exists()

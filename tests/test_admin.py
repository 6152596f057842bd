"""Django admin shows the raw records, read-only where editing would bypass the engine, never secrets."""

import pytest
from django.urls import reverse

import tests.lifecycle.operations  # noqa: F401
from datacenters.models import DatacenterComponent, InventoryObject
from environments.models import ComponentReference, Environment, Node, Product
from lifecycle.engine import services
from lifecycle.engine.models import Action, ApiToken, StoredSecret, Task
from lifecycle.secrets import secret_store


@pytest.fixture
def records(admin_user):
    component = DatacenterComponent.objects.create(
        component_name="vc01",
        fqdn="vc01.example.com",
        username="administrator@vsphere.local",
        password="admin-secret-pw",
        certificate_pem="-----BEGIN CERTIFICATE-----",
        certificate_thumbprint="AB:CD",
    )
    InventoryObject.objects.create(
        component=component, kind="datacenter", moref="datacenter-2", name="DC0", path="/DC0"
    )
    task = services.task_create(
        operation="test.steps",
        target_type="test",
        target_name="t",
        target_key="test:t",
        request={"password": "task-secret-pw"},
    )
    services.api_token_create(username=admin_user.username, password="password")
    secret_store("stored-secret-pw", label="env1/vcd/properties.dbPassword")
    environment = Environment.objects.create(environment_id="env1", environment_name="Env 1")
    product = Product.objects.create(
        environment=environment, product_id="vcd", product_type="VCD", version="10.5.1", spec={"productId": "vcd"}
    )
    Node.objects.create(product=product, node_id="n1", role="primary", host_name="a.example.com", vm_name="a")
    ComponentReference.objects.create(product=product, component_name="vc01", usage="infraReference")
    return component, task


@pytest.mark.django_db
def test_every_model_has_read_only_admin_pages_without_secrets(admin_client, records):
    component, task = records
    pages = [
        reverse(f"admin:{m._meta.app_label}_{m._meta.model_name}_changelist")
        for m in (
            Task,
            Action,
            ApiToken,
            StoredSecret,
            DatacenterComponent,
            InventoryObject,
            Environment,
            Product,
            Node,
            ComponentReference,
        )
    ]
    pages += [
        reverse("admin:lifecycle_task_change", args=[task.pk]),
        reverse("admin:lifecycle_action_change", args=[task.actions.first().pk]),
        reverse("admin:lifecycle_apitoken_change", args=[ApiToken.objects.get().pk]),
        reverse("admin:datacenters_datacentercomponent_change", args=[component.pk]),
        reverse("admin:lifecycle_storedsecret_change", args=[StoredSecret.objects.get().pk]),
        reverse("admin:environments_environment_change", args=[Environment.objects.get().pk]),
    ]
    for url in pages:
        answer = admin_client.get(url)
        assert answer.status_code == 200, url
        body = answer.content.decode()
        assert "admin-secret-pw" not in body and "task-secret-pw" not in body and "stored-secret-pw" not in body
        assert 'name="_save"' not in body  # nothing to save: changes go through tasks
    assert admin_client.get(reverse("admin:lifecycle_task_add")).status_code == 403
    answer = admin_client.post(
        reverse("admin:datacenters_datacentercomponent_change", args=[component.pk]), {"fqdn": "evil.example.com"}
    )
    assert answer.status_code == 403
    assert DatacenterComponent.objects.get().fqdn == "vc01.example.com"

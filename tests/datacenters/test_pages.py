"""The datacenter pages: list, registration with trust on first use, detail and its changes."""

import html as html_lib
import json
import re

import pytest
from django.urls import reverse
from django.utils import timezone

from datacenters.models import DatacenterComponent, InventoryObject
from lifecycle.engine.models import Status, Task
from tests.helpers import task_wait

# The list: session, user, the components with their inventory counts.
LIST_QUERIES = 3
OTHER_THUMBPRINT = ":".join(["AB"] * 32)


def _register_url() -> str:
    return reverse("datacenter-register")


def _probe(pages, vcsim):
    response = pages.post(_register_url(), {"step": "probe", "fqdn": vcsim.fqdn, "port": vcsim.port})
    assert response.status_code == 200
    return response


def _step2_data(probed, vcsim, **changes) -> dict:
    """What the browser sends from step 2: the hidden fields as rendered, plus what the user typed."""
    form = probed.context["form"]
    data = {
        name: form[name].value() for name in ("fqdn", "port", "thumbprint", "subject", "issuer", "validFrom", "validTo")
    }
    data.update(
        step="register",
        trust="on",
        componentName="vc1",
        username=vcsim.username,
        password=vcsim.password,
        purpose="management",
        tags="lab, east",
        action="register",
    )
    data.update(changes)
    return data


def _component(vcsim=None, name="vc1", **fields) -> DatacenterComponent:
    """A component as registration stores it (pointing at `vcsim` when given)."""
    values = dict(
        component_name=name,
        fqdn="vc.example.test",
        port=443,
        username="administrator@vsphere.local",
        password="stored-pw-42",
        purpose="lab",
        tags=["lab"],
        version="8.0.2",
        build="22385739",
        properties={"about": {"fullName": "VMware vCenter Server 8.0.2", "apiType": "VirtualCenter"}},
        certificate_pem="-",
        certificate_thumbprint=OTHER_THUMBPRINT,
        certificate_subject="CN=vc.example.test",
        certificate_issuer="CN=CA",
        certificate_valid_from=timezone.now(),
        certificate_valid_to=timezone.now(),
        discovered_at=timezone.now(),
    )
    if vcsim is not None:
        values.update(
            fqdn=vcsim.fqdn,
            port=vcsim.port,
            username=vcsim.username,
            password=vcsim.password,
            certificate_thumbprint=vcsim.certificate.thumbprint,
        )
    values.update(fields)
    return DatacenterComponent.objects.create(**values)


def _field_error(html: str, field: str) -> str:
    """The error text Bootstrap shows under a field (crispy renders it with the field's id)."""
    match = re.search(rf'id="error_\d+_id_{field}"[^>]*>\s*<strong>(.*?)</strong>', html, re.S)
    return html_lib.unescape(match.group(1)) if match else ""


@pytest.mark.django_db
def test_pages_ask_for_a_login_first(client):
    _component()
    urls = [
        reverse("datacenter-list"),
        _register_url(),
        reverse("datacenter-detail", args=["vc1"]),
        reverse("datacenter-update", args=["vc1"]),
        reverse("datacenter-delete", args=["vc1"]),
    ]
    for url in urls:
        response = client.get(url)
        assert response.status_code == 302 and response.url.startswith(reverse("login") + "?next="), url
    assert client.post(reverse("datacenter-delete", args=["vc1"])).status_code == 302
    assert not Task.objects.exists()


@pytest.mark.django_db
def test_list_shows_components_and_offers_registration(admin_client, django_assert_num_queries):
    empty = admin_client.get(reverse("datacenter-list")).content.decode()
    assert "No datacenter components yet" in empty and _register_url() in empty
    component = _component()
    for i in range(3):
        InventoryObject.objects.create(
            component=component, kind="datacenter", moref=f"dc-{i}", name=f"DC{i}", path=f"/DC{i}"
        )
    _component(name="vc2")
    with django_assert_num_queries(LIST_QUERIES):
        html = admin_client.get(reverse("datacenter-list")).content.decode()
    assert "vc.example.test:443" in html and "vCenter Server" in html and "8.0.2" in html
    assert reverse("datacenter-detail", args=["vc1"]) in html and reverse("datacenter-detail", args=["vc2"]) in html
    assert re.search(r'<td class="text-end">3</td>', html)
    assert "stored-pw-42" not in html


@pytest.mark.django_db
def test_a_component_named_register_keeps_its_own_page(admin_client):
    _component(name="register")
    assert "Accepted certificate" in admin_client.get(reverse("datacenter-detail", args=["register"])).content.decode()
    assert "Where is it?" in admin_client.get(_register_url()).content.decode()


@pytest.mark.django_db
def test_probe_refuses_an_invalid_or_unreachable_address_at_the_field(pages):
    response = pages.post(_register_url(), {"step": "probe", "fqdn": "not a host!", "port": 443})
    assert response.status_code == 200
    assert "is not a valid host name or IP address" in _field_error(response.content.decode(), "fqdn")
    assert 'value="not a host!"' in response.content.decode()  # the input stays

    response = pages.post(_register_url(), {"step": "probe", "fqdn": "127.0.0.1", "port": 70000})
    assert _field_error(response.content.decode(), "port")

    response = pages.post(_register_url(), {"step": "probe", "fqdn": "127.0.0.1", "port": 1})
    assert _field_error(response.content.decode(), "fqdn")  # nothing answers there
    assert "I trust this certificate" not in response.content.decode()


@pytest.mark.vcsim
@pytest.mark.django_db
def test_wrong_thumbprint_duplicate_name_and_missing_trust_show_field_errors(pages, vcsim):
    probed = _probe(pages, vcsim)
    html = probed.content.decode()
    assert vcsim.certificate.thumbprint in html and "I trust this certificate" in html
    assert f'name="thumbprint" value="{vcsim.certificate.thumbprint}"' in html

    tampered = pages.post(_register_url(), _step2_data(probed, vcsim, thumbprint=OTHER_THUMBPRINT))
    html = tampered.content.decode()
    assert tampered.status_code == 200
    assert "does not match: the server presents a certificate" in _field_error(html, "trust")
    assert 'value="vc1"' in html and f'value="{vcsim.username}"' in html  # the input stays …
    assert vcsim.password not in html  # … but the password does not

    _component(name="vc1")
    duplicate = pages.post(_register_url(), _step2_data(probed, vcsim))
    assert "a datacenter component named 'vc1' already exists" in _field_error(
        duplicate.content.decode(), "componentName"
    )

    bad_name = pages.post(_register_url(), _step2_data(probed, vcsim, componentName="-bad name"))
    assert "use letters, digits" in _field_error(bad_name.content.decode(), "componentName")

    untrusted = pages.post(_register_url(), {**_step2_data(probed, vcsim, componentName="vc9"), "trust": ""})
    assert "tick this box" in _field_error(untrusted.content.decode(), "trust")
    assert vcsim.certificate.thumbprint in untrusted.content.decode()  # the certificate is still shown

    assert Task.objects.count() == 0
    pages.assert_never_shown(vcsim.password)


@pytest.mark.worker
@pytest.mark.vcsim
@pytest.mark.django_db(transaction=True)
def test_register_end_to_end_from_probe_to_the_inventory(pages, vcsim, worker):
    start = pages.get(_register_url())
    assert 'name="fqdn"' in start.content.decode()
    probed = _probe(pages, vcsim)
    certificate = vcsim.certificate
    html = probed.content.decode()
    assert certificate.thumbprint in html and certificate.subject in html and certificate.issuer in html
    assert f"{certificate.valid_to:%Y-%m-%d %H:%M}" in html

    validated = pages.post(_register_url(), _step2_data(probed, vcsim, componentName="vc-check", action="validate"))
    assert validated.status_code == 302
    check = Task.objects.get(pk=int(validated.url.strip("/").split("/")[-1]))
    assert check.operation == "datacenter.validate" and task_wait(check.pk).status == Status.SUCCESS
    assert not DatacenterComponent.objects.filter(component_name="vc-check").exists()
    assert reverse("datacenter-detail", args=["vc-check"]) not in pages.get(validated.url).content.decode()

    registered = pages.post(_register_url(), _step2_data(probed, vcsim))
    assert registered.status_code == 302
    task = Task.objects.get(operation="datacenter.register")
    assert registered.url == reverse("task-detail", args=[task.pk])
    assert pages.get(registered.url).status_code == 200  # the page the user lands on, while it runs
    done = task_wait(task.pk)
    assert done.status == Status.SUCCESS, done.message

    task_page = pages.get(registered.url).content.decode()
    assert "Register vCenter Server" in task_page and "hx-trigger" not in task_page
    assert task_page.count('badge text-bg-success">Success') == 6  # the task and its five actions
    assert "Discover datacenters, clusters, hosts" in task_page
    assert f'<a href="{reverse("datacenter-detail", args=["vc1"])}">vc1</a>' in task_page  # on to what it registered

    detail = pages.get(reverse("datacenter-detail", args=["vc1"])).content.decode()
    for name in ("DC0", "DC0_C0", "DC0_H0", "LocalDS_0", "DC0_DVPG0", "/DC0/host/DC0_C0/Resources"):
        assert name in detail, name
    assert certificate.thumbprint in detail and "management" in detail and ">east<" in detail
    assert "progress-bar" in detail  # the datastore's usage
    assert reverse("task-detail", args=[task.pk]) in detail  # its recent tasks
    listing = pages.get(reverse("datacenter-list")).content.decode()
    assert "vc1" in listing and f"{vcsim.fqdn}:{vcsim.port}" in listing
    pages.assert_never_shown(vcsim.password)


@pytest.mark.django_db
def test_detail_shows_the_component_its_inventory_and_tasks(admin_client):
    component = _component()
    InventoryObject.objects.create(
        component=component,
        kind="datastore",
        moref="datastore-1",
        name="ds-gold",
        datacenter="DC1",
        path="/DC1/datastore/ds-gold",
        properties={"capacity": 100 * 2**30, "freeSpace": 25 * 2**30, "type": "VMFS", "accessible": True},
    )
    InventoryObject.objects.create(
        component=component,
        kind="network",
        moref="dvportgroup-1",
        name="pg-mgmt",
        datacenter="DC1",
        path="/DC1/network/pg-mgmt",
        properties={"type": "DistributedVirtualPortgroup", "switch": "dvs-1", "uplink": False, "vlan": 120},
    )
    response = admin_client.get(reverse("datacenter-detail", args=["vc1"]))
    html = response.content.decode()
    assert "ds-gold" in html and "100.0" in html and "25.0" in html and 'style="width: 75%"' in html
    assert "pg-mgmt" in html and "dvs-1" in html and ">120<" in html and "distributed port group" in html
    assert OTHER_THUMBPRINT in html and "CN=vc.example.test" in html and "VMware vCenter Server 8.0.2" in html
    for name in ("datacenter-discover", "datacenter-update", "datacenter-certificate", "datacenter-delete"):
        assert reverse(name, args=["vc1"]) in html
    assert "stored-pw-42" not in html
    assert admin_client.get(reverse("datacenter-detail", args=["nothing"])).status_code == 404


@pytest.mark.django_db
def test_discover_and_delete_start_tasks_and_land_on_their_pages(admin_client):
    _component()
    discover = admin_client.post(reverse("datacenter-discover", args=["vc1"]))
    task = Task.objects.get(operation="datacenter.discover", target_name="vc1")
    assert discover.status_code == 302 and discover.url == reverse("task-detail", args=[task.pk])

    confirm = admin_client.get(reverse("datacenter-delete", args=["vc1"])).content.decode()
    assert "Delete vc1?" in confirm and "Nothing changes in the vCenter Server itself" in confirm
    assert not Task.objects.filter(operation="datacenter.delete").exists()  # asking changes nothing
    delete = admin_client.post(reverse("datacenter-delete", args=["vc1"]))
    task = Task.objects.get(operation="datacenter.delete")
    assert delete.url == reverse("task-detail", args=[task.pk])
    assert list(task.preceding_tasks.values_list("operation", flat=True)) == ["datacenter.discover"]
    assert admin_client.post(reverse("datacenter-discover", args=["nothing"])).status_code == 404


@pytest.mark.vcsim
@pytest.mark.django_db
def test_update_keeps_the_stored_password_when_left_blank(pages, vcsim):
    _component(vcsim)
    form = pages.get(reverse("datacenter-update", args=["vc1"]))
    html = form.content.decode()
    assert f'value="{vcsim.fqdn}"' in html and f'value="{vcsim.certificate.thumbprint}"' in html
    assert 'value="lab"' in html and "Leave blank to keep the stored password" in html

    data = {
        "fqdn": vcsim.fqdn,
        "port": vcsim.port,
        "username": vcsim.username,
        "password": "",
        "purpose": "production",
        "tags": "prod, west",
        "thumbprint": vcsim.certificate.thumbprint,
    }
    refused = pages.post(reverse("datacenter-update", args=["vc1"]), {**data, "thumbprint": OTHER_THUMBPRINT})
    assert "does not match" in _field_error(refused.content.decode(), "thumbprint")
    assert 'value="production"' in refused.content.decode()

    response = pages.post(reverse("datacenter-update", args=["vc1"]), data)
    task = Task.objects.get(operation="datacenter.update")
    assert response.status_code == 302 and response.url == reverse("task-detail", args=[task.pk])
    assert task.request["password"] == "$encrypted$" and task.request["tags"] == ["prod", "west"]
    assert json.loads(task.request_secrets) == {"password": vcsim.password}  # the stored one, kept
    pages.get(response.url)
    pages.assert_never_shown(vcsim.password)


@pytest.mark.vcsim
@pytest.mark.django_db
def test_check_certificate_offers_to_accept_a_changed_one(pages, vcsim):
    _component(vcsim)
    url = reverse("datacenter-certificate", args=["vc1"])
    same = pages.get(url).content.decode()
    assert "presents the accepted certificate" in same and "Accept the new certificate" not in same

    renewed = vcsim.restart_with_new_certificate()
    changed = pages.get(url).content.decode()
    assert "presents a different certificate" in changed
    assert renewed.thumbprint in changed and vcsim.certificate.thumbprint != OTHER_THUMBPRINT
    assert "Accept the new certificate" in changed

    response = pages.post(url, {"thumbprint": renewed.thumbprint})
    task = Task.objects.get(operation="datacenter.update")
    assert response.status_code == 302 and response.url == reverse("task-detail", args=[task.pk])
    assert task.request["content"]["certificate"]["thumbprint"] == renewed.thumbprint
    assert task.request["password"] == "$encrypted$"

    stale = pages.post(url, {"thumbprint": OTHER_THUMBPRINT}, follow=True)  # the server moved on meanwhile
    assert "does not match" in stale.content.decode() and "alert-danger" in stale.content.decode()
    pages.assert_never_shown(vcsim.password)

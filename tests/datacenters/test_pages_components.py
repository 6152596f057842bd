"""Pages of the completed datacenter components: port group settings edited inline (htmx) or on their
own page, and NSX-T Manager / vRealize Operations Manager registration, detail and list."""

import html as html_lib
import re

import pytest
from django.urls import reverse

from datacenters.models import DatacenterComponent, PortGroupSettings
from lifecycle.engine.models import Task
from tests.helpers import vcenter_stored

HTMX = {"HTTP_HX_REQUEST": "true"}


def _field_error(html: str, field: str) -> str:
    match = re.search(rf'id="error_\d+_id_{field}"[^>]*>\s*<strong>(.*?)</strong>', html, re.S)
    return html_lib.unescape(match.group(1)) if match else ""


def _edit_url(name: str) -> str:
    return reverse("datacenter-network", args=["vc1", name])


VALID = {
    "gateway": "192.168.10.1",
    "subnet": "/24",
    "dns": "192.168.10.2, 192.168.10.3",
    "ntp": "ntp.lab.example.com",
    "domainName": "lab.example.com",
    "searchPath": "lab.example.com",
}


@pytest.mark.django_db
def test_the_networks_table_shows_settings_and_ports_groups_not_found(admin_client):
    component = vcenter_stored(password="stored-pw-42")
    PortGroupSettings.objects.create(
        component=component,
        port_group_name="pg-mgmt",
        gateway="192.168.10.1",
        prefix_length=24,
        dns=["192.168.10.2"],
        ntp=["ntp.lab.example.com"],
    )
    PortGroupSettings.objects.create(component=component, port_group_name="pg-gone", use_dhcp=True)
    html = admin_client.get(reverse("datacenter-detail", args=["vc1"])).content.decode()
    assert "gateway 192.168.10.1 /24 (255.255.255.0)" in html and "ntp.lab.example.com" in html
    assert "not set" in html  # VM Network
    gone = html[html.index("pg-gone") :]
    assert gone.index("not found in the last discovery") < gone.index("</tr>") and "DHCP" in gone[: gone.index("</tr>")]
    for name in ("pg-mgmt", "VM Network", "pg-gone"):
        assert f'hx-get="{_edit_url(name)}"' in html.replace("%20", "%20")
    assert "stored-pw-42" not in html


@pytest.mark.django_db
def test_inline_edit_replaces_the_row_and_shows_errors_in_place(admin_client):
    vcenter_stored(password="stored-pw-42")
    url = _edit_url("pg-mgmt")
    form = admin_client.get(url, **HTMX).content.decode()
    assert form.lstrip().startswith("<tr") and "<html" not in form
    assert f'hx-post="{url}"' in form and 'name="gateway"' in form and 'name="subnet"' in form
    assert "Remove the settings" not in form  # nothing to remove yet

    refused = admin_client.post(url, {**VALID, "gateway": "192.168.10.0", "dns": "192.168.10.2, 192.168.10.2"}, **HTMX)
    html = refused.content.decode()
    assert refused.status_code == 200 and html.lstrip().startswith("<tr") and "<html" not in html
    assert "network address of 192.168.10.0/24" in _field_error(html, "gateway")
    assert "'192.168.10.2' is listed twice" in _field_error(html, "dns")
    assert 'value="lab.example.com"' in html  # the input stays
    assert not PortGroupSettings.objects.exists()

    missing = admin_client.post(url, {"gateway": "192.168.10.1"}, **HTMX).content.decode()
    assert "required without DHCP" in _field_error(missing, "subnet")

    saved = admin_client.post(url, VALID, **HTMX).content.decode()
    assert saved.lstrip().startswith("<tr") and "gateway 192.168.10.1 /24 (255.255.255.0)" in saved
    settings = PortGroupSettings.objects.get()
    assert (settings.prefix_length, settings.dns, settings.search_path) == (
        24,
        ["192.168.10.2", "192.168.10.3"],
        ["lab.example.com"],
    )

    again = admin_client.get(url, **HTMX).content.decode()
    assert 'value="255.255.255.0"' in again and "Remove the settings" in again
    cancel = admin_client.get(url + "?row=1", **HTMX).content.decode()
    assert cancel.lstrip().startswith("<tr") and "gateway 192.168.10.1" in cancel and "<form" not in cancel
    removed = admin_client.post(url, {"action": "remove"}, **HTMX).content.decode()
    assert "not set" in removed and not PortGroupSettings.objects.exists()


@pytest.mark.django_db
def test_without_htmx_the_settings_have_a_page_of_their_own(admin_client):
    vcenter_stored(password="stored-pw-42")
    url = _edit_url("VM Network")
    page = admin_client.get(url).content.decode()
    assert "<html" in page and "IPv4 settings of VM Network" in page and 'name="useDhcp"' in page
    refused = admin_client.post(url, {**VALID, "subnet": "255.0.255.0"}).content.decode()
    assert "is not a subnet mask" in _field_error(refused, "subnet")
    saved = admin_client.post(url, {"useDhcp": "on", "ntp": "ntp1.example.com ntp2.example.com"}, follow=True)
    assert saved.redirect_chain[-1][0] == reverse("datacenter-detail", args=["vc1"]) + "#networks"
    assert "Saved the IPv4 settings of VM Network." in saved.content.decode()
    assert PortGroupSettings.objects.get().ntp == ["ntp1.example.com", "ntp2.example.com"]
    assert admin_client.get(_edit_url("nothing")).status_code == 404


@pytest.mark.django_db
def test_nsxt_and_vrops_components_show_version_and_identity_without_inventory(admin_client):
    DatacenterComponent.objects.create(
        component_name="nsx01",
        component_type="NSXT",
        fqdn="nsx.example.test",
        username="admin",
        password="pw-nsx-1",
        certificate_pem="-",
        certificate_thumbprint="AB",
        version="3.2.1",
        build="19283092",
        properties={
            "about": {
                "fullName": "NSX-T Manager 3.2.1",
                "build": "19283092",
                "hostname": "nsxmgr-01",
                "nodeUuid": "node-uuid-1",
                "clusterId": "cluster-id-1",
                "clusterStatus": "STABLE",
            }
        },
    )
    DatacenterComponent.objects.create(
        component_name="vrops01",
        component_type="VROPS",
        fqdn="vrops.example.test",
        username="admin",
        password="pw-vrops-1",
        certificate_pem="-",
        certificate_thumbprint="AB",
        version="8.10.0",
        properties={"about": {"fullName": "vRealize Operations Manager 8.10.0", "nodeStatus": "ONLINE"}},
    )
    nsx = admin_client.get(reverse("datacenter-detail", args=["nsx01"])).content.decode()
    assert "NSX-T Manager" in nsx and "node-uuid-1" in nsx and "cluster-id-1" in nsx and "nsxmgr-01" in nsx
    assert "Inventory" not in nsx and "Networks and port groups" not in nsx
    vrops = admin_client.get(reverse("datacenter-detail", args=["vrops01"])).content.decode()
    assert "vRealize Operations Manager 8.10.0" in vrops and "ONLINE" in vrops
    listing = admin_client.get(reverse("datacenter-list")).content.decode()
    assert "NSX-T Manager" in listing and "vRealize Operations Manager" in listing and "3.2.1" in listing
    confirm = admin_client.get(reverse("datacenter-delete", args=["nsx01"])).content.decode()
    assert "Nothing changes in the NSX-T Manager itself" in confirm
    assert admin_client.get(_edit_url("x").replace("vc1", "nsx01")).status_code == 404
    assert "pw-nsx-1" not in nsx + listing and "pw-vrops-1" not in vrops


@pytest.mark.django_db
def test_register_an_nsxt_manager_from_the_page(admin_client, nsxt):
    url = reverse("datacenter-register")
    start = admin_client.get(url).content.decode()
    assert 'name="datacenterComponentType"' in start and "NSX-T Manager" in start
    probed = admin_client.post(
        url, {"step": "probe", "datacenterComponentType": "NSXT", "fqdn": nsxt.fqdn, "port": nsxt.port}
    )
    html = probed.content.decode()
    assert "The NSX-T Manager" in html and nsxt.certificate.thumbprint in html and "e.g. admin" in html
    form = probed.context["form"]
    data = {
        name: form[name].value()
        for name in (
            "datacenterComponentType",
            "fqdn",
            "port",
            "thumbprint",
            "subject",
            "issuer",
            "validFrom",
            "validTo",
        )
    }
    assert data["datacenterComponentType"] == "NSXT"
    data.update(
        step="register",
        trust="on",
        componentName="nsx01",
        username="admin",
        password=nsxt.password,
        purpose="",
        tags="",
        action="validate",
    )
    answer = admin_client.post(url, data)
    assert answer.status_code == 302
    task = Task.objects.get()
    assert task.operation == "nsxt.validate" and task.request["datacenterComponentType"] == "NSXT"
    assert answer.url == reverse("task-detail", args=[task.pk])
    page = admin_client.get(answer.url).content.decode()
    assert "Validate NSX-T Manager" in page and nsxt.password not in page

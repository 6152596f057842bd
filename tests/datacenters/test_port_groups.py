"""IPv4 settings of port groups: set through the API at once, checked field by field, kept across
discoveries, carried by a register/update spec, and read by the deployment code."""

import pytest
from django.utils import timezone

from datacenters import selectors
from datacenters.models import DatacenterComponent, InventoryObject, PortGroupSettings
from datacenters.services import components, specs
from lifecycle.engine.models import Status, Task
from tests.helpers import task_wait, vcenter_stored

URL = "/api/v1/datacenters/vc1/networks/"
SETTINGS = {
    "gateway": "192.168.10.1",
    "subnetMask": "255.255.255.0",
    "domainName": "lab.example.com",
    "searchPath": ["lab.example.com", "example.com"],
    "useDhcp": False,
    "dns": ["192.168.10.2", "192.168.10.3"],
    "ntp": ["ntp.lab.example.com", "192.168.10.4"],
}


@pytest.mark.django_db
def test_put_stores_the_settings_and_shows_mask_and_prefix(api):
    vcenter_stored()
    answer = api.put(URL + "pg-mgmt", SETTINGS, format="json")
    assert answer.status_code == 200, answer.json()
    entry = answer.json()
    assert {k: entry[k] for k in SETTINGS} == SETTINGS
    assert entry["portGroupName"] == "pg-mgmt" and entry["prefixLength"] == 24
    assert entry["configured"] is True and entry["foundInLastDiscovery"] is True
    assert (entry["moref"], entry["path"], entry["type"], entry["vlan"], entry["switch"]) == (
        "dvportgroup-11",
        "/DC1/network/pg-mgmt",
        "DistributedVirtualPortgroup",
        120,
        "dvs-1",
    )

    by_prefix = api.put(URL + "VM%20Network", {"gateway": "10.1.2.1", "prefixLength": 26}, format="json").json()
    assert (by_prefix["subnetMask"], by_prefix["prefixLength"]) == ("255.255.255.192", 26)
    assert PortGroupSettings.objects.get(port_group_name="VM Network").prefix_length == 26  # stored once

    networks = {n["portGroupName"]: n for n in api.get("/api/v1/datacenters/vc1").json()["content"]["networks"]}
    assert networks["pg-mgmt"]["dns"] == ["192.168.10.2", "192.168.10.3"]
    assert networks["VM Network"]["gateway"] == "10.1.2.1" and networks["VM Network"]["name"] == "VM Network"
    assert api.get(URL + "pg-mgmt").json() == entry

    # What the deployment code reads: the port group's `content.networks` entry, nothing else.
    assert selectors.port_group_settings(component_name="vc1", port_group_name="pg-mgmt") == {
        "portGroupName": "pg-mgmt",
        "prefixLength": 24,
        **SETTINGS,
    }
    assert selectors.port_group_settings(component_name="vc1", port_group_name="nothing") is None

    # PUT replaces: what is left out is cleared.
    replaced = api.put(URL + "pg-mgmt", {"useDhcp": True}, format="json").json()
    assert replaced["useDhcp"] is True and replaced["gateway"] is None and replaced["dns"] == []


@pytest.mark.django_db
def test_unset_port_groups_are_listed_without_settings(api):
    vcenter_stored()
    networks = api.get("/api/v1/datacenters/vc1").json()["content"]["networks"]
    assert [(n["portGroupName"], n["configured"], n["gateway"], n["useDhcp"]) for n in networks] == [
        ("VM Network", False, None, False),
        ("pg-mgmt", False, None, False),
    ]  # by inventory path


@pytest.mark.parametrize(
    "settings, path, words",
    [
        ({}, "gateway", "required without DHCP"),
        ({}, "prefixLength", "required without DHCP"),
        ({"gateway": "192.168.10", "prefixLength": 24}, "gateway", "'192.168.10' is not an IPv4 address"),
        ({"gateway": "192.168.10.0", "prefixLength": 24}, "gateway", "is the network address of 192.168.10.0/24"),
        ({"gateway": "192.168.10.255", "prefixLength": 24}, "gateway", "is the broadcast address"),
        ({"gateway": "192.168.10.1", "subnetMask": "255.0.255.0"}, "subnetMask", "is not a subnet mask"),
        ({"gateway": "192.168.10.1", "subnetMask": "24"}, "subnetMask", "is not a subnet mask"),
        (
            {"gateway": "192.168.10.1", "subnetMask": "255.255.255.0", "prefixLength": 16},
            "subnetMask",
            "is a /24 subnet, but prefixLength says /16",
        ),
        ({"gateway": "192.168.10.1", "prefixLength": 33}, "prefixLength", "from 1 to 32"),
        (
            {**SETTINGS, "dns": ["192.168.10.2", "192.168.10.2"]},
            "dns[1]",
            "'192.168.10.2' is listed twice (also at index 0)",
        ),
        ({**SETTINGS, "dns": ["dns.example.com"]}, "dns[0]", "'dns.example.com' is not an IPv4 address"),
        ({**SETTINGS, "ntp": ["ntp1", "bad host!"]}, "ntp[1]", "'bad host!' is not a valid host name or IP address"),
        ({**SETTINGS, "ntp": ["NTP.example.com", "ntp.example.com"]}, "ntp[1]", "listed twice"),
        ({**SETTINGS, "searchPath": ["192.168.10.1"]}, "searchPath[0]", "is an address, not a domain name"),
        ({**SETTINGS, "domainName": "lab..example"}, "domainName", "is not a valid domain name"),
        ({**SETTINGS, "dns": "192.168.10.2"}, "dns", "must be a list of strings"),
        ({**SETTINGS, "useDhcp": "yes"}, "useDhcp", "must be true or false"),
        ({**SETTINGS, "mtu": 9000}, "mtu", "unknown field"),
        ({**SETTINGS, "portGroupName": "other"}, "portGroupName", "must be the port group of the URL"),
    ],
)
@pytest.mark.django_db
def test_refused_settings_name_the_field(api, settings, path, words):
    vcenter_stored()
    answer = api.put(URL + "pg-mgmt", settings, format="json")
    assert answer.status_code == 400, answer.json()
    errors = answer.json()["errors"]
    assert any(words in problem for problem in errors.get(path, [])), errors
    assert not PortGroupSettings.objects.exists()


@pytest.mark.django_db
def test_with_dhcp_the_static_fields_are_optional_but_still_checked(api):
    vcenter_stored()
    assert api.put(URL + "pg-mgmt", {"useDhcp": True, "ntp": ["ntp.example.com"]}, format="json").status_code == 200
    wrong = api.put(URL + "pg-mgmt", {"useDhcp": True, "dns": ["x"]}, format="json")
    assert wrong.status_code == 400 and list(wrong.json()["errors"]) == ["dns[0]"]


@pytest.mark.django_db
def test_unknown_port_groups_and_components_answer_404(api):
    vcenter_stored()
    assert api.put(URL + "no-such-pg", SETTINGS, format="json").status_code == 404
    assert "discover the component again" in api.put(URL + "no-such-pg", SETTINGS, format="json").json()["message"]
    assert api.get(URL + "no-such-pg").status_code == 404
    assert api.put("/api/v1/datacenters/nothing/networks/pg-mgmt", SETTINGS, format="json").status_code == 404
    DatacenterComponent.objects.create(
        component_name="nsx01",
        component_type="NSXT",
        fqdn="nsx.example.test",
        username="admin",
        password="pw",
        certificate_pem="-",
        certificate_thumbprint="AB",
    )
    answer = api.put("/api/v1/datacenters/nsx01/networks/pg-mgmt", SETTINGS, format="json")
    assert answer.status_code == 404 and "only vCenter Servers have port groups" in answer.json()["message"]
    assert "networks" not in api.get("/api/v1/datacenters/nsx01").json()["content"]


@pytest.mark.django_db
def test_a_port_group_name_with_a_slash(api):
    component = vcenter_stored()
    InventoryObject.objects.create(
        component=component,
        kind="network",
        moref="network-9",
        name="a/b",
        datacenter="DC1",
        path="/DC1/network/a%2fb",
        properties={"type": "Network"},
    )
    answer = api.put(URL + "a%2Fb", SETTINGS, format="json")
    assert answer.status_code == 200 and answer.json()["portGroupName"] == "a/b"


@pytest.mark.django_db
def test_settings_survive_a_rediscovery_and_a_vanished_port_group_keeps_them(api):
    component = vcenter_stored()
    api.put(URL + "pg-mgmt", SETTINGS, format="json")
    spec = {**specs.spec_from_component(component), "password": "pw"}
    certificate = {
        "pem": "-",
        "thumbprint": "AB",
        "subject": "",
        "issuer": "",
        "validFrom": timezone.now().isoformat(),
        "validTo": timezone.now().isoformat(),
    }
    components.component_store(
        spec=spec,
        certificate=certificate,
        about={},
        create=False,
        inventory=[
            {
                "kind": "network",
                "moref": "network-7",
                "name": "VM Network",
                "path": "/DC1/network/VM Network",
                "datacenter": "DC1",
                "properties": {"type": "Network", "vlan": None},
            }
        ],
    )

    networks = api.get("/api/v1/datacenters/vc1").json()["content"]["networks"]
    assert [(n["portGroupName"], n["foundInLastDiscovery"], n["configured"]) for n in networks] == [
        ("VM Network", True, False),
        ("pg-mgmt", False, True),
    ]
    gone = networks[1]
    assert gone["gateway"] == "192.168.10.1" and gone["moref"] is None
    assert selectors.port_group_settings(component_name="vc1", port_group_name="pg-mgmt")["gateway"] == "192.168.10.1"

    assert api.put(URL + "pg-mgmt", {**SETTINGS, "gateway": "192.168.10.254"}, format="json").status_code == 200
    assert api.delete(URL + "pg-mgmt").status_code == 204
    assert api.get(URL + "pg-mgmt").status_code == 404
    assert api.delete(URL + "VM%20Network").status_code == 404  # nothing to remove


@pytest.mark.django_db
def test_a_spec_with_wrong_networks_is_refused_at_request_time(api):
    spec = {
        "componentName": "vc9",
        "datacenterComponentType": "VCENTER",
        "fqdn": "vc9.example.test",
        "username": "administrator@vsphere.local",
        "password": "pw",
        "content": {
            "certificate": {"thumbprint": "AB"},
            "networks": [
                {"portGroupName": "pg-a", **SETTINGS},
                {"portGroupName": "pg-b", "gateway": "10.0.0.300", "prefixLength": 24},
                {"portGroupName": "pg-a", "useDhcp": True},
                {"gateway": "10.0.0.1", "prefixLength": 24},
            ],
        },
    }
    answer = api.post("/api/v1/datacenters", spec, format="json")
    assert answer.status_code == 400
    errors = answer.json()["errors"]
    assert errors["content.networks[1].gateway"] == ["'10.0.0.300' is not an IPv4 address"]
    assert errors["content.networks[2].portGroupName"] == ["'pg-a' is also set at content.networks[0]"]
    assert errors["content.networks[3].portGroupName"] == ["this field is required"]
    assert answer.json()["message"].startswith("content.networks[1].gateway: ")
    not_a_list = api.post("/api/v1/datacenters", {**spec, "content": {"networks": {"pg-a": {}}}}, format="json")
    assert not_a_list.json()["errors"]["content.networks"] == ["must be a list of port group settings"]
    assert not Task.objects.exists()


@pytest.mark.worker
@pytest.mark.vcsim
@pytest.mark.django_db(transaction=True)
def test_register_and_update_store_the_networks_of_the_spec_and_discovery_keeps_them(api, vcsim, worker):
    spec = {
        "componentName": "vc01",
        "datacenterComponentType": "VCENTER",
        "fqdn": vcsim.fqdn,
        "port": vcsim.port,
        "username": vcsim.username,
        "password": vcsim.password,
        "content": {
            "certificate": {"thumbprint": vcsim.certificate.thumbprint},
            "networks": [
                {"portGroupName": "DC0_DVPG0", **SETTINGS},
                {"portGroupName": "planned-pg", "useDhcp": True},
            ],
        },
    }
    task = task_wait(api.post("/api/v1/datacenters", spec, format="json").json()["taskId"])
    assert task.status == Status.SUCCESS, task.message
    log = task.actions.get(name="component_create").log
    assert "stored the IPv4 settings of 2 port groups" in log
    assert "port group 'planned-pg' was not found in the inventory; its settings are kept" in log
    assert task.request["content"]["networks"][0]["prefixLength"] == 24  # the canonical form is what ran

    changed = {"content": {"networks": [{"portGroupName": "DC0_DVPG0", **SETTINGS, "ntp": ["ntp2.example.com"]}]}}
    update = task_wait(api.put("/api/v1/datacenters/vc01", changed, format="json").json()["taskId"])
    assert update.status == Status.SUCCESS, update.message
    assert DatacenterComponent.objects.get().certificate_thumbprint == vcsim.certificate.thumbprint  # kept
    assert task_wait(api.post("/api/v1/datacenters/vc01/discover").json()["taskId"]).status == Status.SUCCESS

    networks = {n["portGroupName"]: n for n in api.get("/api/v1/datacenters/vc01").json()["content"]["networks"]}
    assert networks["DC0_DVPG0"]["ntp"] == ["ntp2.example.com"] and networks["DC0_DVPG0"]["foundInLastDiscovery"]
    assert networks["DC0_DVPG0"]["switch"] == "DVS0" and networks["DC0_DVPG0"]["moref"]
    assert networks["planned-pg"]["useDhcp"] is True and networks["planned-pg"]["foundInLastDiscovery"] is False
    assert networks["VM Network"]["configured"] is False

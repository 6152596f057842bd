"""`lcm datacenter network list|set|unset` against a live server (the settings are stored at once: no worker)."""

import pytest

from datacenters.models import PortGroupSettings
from tests.cli.conftest import lcm, lcm_env, logged_in, user  # noqa: F401  (the CLI tests' fixtures)
from tests.helpers import vcenter_stored


@pytest.fixture
def vc1(transactional_db):
    return vcenter_stored(port_group="pg mgmt", vm_network=False)


def test_set_then_list_and_change_one_setting(lcm, logged_in, vc1):
    empty = lcm("datacenter", "network", "list", "vc1")
    assert empty.code == 0 and "pg mgmt" in empty.out and "no IPv4 settings" in empty.out

    done = lcm(
        "datacenter",
        "network",
        "set",
        "vc1",
        "pg mgmt",
        "--gateway",
        "192.168.10.1",
        "--mask",
        "/24",
        "--dns",
        "192.168.10.2,192.168.10.3",
        "--ntp",
        "ntp.lab.example.com",
        "--domain",
        "lab.example.com",
        "--search-path",
        "lab.example.com,example.com",
    )
    assert done.code == 0, done.err
    assert "Saved the IPv4 settings of pg mgmt on vc1" in done.out and "/24 (255.255.255.0)" in done.out

    changed = lcm("datacenter", "network", "set", "vc1", "pg mgmt", "--ntp", "ntp2.example.com", "--json")
    entry = changed.json()
    assert entry["ntp"] == ["ntp2.example.com"] and entry["dns"] == ["192.168.10.2", "192.168.10.3"]  # others kept
    assert (entry["subnetMask"], entry["prefixLength"]) == ("255.255.255.0", 24)

    listed = lcm("datacenter", "network", "list", "vc1")
    assert "192.168.10.1" in listed.out and "ntp2.example.com" in listed.out and "120" in listed.out
    assert lcm("datacenter", "network", "list", "vc1", "--json").json()[0]["gateway"] == "192.168.10.1"

    assert lcm("datacenter", "network", "set", "vc1", "pg mgmt", "--dhcp", "--gateway", "", "--mask", "").code == 0
    assert PortGroupSettings.objects.get().use_dhcp is True and PortGroupSettings.objects.get().gateway == ""
    assert lcm("datacenter", "network", "unset", "vc1", "pg mgmt").code == 0
    assert not PortGroupSettings.objects.exists()


def test_refusals_name_the_field_and_exit_2(lcm, logged_in, vc1):
    refused = lcm("datacenter", "network", "set", "vc1", "pg mgmt", "--gateway", "192.168.10.0", "--mask", "24")
    assert refused.code == 2
    assert "gateway" in refused.err and "network address of 192.168.10.0/24" in refused.err
    duplicate = lcm(
        "datacenter",
        "network",
        "set",
        "vc1",
        "pg mgmt",
        "--gateway",
        "192.168.10.1",
        "--mask",
        "24",
        "--dns",
        "192.168.10.2,192.168.10.2",
    )
    assert duplicate.code == 2 and "dns[1]" in duplicate.err
    unknown = lcm("datacenter", "network", "set", "vc1", "no-such-pg", "--dhcp")
    assert unknown.code == 2 and "no port group 'no-such-pg'" in unknown.err
    assert not PortGroupSettings.objects.exists()

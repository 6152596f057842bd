"""A world to define environments in: vCenter 'vc01' with the inventory read from a real vcsim, a
vROps component, IPv4 settings on port group DC0_DVPG0, and a repository holding each sample's version."""

import copy
import json
from pathlib import Path

import pytest
from django.utils import timezone

from datacenters.models import ComponentType, DatacenterComponent
from datacenters.services import components, port_groups
from datacenters.vsphere.connection import connect
from datacenters.vsphere.inventory import about_read, inventory_read
from products.models import RepositoryFile

EXAMPLES = Path(__file__).resolve().parents[2] / "examples" / "environments"
SAMPLES = {path.stem: json.loads(path.read_text()) for path in sorted(EXAMPLES.glob("*.json"))}
SUBNET = {
    "portGroupName": "DC0_DVPG0",
    "gateway": "192.168.10.1",
    "subnetMask": "255.255.255.0",
    "domainName": "lab.example.com",
    "searchPath": ["lab.example.com"],
    "useDhcp": False,
    "dns": ["192.168.10.2"],
    "ntp": ["ntp.lab.example.com"],
}


@pytest.fixture(scope="session")
def vcsim_inventory(vcsim_binary, vcsim_tls, vcsim_tls_factory, tmp_path_factory):
    """The default vcsim inventory as discovered (read once per session from a real vcsim)."""
    from tests.vcsim import USERNAME, Vcsim

    simulator = Vcsim(
        binary=vcsim_binary,
        workdir=tmp_path_factory.mktemp("vcsim-world"),
        tls=vcsim_tls,
        new_tls=vcsim_tls_factory,
        username=USERNAME,
        password="world-password",
        flags={},
    )
    simulator.start()
    try:
        with connect(
            fqdn=simulator.fqdn,
            port=simulator.port,
            username=USERNAME,
            password="world-password",
            certificate_pem=simulator.certificate.pem,
        ) as si:
            about = about_read(si)
            items = [item.to_dict() for item in inventory_read(si)]
        return simulator.certificate, about, items
    finally:
        simulator.stop()


def port_group_settings_set(component_name: str, settings: dict) -> None:
    port_groups.port_group_settings_update(
        component_name=component_name, port_group_name=settings["portGroupName"], settings=settings
    )


@pytest.fixture
def world(db, vcsim_inventory):
    return world_build(vcsim_inventory)


@pytest.fixture
def world_committed(transactional_db, vcsim_inventory):
    """The same world for tests whose data a worker process must see."""
    return world_build(vcsim_inventory)


def world_build(vcsim_inventory) -> dict:
    certificate, about, items = vcsim_inventory
    spec = {
        "componentName": "vc01",
        "datacenterComponentType": "VCENTER",
        "fqdn": "127.0.0.1",
        "port": 443,
        "username": "administrator@vsphere.local",
        "password": "Vc-Passw0rd!",
        "purpose": "",
        "tags": [],
    }
    components.component_store(
        spec=spec,
        certificate={"pem": certificate.pem, **certificate.to_dict()},
        about=about,
        inventory=items,
        create=True,
    )
    DatacenterComponent.objects.create(
        component_name="vrops01",
        component_type=ComponentType.VROPS,
        fqdn="vrops.lab.example.com",
        username="admin",
        password="x",
        certificate_pem="-",
        certificate_thumbprint="-",
    )
    port_group_settings_set("vc01", SUBNET)
    for product_type, version in {
        ("VCD", "10.5.1"),
        ("USAGE_METER", "4.8.0"),
        ("VROPS_TENANT_APP", "8.12.0"),
        ("RABBITMQ", "3.8.14"),
        ("OVA_APPLIANCE", "1.0.0"),
    }:
        RepositoryFile.objects.create(
            product_type=product_type,
            path=f"{product_type.lower()}/{version}.ova",
            kind="OVA",
            size=1,
            mtime=0,
            status="OK",
            version=version,
            scanned_at=timezone.now(),
            properties=OVA_PROPERTIES.get(product_type, []),
        )
    return SAMPLES


# What the sample OVA appliance declares (as a scan records it): its root password is marked
# ovf:password="true", which is what makes it a secret.
OVA_PROPERTIES = {
    "OVA_APPLIANCE": [
        {"key": key, "type": "string", "value": "", "userConfigurable": True, "password": key == "root_password"}
        for key in ("hostname", "dns", "root_password")
    ]
}


@pytest.fixture
def sample():
    return lambda name: copy.deepcopy(SAMPLES[name])

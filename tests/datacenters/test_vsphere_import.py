"""Placement and OVF import (datacenters/vsphere) without the engine: placement errors against a real vcsim, the package's files, and an
upload to an ESXi-style device URL trusted by the SHA-1 thumbprint the lease gives."""

from __future__ import annotations

import hashlib
import tarfile
from types import SimpleNamespace

import pytest

from datacenters.vsphere import ovf_import
from datacenters.vsphere.connection import connect
from datacenters.vsphere.placement import PlacementMissing, placement_resolve
from tests.fakes.server import FakeHandler, FakeServer


@pytest.fixture
def si(vcsim):
    with connect(
        fqdn=vcsim.fqdn,
        port=vcsim.port,
        username=vcsim.username,
        password=vcsim.password,
        certificate_pem=vcsim.certificate.pem,
    ) as connection:
        yield connection


@pytest.mark.vcsim
@pytest.mark.parametrize(
    "override, message",
    [
        ({"datacenter": "DC9"}, "datacenter 'DC9' does not exist in vCenter (it has: DC0)"),
        ({"cluster": "C9"}, "cluster 'C9' does not exist in datacenter DC0 (it has: "),
        (
            {"resource_pool": "Resources/gold"},
            "resource pool 'Resources/gold' does not exist (no 'gold' under 'Resources'",
        ),
        ({"folder": "vm/apps"}, "VM folder 'vm/apps' does not exist (no 'apps' under 'vm')"),
        ({"datastore": "SAN9"}, "datastore 'SAN9' does not exist in datacenter DC0 (it has: LocalDS_0)"),
        ({"networks": ["PG9"]}, "port group 'PG9' does not exist in datacenter DC0 (it has: "),
        ({"host": "esx9"}, "host 'esx9' does not exist in DC0_C0"),
    ],
)
def test_each_missing_placement_object_is_named(si, override, message):
    where = {
        "datacenter": "DC0",
        "cluster": "DC0_C0",
        "resource_pool": "Resources",
        "folder": "vm",
        "datastore": "LocalDS_0",
        "networks": ["DC0_DVPG0"],
        **override,
    }
    with pytest.raises(PlacementMissing) as missing:
        placement_resolve(si, **where)
    assert missing.value.message.startswith(message)


@pytest.mark.vcsim
def test_placement_on_a_host_and_nested_pool(si):
    from pyVmomi import vim

    content = si.RetrieveContent()
    dc = content.rootFolder.childEntity[0]
    cluster = next(c for c in dc.hostFolder.childEntity if c.name == "DC0_C0")
    cluster.resourcePool.CreateResourcePool(
        "gold",
        vim.ResourceConfigSpec(
            cpuAllocation=vim.ResourceAllocationInfo(
                limit=-1, reservation=0, expandableReservation=True, shares=vim.SharesInfo(level="normal")
            ),
            memoryAllocation=vim.ResourceAllocationInfo(
                limit=-1, reservation=0, expandableReservation=True, shares=vim.SharesInfo(level="normal")
            ),
        ),
    )
    host = cluster.host[0].name
    placement = placement_resolve(
        si,
        datacenter="DC0",
        cluster="DC0_C0",
        resource_pool="Resources/gold",
        folder="vm",
        datastore="LocalDS_0",
        host=host,
        networks=["DC0_DVPG0"],
    )
    assert placement.pool.name == "gold" and placement.host.name == host
    assert list(placement.networks) == ["DC0_DVPG0"]


def test_package_files_are_byte_ranges_of_the_ova(tmp_path):
    ova = tmp_path / "a.ova"
    members = {"a.ovf": b"<Envelope/>", "a.mf": b"SHA256(a.ovf)= x\n", "a-disk1.vmdk": bytes(range(256)) * 4099}
    with tarfile.open(ova, "w", format=tarfile.USTAR_FORMAT) as tar:
        for name, data in members.items():
            info = tarfile.TarInfo(name)
            info.size = len(data)
            tar.addfile(info, __import__("io").BytesIO(data))
    files = ovf_import.package_files(ova, kind="OVA")
    assert {name: b"".join(f.chunks(chunk=1000)) for name, f in files.items()} == members
    (tmp_path / "b.ovf").write_bytes(b"<Envelope/>")
    (tmp_path / "b-disk1.vmdk").write_bytes(b"disk")
    files = ovf_import.package_files(tmp_path / "b.ovf", kind="OVF", files=["b.ovf", "b-disk1.vmdk"])
    assert b"".join(files["b-disk1.vmdk"].chunks()) == b"disk"


class _Nfc(FakeHandler):
    """An ESXi host's NFC endpoint: takes the disk by POST and keeps what it received."""

    def route(self, method: str) -> None:
        self.fake.received.append((method, self.path, self.headers.get("Content-Type"), self.body))
        self.send_body(200)


class FakeNfc(FakeServer):
    handler = _Nfc

    def __init__(self, **kwargs):
        super().__init__(**kwargs)
        self.received = []


@pytest.fixture
def nfc(vcsim_tls, vcsim_tls_factory):
    fake = FakeNfc(tls=vcsim_tls_factory(), new_tls=vcsim_tls_factory, username="", password="")
    fake.start()
    yield fake
    fake.stop()


def _sha1(pem: str) -> str:
    import ssl

    digest = hashlib.sha1(ssl.PEM_cert_to_DER_cert(pem)).hexdigest().upper()
    return ":".join(digest[i : i + 2] for i in range(0, len(digest), 2))


def test_an_upload_to_a_host_is_trusted_by_the_leases_thumbprint_only(nfc, tmp_path):
    import requests

    disk = tmp_path / "disk.vmdk"
    disk.write_bytes(b"x" * 3_000_000)
    source = ovf_import.PackageFile("disk.vmdk", disk, 0, disk.stat().st_size)
    url = f"https://127.0.0.1:{nfc.port}/nfc/52ab/disk-0.vmdk"
    item = SimpleNamespace(path="disk.vmdk", create=False, sslThumbprint=_sha1(nfc.certificate.pem))
    upload = ovf_import.Upload(total=source.size, report=lambda u: None)
    ovf_import._upload_one(requests.Session(), url, item, source, upload, lambda: None, ("vc.example.com", 443))
    assert nfc.received == [("POST", "/nfc/52ab/disk-0.vmdk", "application/x-vnd.vmware-streamVmdk", b"x" * 3_000_000)]
    assert upload.done == source.size

    item.sslThumbprint = "00:" * 19 + "00"  # the host presents another certificate than vCenter said
    with pytest.raises(ovf_import.ImportFailed, match="presents a certificate other than the one vCenter named"):
        ovf_import._upload_one(
            requests.Session(),
            url,
            item,
            source,
            ovf_import.Upload(total=source.size, report=lambda u: None),
            lambda: None,
            ("vc.example.com", 443),
        )
    assert len(nfc.received) == 1

"""Reading OVF descriptors: product sections and properties, disks, deployment options, what is not one."""

import pytest

from products.ovf.descriptor import build_from, descriptor_parse
from products.ovf.errors import OvfError
from tests.products.ova_factory import envelope

# --- descriptors ---


def test_properties_from_every_product_section_take_their_class_and_instance():
    data = envelope("""
    <ProductSection ovf:class="vami" ovf:instance="VMware_vCloud_Director">
      <Info>VAMI</Info>
      <Category>Networking</Category>
      <Property ovf:key="ip0" ovf:type="string"><Label>IP</Label></Property>
      <Property ovf:key="DNS" ovf:type="string" ovf:userConfigurable="true" ovf:value="10.0.0.1"/>
    </ProductSection>
    <ProductSection>
      <Info>main</Info>
      <Product>VMware Cloud Director</Product><Vendor>VMware, Inc.</Vendor>
      <Version>10.5.1</Version><FullVersion>10.5.1 build 22346795</FullVersion>
      <Property ovf:key="root-password" ovf:type="string" ovf:password="true" ovf:userConfigurable="true"/>
      <Category>Sizing</Category>
      <Property ovf:key="size" ovf:type="string" ovf:qualifiers="ValueMap{&quot;small&quot;,&quot;large&quot;}" ovf:value="small"
                ovf:userConfigurable="1">
        <Label>Size</Label><Description>How big</Description>
        <Value ovf:configuration="large" ovf:value="large"/>
      </Property>
    </ProductSection>""")
    d = descriptor_parse(data)
    assert (d.product_name, d.version, d.build) == ("VMware Cloud Director", "10.5.1", "22346795")
    by_key = {p["key"]: p for p in d.properties}
    assert list(by_key) == [
        "vami.ip0.VMware_vCloud_Director",
        "vami.DNS.VMware_vCloud_Director",
        "root-password",
        "size",
    ]
    ip0 = by_key["vami.ip0.VMware_vCloud_Director"]
    assert (ip0["classId"], ip0["id"], ip0["instance"], ip0["category"]) == (
        "vami",
        "ip0",
        "VMware_vCloud_Director",
        "Networking",
    )
    assert ip0["userConfigurable"] is False  # the OVF standard's default
    assert by_key["vami.DNS.VMware_vCloud_Director"]["defaultValue"] == "10.0.0.1"
    assert by_key["root-password"]["password"] is True and by_key["root-password"]["category"] == ""
    size = by_key["size"]
    assert (size["qualifiers"], size["category"], size["userConfigurable"]) == (
        'ValueMap{"small","large"}',
        "Sizing",
        True,
    )
    assert (size["label"], size["description"], size["valuesByDeploymentOption"]) == (
        "Size",
        "How big",
        {"large": "large"},
    )


@pytest.mark.parametrize(
    "units, capacity, expected",
    [
        ("byte", "1073741824", 2**30),
        ("byte * 2^30", "20", 20 * 2**30),
        ("byte*2^20", "512", 512 * 2**20),
        ("byte * 10^9", "2", 2 * 10**9),
        ("GB", "3", 3 * 2**30),
        ("", "4096", 4096),
        ("byte * 2^30", "${disk.size}", None),
    ],
)
def test_disk_capacity_honours_the_allocation_units(units, capacity, expected):
    unit_attr = f'ovf:capacityAllocationUnits="{units}"' if units else ""
    d = descriptor_parse(
        envelope(
            "",
            top=f"""
      <References><File ovf:id="f1" ovf:href="disk.vmdk" ovf:size="10"/></References>
      <DiskSection><Info>disks</Info>
        <Disk ovf:diskId="d1" ovf:fileRef="f1" ovf:capacity="{capacity}" {unit_attr} ovf:populatedSize="123"/>
      </DiskSection>""",
        )
    )
    assert d.disks[0]["capacityBytes"] == expected and d.disks[0]["populatedSize"] == 123
    assert d.problems == [] and d.warnings == []


def test_an_unknown_capacity_unit_and_a_dangling_file_reference_are_reported():
    d = descriptor_parse(
        envelope(
            "",
            top="""
      <References><File ovf:id="f1" ovf:href="http://example.com/disk.vmdk"/><File ovf:id="f2" ovf:href="../etc/passwd"/></References>
      <DiskSection><Info>disks</Info>
        <Disk ovf:diskId="d1" ovf:fileRef="f9" ovf:capacity="3" ovf:capacityAllocationUnits="furlongs"/>
      </DiskSection>""",
        )
    )
    assert d.disks[0]["capacityBytes"] is None
    assert d.warnings == ["disk d1: the capacity unit 'furlongs' is not understood"]
    assert d.problems == [
        "descriptor: http://example.com/disk.vmdk is referenced by URL; only files inside the package are supported",
        "descriptor: the file reference '../etc/passwd' points outside the package",
        "descriptor: disk d1 refers to the file 'f9', which References does not list",
    ]


def test_deployment_options_without_a_marked_default_default_to_the_first():
    d = descriptor_parse(
        envelope(
            "",
            sections="""
      <DeploymentOptionSection><Info>sizes</Info>
        <Configuration ovf:id="small"><Label>Small</Label><Description>2 vCPU</Description></Configuration>
        <Configuration ovf:id="large"><Label>Large</Label><Description>8 vCPU</Description></Configuration>
      </DeploymentOptionSection>""",
        )
    )
    assert d.deployment_options == [
        {"id": "small", "label": "Small", "description": "2 vCPU", "default": True},
        {"id": "large", "label": "Large", "description": "8 vCPU", "default": False},
    ]


def test_a_virtual_system_collection_counts_and_a_missing_version_is_a_warning():
    data = b"""<Envelope xmlns="http://schemas.dmtf.org/ovf/envelope/1" xmlns:ovf="http://schemas.dmtf.org/ovf/envelope/1">
      <VirtualSystemCollection ovf:id="vapp"><Info>a vApp</Info>
        <ProductSection><Info>p</Info><Product>Tenant App</Product></ProductSection>
        <VirtualSystem ovf:id="a"><Info>a</Info></VirtualSystem><VirtualSystem ovf:id="b"><Info>b</Info></VirtualSystem>
      </VirtualSystemCollection></Envelope>"""
    d = descriptor_parse(data)
    assert d.virtual_systems == ["a", "b"] and d.version == ""
    assert d.warnings == ["no ProductSection names a version: this file cannot be chosen by version"]


@pytest.mark.parametrize(
    "data, message",
    [
        (b"<Envelope><unclosed>", "x.ovf is not well-formed XML: "),
        (b"", "x.ovf is not well-formed XML: "),
        (b"<html><body>404</body></html>", "x.ovf is not an OVF descriptor (its root element is <html>)"),
        (
            b'<Envelope xmlns="http://schemas.dmtf.org/ovf/envelope/2"/>',
            "x.ovf is not an OVF 1.x descriptor (its Envelope's namespace is http://schemas.dmtf.org/ovf/envelope/2)",
        ),
        (
            b'<Envelope xmlns="http://schemas.dmtf.org/ovf/envelope/1"><References/></Envelope>',
            "x.ovf describes no virtual machine (no VirtualSystem element)",
        ),
    ],
)
def test_what_is_not_an_ovf_descriptor_says_why(data, message):
    with pytest.raises(OvfError) as error:
        descriptor_parse(data, name="x.ovf")
    assert error.value.message.startswith(message)


@pytest.mark.parametrize(
    "version, full, build",
    [
        ("10.5.1", "10.5.1.22346795", "22346795"),
        ("10.5.1", "10.5.1-22346795", "22346795"),
        ("8.12.0", "8.12.0 build 21594584", "21594584"),
        ("3.8.14", "", ""),
        ("3.8.14", "3.8.14", ""),
        ("4.8", "Usage Meter 4.8.0.1234", "1234"),
    ],
)
def test_the_build_comes_from_full_version(version, full, build):
    assert build_from(version, full) == build

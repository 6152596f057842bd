#!/usr/bin/env python3
"""Build a tiny OVA for tests: one VM (1 vCPU, 64 MB), one streamOptimized disk, one NIC per OVF network
("Management" by default), and a vApp ProductSection with appliance settings (hostname, ip0, …, root_password).

Run: make_ova.py OUTDIR NAME RAW_IMAGE   (prints the OVA's path). Options (all optional):
       --product P --vendor V --version X.Y.Z --build N     the ProductSection (build → FullVersion X.Y.Z.N)
       --network NAME …                                     OVF networks, one NIC each
       --deployment-option ID[=LABEL] …                     the first is the default; option n has n vCPUs
       --property KEY=VALUE …                               more properties; KEY:password=… for a password,
                                                            KEY:fixed=… for one the user may not change
Import: build(outdir, name, raw_path, product=…, vendor=…, version=…, build_number=…, networks=[…],
        deployment_options=[…], properties=[…], sections=[…]).
Needs qemu-img (Debian: qemu-utils) to turn the raw image into a streamOptimized VMDK.
"""

import argparse
import hashlib
import os
import shutil
import subprocess
import sys
import tarfile
from xml.sax.saxutils import escape, quoteattr

# The appliance settings every tiny OVA has.
BASE_PROPERTIES = [
    {"key": "hostname", "value": "tiny", "label": "Hostname", "description": "Host name"},
    {"key": "ip0", "label": "IP address"},
    {"key": "netmask0", "value": "255.255.255.0", "label": "Netmask"},
    {"key": "gateway", "label": "Gateway"},
    {"key": "dns", "label": "DNS servers"},
    {"key": "ntp", "label": "NTP servers"},
    {"key": "root_password", "password": True, "label": "Root password"},
]


def property_xml(prop: dict) -> str:
    """One <Property> from {key, type="string", value="", userConfigurable=True, password, qualifiers, label,
    description}."""
    attrs = [f"ovf:key={quoteattr(prop['key'])}", f"ovf:type={quoteattr(prop.get('type', 'string'))}"]
    if prop.get("qualifiers"):
        attrs.append(f"ovf:qualifiers={quoteattr(prop['qualifiers'])}")
    if prop.get("password"):
        attrs.append('ovf:password="true"')
    attrs.append('ovf:userConfigurable="%s"' % ("true" if prop.get("userConfigurable", True) else "false"))
    attrs.append(f"ovf:value={quoteattr(str(prop.get('value', '')))}")
    inner = f"<Label>{escape(prop.get('label', prop['key']))}</Label>"
    if prop.get("description"):
        inner += f"<Description>{escape(prop['description'])}</Description>"
    return f"      <Property {' '.join(attrs)}>\n        {inner}</Property>\n"


def _networks_xml(networks: list) -> str:
    return "".join(
        f"    <Network ovf:name={quoteattr(n)}>\n      <Description>{escape(n)} network</Description>\n    </Network>\n"
        for n in networks
    )


def _deployment_options_xml(options: list) -> str:
    if not options:
        return ""
    out = ["  <DeploymentOptionSection>\n    <Info>Deployment sizes</Info>\n"]
    for i, option in enumerate(options):
        default = ' ovf:default="true"' if i == 0 else ""
        label = option.get("label", option["id"])
        out.append(
            f"    <Configuration ovf:id={quoteattr(option['id'])}{default}>\n"
            f"      <Label>{escape(label)}</Label>\n"
            f"      <Description>{escape(option.get('description', label))}</Description>\n"
            "    </Configuration>\n"
        )
    out.append("  </DeploymentOptionSection>\n")
    return "".join(out)


def _sections_xml(sections: list) -> str:
    """More ProductSections, e.g. {"class": "vami", "instance": "VMware_vCloud_Director", "properties": […]}."""
    out = []
    for section in sections:
        attrs = ' ovf:required="false"'
        for name in ("class", "instance"):
            if section.get(name):
                attrs += f" ovf:{name}={quoteattr(section[name])}"
        body = "".join(property_xml(p) for p in section.get("properties", []))
        out.append(
            f"    <ProductSection{attrs}>\n      <Info>{escape(section.get('info', 'More settings'))}</Info>\n"
            f"{body}    </ProductSection>\n"
        )
    return "".join(out)


def _cpu_items_xml(options: list) -> str:
    """One CPU item for all, or one per deployment option (option n has n vCPUs) so the options differ."""
    configs = [("", 1)] if not options else [(o["id"], i + 1) for i, o in enumerate(options)]
    return "".join(
        f"""      <Item{f" ovf:configuration={quoteattr(config)}" if config else ""}>
        <rasd:AllocationUnits>hertz * 10^6</rasd:AllocationUnits>
        <rasd:Description>Number of Virtual CPUs</rasd:Description>
        <rasd:ElementName>{cpus} virtual CPU(s)</rasd:ElementName>
        <rasd:InstanceID>1</rasd:InstanceID>
        <rasd:ResourceType>3</rasd:ResourceType>
        <rasd:VirtualQuantity>{cpus}</rasd:VirtualQuantity>
      </Item>
"""
        for config, cpus in configs
    )


def _nic_items_xml(networks: list) -> str:
    return "".join(
        f"""      <Item>
        <rasd:AddressOnParent>{7 + i}</rasd:AddressOnParent>
        <rasd:AutomaticAllocation>true</rasd:AutomaticAllocation>
        <rasd:Connection>{escape(network)}</rasd:Connection>
        <rasd:Description>VmxNet3 ethernet adapter on "{escape(network)}"</rasd:Description>
        <rasd:ElementName>Network adapter {i + 1}</rasd:ElementName>
        <rasd:InstanceID>{5 + i}</rasd:InstanceID>
        <rasd:ResourceSubType>VmxNet3</rasd:ResourceSubType>
        <rasd:ResourceType>10</rasd:ResourceType>
      </Item>
"""
        for i, network in enumerate(networks)
    )


def ovf_xml(
    name: str,
    vmdk_name: str,
    vmdk_size: int,
    capacity_bytes: int,
    *,
    product: str = "Tiny Appliance",
    vendor: str = "Example",
    version: str = "1.0.0",
    build_number: str = "",
    networks: list | None = None,
    deployment_options: list | None = None,
    properties: list | None = None,
    sections: list | None = None,
) -> str:
    """The descriptor. Without the keyword arguments: the tiny appliance as it always was."""
    networks = list(networks or ["Management"])
    options = [o if isinstance(o, dict) else {"id": o} for o in deployment_options or []]
    full_version = (
        f"\n      <FullVersion>{escape(version)}.{escape(build_number)}</FullVersion>" if build_number else ""
    )
    props = "".join(property_xml(p) for p in BASE_PROPERTIES + list(properties or []))
    return f"""<?xml version="1.0" encoding="UTF-8"?>
<Envelope xmlns="http://schemas.dmtf.org/ovf/envelope/1"
  xmlns:ovf="http://schemas.dmtf.org/ovf/envelope/1"
  xmlns:rasd="http://schemas.dmtf.org/wbem/wscim/1/cim-schema/2/CIM_ResourceAllocationSettingData"
  xmlns:vssd="http://schemas.dmtf.org/wbem/wscim/1/cim-schema/2/CIM_VirtualSystemSettingData"
  xmlns:vmw="http://www.vmware.com/schema/ovf"
  xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance">
  <References>
    <File ovf:id="file1" ovf:href={quoteattr(vmdk_name)} ovf:size="{vmdk_size}"/>
  </References>
  <DiskSection>
    <Info>Virtual disk information</Info>
    <Disk ovf:diskId="vmdisk1" ovf:fileRef="file1" ovf:capacity="{capacity_bytes}" ovf:capacityAllocationUnits="byte"
          ovf:format="http://www.vmware.com/interfaces/specifications/vmdk.html#streamOptimized"/>
  </DiskSection>
  <NetworkSection>
    <Info>The list of logical networks</Info>
{_networks_xml(networks)}  </NetworkSection>
{_deployment_options_xml(options)}  <VirtualSystem ovf:id={quoteattr(name)}>
    <Info>A tiny test appliance</Info>
    <Name>{escape(name)}</Name>
    <OperatingSystemSection ovf:id="101" vmw:osType="otherLinux64Guest">
      <Info>The kind of installed guest operating system</Info>
    </OperatingSystemSection>
    <ProductSection ovf:required="false">
      <Info>Appliance settings</Info>
      <Product>{escape(product)}</Product>
      <Vendor>{escape(vendor)}</Vendor>
      <Version>{escape(version)}</Version>{full_version}
      <Category>Network</Category>
{props}    </ProductSection>
{_sections_xml(sections or [])}    <VirtualHardwareSection>
      <Info>Virtual hardware requirements</Info>
      <System>
        <vssd:ElementName>Virtual Hardware Family</vssd:ElementName>
        <vssd:InstanceID>0</vssd:InstanceID>
        <vssd:VirtualSystemIdentifier>{escape(name)}</vssd:VirtualSystemIdentifier>
        <vssd:VirtualSystemType>vmx-13</vssd:VirtualSystemType>
      </System>
{_cpu_items_xml(options)}      <Item>
        <rasd:AllocationUnits>byte * 2^20</rasd:AllocationUnits>
        <rasd:Description>Memory Size</rasd:Description>
        <rasd:ElementName>64MB of memory</rasd:ElementName>
        <rasd:InstanceID>2</rasd:InstanceID>
        <rasd:ResourceType>4</rasd:ResourceType>
        <rasd:VirtualQuantity>64</rasd:VirtualQuantity>
      </Item>
      <Item>
        <rasd:Address>0</rasd:Address>
        <rasd:Description>SCSI Controller</rasd:Description>
        <rasd:ElementName>SCSI Controller 0</rasd:ElementName>
        <rasd:InstanceID>3</rasd:InstanceID>
        <rasd:ResourceSubType>lsilogic</rasd:ResourceSubType>
        <rasd:ResourceType>6</rasd:ResourceType>
      </Item>
      <Item>
        <rasd:AddressOnParent>0</rasd:AddressOnParent>
        <rasd:ElementName>Hard Disk 1</rasd:ElementName>
        <rasd:HostResource>ovf:/disk/vmdisk1</rasd:HostResource>
        <rasd:InstanceID>4</rasd:InstanceID>
        <rasd:Parent>3</rasd:Parent>
        <rasd:ResourceType>17</rasd:ResourceType>
      </Item>
{_nic_items_xml(networks)}    </VirtualHardwareSection>
  </VirtualSystem>
</Envelope>
"""


def sha256(path: str) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def build(outdir: str, name: str, raw_path: str, **descriptor) -> str:
    """Write NAME.ovf, NAME.mf, NAME-disk1.vmdk and NAME.ova into outdir; return the OVA's path.

    `descriptor`: ovf_xml's keyword arguments (product, vendor, version, build_number, networks,
    deployment_options, properties, sections).
    """
    if shutil.which("qemu-img") is None:
        raise RuntimeError("qemu-img is missing; install Debian's qemu-utils")
    outdir, raw_path = os.fspath(outdir), os.fspath(raw_path)
    vmdk_name = f"{name}-disk1.vmdk"
    vmdk = os.path.join(outdir, vmdk_name)
    subprocess.run(
        ["qemu-img", "convert", "-f", "raw", "-O", "vmdk", "-o",
         "subformat=streamOptimized,adapter_type=lsilogic", raw_path, vmdk],
        check=True,
    )  # fmt: skip
    ovf_name = f"{name}.ovf"
    with open(os.path.join(outdir, ovf_name), "w") as f:
        f.write(ovf_xml(name, vmdk_name, os.path.getsize(vmdk), os.path.getsize(raw_path), **descriptor))
    mf_name = f"{name}.mf"
    with open(os.path.join(outdir, mf_name), "w") as f:
        for n in (ovf_name, vmdk_name):
            f.write(f"SHA256({n})= {sha256(os.path.join(outdir, n))}\n")
    ova = os.path.join(outdir, f"{name}.ova")
    with tarfile.open(ova, "w", format=tarfile.USTAR_FORMAT) as t:  # OVA: the .ovf must come first
        for n in (ovf_name, mf_name, vmdk_name):
            t.add(os.path.join(outdir, n), arcname=n)
    return ova


def _property_arg(text: str) -> dict:
    """KEY=VALUE, KEY:password=VALUE (a password) or KEY:fixed=VALUE (not user-configurable)."""
    if "=" not in text:
        raise argparse.ArgumentTypeError(f"{text!r} is not KEY=VALUE")
    key, value = text.split("=", 1)
    key, _, flag = key.partition(":")
    if flag not in ("", "password", "fixed"):
        raise argparse.ArgumentTypeError(f"{flag!r} is not 'password' or 'fixed'")
    return {"key": key, "value": value, "password": flag == "password", "userConfigurable": flag != "fixed"}


def _option_arg(text: str) -> dict:
    option_id, _, label = text.partition("=")
    return {"id": option_id, "label": label or option_id}


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(prog="make_ova.py", description="Build a tiny OVA for tests.")
    parser.add_argument("outdir")
    parser.add_argument("name")
    parser.add_argument("raw_image")
    parser.add_argument("--product", default="Tiny Appliance")
    parser.add_argument("--vendor", default="Example")
    parser.add_argument("--version", default="1.0.0")
    parser.add_argument("--build", dest="build_number", default="", help="FullVersion becomes VERSION.BUILD")
    parser.add_argument("--network", dest="networks", action="append", metavar="NAME")
    parser.add_argument(
        "--deployment-option", dest="deployment_options", action="append", type=_option_arg, metavar="ID[=LABEL]"
    )
    parser.add_argument("--property", dest="properties", action="append", type=_property_arg, metavar="KEY=VALUE")
    try:
        args = parser.parse_args(argv)
    except SystemExit as exc:
        return exc.code if isinstance(exc.code, int) else 2
    options = vars(args)
    print(build(options.pop("outdir"), options.pop("name"), options.pop("raw_image"), **options))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))

#!/usr/bin/env python3
"""Build a tiny OVA for tests: one VM (1 vCPU, 64 MB), one streamOptimized disk, one NIC on the OVF
network "Management", and a vApp ProductSection with appliance settings (hostname, ip0, …, root_password).

Run: make_ova.py OUTDIR NAME RAW_IMAGE   (prints the OVA's path). Import: build(outdir, name, raw_path).
Needs qemu-img (Debian: qemu-utils) to turn the raw image into a streamOptimized VMDK.
"""

import hashlib
import os
import shutil
import subprocess
import sys
import tarfile


def ovf_xml(name: str, vmdk_name: str, vmdk_size: int, capacity_bytes: int) -> str:
    return f"""<?xml version="1.0" encoding="UTF-8"?>
<Envelope xmlns="http://schemas.dmtf.org/ovf/envelope/1"
  xmlns:ovf="http://schemas.dmtf.org/ovf/envelope/1"
  xmlns:rasd="http://schemas.dmtf.org/wbem/wscim/1/cim-schema/2/CIM_ResourceAllocationSettingData"
  xmlns:vssd="http://schemas.dmtf.org/wbem/wscim/1/cim-schema/2/CIM_VirtualSystemSettingData"
  xmlns:vmw="http://www.vmware.com/schema/ovf"
  xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance">
  <References>
    <File ovf:id="file1" ovf:href="{vmdk_name}" ovf:size="{vmdk_size}"/>
  </References>
  <DiskSection>
    <Info>Virtual disk information</Info>
    <Disk ovf:diskId="vmdisk1" ovf:fileRef="file1" ovf:capacity="{capacity_bytes}" ovf:capacityAllocationUnits="byte"
          ovf:format="http://www.vmware.com/interfaces/specifications/vmdk.html#streamOptimized"/>
  </DiskSection>
  <NetworkSection>
    <Info>The list of logical networks</Info>
    <Network ovf:name="Management">
      <Description>Management network</Description>
    </Network>
  </NetworkSection>
  <VirtualSystem ovf:id="{name}">
    <Info>A tiny test appliance</Info>
    <Name>{name}</Name>
    <OperatingSystemSection ovf:id="101" vmw:osType="otherLinux64Guest">
      <Info>The kind of installed guest operating system</Info>
    </OperatingSystemSection>
    <ProductSection ovf:required="false">
      <Info>Appliance settings</Info>
      <Product>Tiny Appliance</Product>
      <Vendor>Example</Vendor>
      <Version>1.0.0</Version>
      <Category>Network</Category>
      <Property ovf:key="hostname" ovf:type="string" ovf:userConfigurable="true" ovf:value="tiny">
        <Label>Hostname</Label><Description>Host name</Description></Property>
      <Property ovf:key="ip0" ovf:type="string" ovf:userConfigurable="true" ovf:value="">
        <Label>IP address</Label></Property>
      <Property ovf:key="netmask0" ovf:type="string" ovf:userConfigurable="true" ovf:value="255.255.255.0">
        <Label>Netmask</Label></Property>
      <Property ovf:key="gateway" ovf:type="string" ovf:userConfigurable="true" ovf:value="">
        <Label>Gateway</Label></Property>
      <Property ovf:key="dns" ovf:type="string" ovf:userConfigurable="true" ovf:value="">
        <Label>DNS servers</Label></Property>
      <Property ovf:key="ntp" ovf:type="string" ovf:userConfigurable="true" ovf:value="">
        <Label>NTP servers</Label></Property>
      <Property ovf:key="root_password" ovf:type="string" ovf:password="true" ovf:userConfigurable="true" ovf:value="">
        <Label>Root password</Label></Property>
    </ProductSection>
    <VirtualHardwareSection>
      <Info>Virtual hardware requirements</Info>
      <System>
        <vssd:ElementName>Virtual Hardware Family</vssd:ElementName>
        <vssd:InstanceID>0</vssd:InstanceID>
        <vssd:VirtualSystemIdentifier>{name}</vssd:VirtualSystemIdentifier>
        <vssd:VirtualSystemType>vmx-13</vssd:VirtualSystemType>
      </System>
      <Item>
        <rasd:AllocationUnits>hertz * 10^6</rasd:AllocationUnits>
        <rasd:Description>Number of Virtual CPUs</rasd:Description>
        <rasd:ElementName>1 virtual CPU(s)</rasd:ElementName>
        <rasd:InstanceID>1</rasd:InstanceID>
        <rasd:ResourceType>3</rasd:ResourceType>
        <rasd:VirtualQuantity>1</rasd:VirtualQuantity>
      </Item>
      <Item>
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
      <Item>
        <rasd:AddressOnParent>7</rasd:AddressOnParent>
        <rasd:AutomaticAllocation>true</rasd:AutomaticAllocation>
        <rasd:Connection>Management</rasd:Connection>
        <rasd:Description>VmxNet3 ethernet adapter on "Management"</rasd:Description>
        <rasd:ElementName>Network adapter 1</rasd:ElementName>
        <rasd:InstanceID>5</rasd:InstanceID>
        <rasd:ResourceSubType>VmxNet3</rasd:ResourceSubType>
        <rasd:ResourceType>10</rasd:ResourceType>
      </Item>
    </VirtualHardwareSection>
  </VirtualSystem>
</Envelope>
"""

def sha256(path: str) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def build(outdir: str, name: str, raw_path: str) -> str:
    """Write NAME.ovf, NAME.mf, NAME-disk1.vmdk and NAME.ova into outdir; return the OVA's path."""
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
        f.write(ovf_xml(name, vmdk_name, os.path.getsize(vmdk), os.path.getsize(raw_path)))
    mf_name = f"{name}.mf"
    with open(os.path.join(outdir, mf_name), "w") as f:
        for n in (ovf_name, vmdk_name):
            f.write(f"SHA256({n})= {sha256(os.path.join(outdir, n))}\n")
    ova = os.path.join(outdir, f"{name}.ova")
    with tarfile.open(ova, "w", format=tarfile.USTAR_FORMAT) as t:  # OVA: the .ovf must come first
        for n in (ovf_name, mf_name, vmdk_name):
            t.add(os.path.join(outdir, n), arcname=n)
    return ova


def main(argv: list[str]) -> int:
    if len(argv) != 3:
        print("usage: make_ova.py OUTDIR NAME RAW_IMAGE", file=sys.stderr)
        return 2
    print(build(*argv))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))

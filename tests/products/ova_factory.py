"""OVAs, descriptors with their files, and upgrade packages for tests, made in Python in milliseconds.

The descriptor is make_ova.py's (tools/vcsim), so these packages look like the real generated ones;
the disk is a few KiB of bytes, not a real VMDK (nothing here deploys them). Every knob that breaks a
package in a way a scan must report is a keyword argument.
"""

from __future__ import annotations

import hashlib
import importlib.util
import io
import os
import tarfile
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
_spec = importlib.util.spec_from_file_location("make_ova", REPO / "tools" / "vcsim" / "make_ova.py")
make_ova = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(make_ova)

ALGORITHMS = {"SHA1": hashlib.sha1, "SHA256": hashlib.sha256}


def disk_bytes(size: int, seed: str) -> bytes:
    """Deterministic, incompressible-looking bytes: different per seed."""
    out, counter = bytearray(), 0
    while len(out) < size:
        out += hashlib.sha256(f"{seed}:{counter}".encode()).digest()
        counter += 1
    return bytes(out[:size])


def descriptor_for(name: str, disk_name: str, disk_size: int, capacity: int, **descriptor) -> bytes:
    return make_ova.ovf_xml(name, disk_name, disk_size, capacity, **descriptor).encode()


def manifest_for(
    files: dict[str, bytes],
    *,
    algorithm: str = "SHA256",
    wrong: dict[str, str] | None = None,
    omit: tuple[str, ...] = (),
) -> bytes:
    lines = []
    for name, data in files.items():
        if name in omit:
            continue
        digest = (wrong or {}).get(name) or ALGORITHMS[algorithm](data).hexdigest()
        lines.append(f"{algorithm}({name})= {digest}\n")
    return "".join(lines).encode()


def _members(
    name: str,
    *,
    disk_size: int,
    capacity: int,
    descriptor_bytes: bytes | None,
    algorithm: str,
    wrong: dict | None,
    omit: tuple,
    manifest: bool | bytes,
    **descriptor,
) -> list[tuple[str, bytes]]:
    disk_name = f"{name}-disk1.vmdk"
    disk = disk_bytes(disk_size, f"{name}:{descriptor.get('version', '')}")
    ovf = (
        descriptor_bytes
        if descriptor_bytes is not None
        else descriptor_for(name, disk_name, len(disk), capacity, **descriptor)
    )
    members = [(f"{name}.ovf", ovf)]
    if manifest is not False:
        mf = (
            manifest
            if isinstance(manifest, bytes)
            else manifest_for({f"{name}.ovf": ovf, disk_name: disk}, algorithm=algorithm, wrong=wrong, omit=omit)
        )
        members.append((f"{name}.mf", mf))
    members.append((disk_name, disk))
    return members


def ova_write(
    path: Path,
    *,
    name: str = "appliance",
    disk_size: int = 8 * 1024,
    capacity: int = 2**30,
    descriptor_bytes: bytes | None = None,
    algorithm: str = "SHA256",
    wrong: dict | None = None,
    omit: tuple = (),
    manifest: bool | bytes = True,
    order: tuple[int, ...] | None = None,
    extra: tuple[tuple[str, bytes], ...] = (),
    **descriptor,
) -> Path:
    """An OVA: NAME.ovf, NAME.mf, NAME-disk1.vmdk (in `order` of those indexes), plus `extra` members.

    descriptor: make_ova.ovf_xml's keywords (product, vendor, version, build_number, networks,
    deployment_options, properties, sections). wrong={file: digest} writes a wrong digest;
    omit=(file,) leaves a file out of the manifest; manifest=False writes none, bytes writes those.
    """
    members = _members(
        name,
        disk_size=disk_size,
        capacity=capacity,
        descriptor_bytes=descriptor_bytes,
        algorithm=algorithm,
        wrong=wrong,
        omit=omit,
        manifest=manifest,
        **descriptor,
    )
    if order is not None:
        members = [members[i] for i in order]
    members += list(extra)
    path.parent.mkdir(parents=True, exist_ok=True)
    with tarfile.open(path, "w", format=tarfile.USTAR_FORMAT) as tar:
        for member_name, data in members:
            info = tarfile.TarInfo(member_name)
            info.size, info.mode, info.mtime = len(data), 0o644, 1_700_000_000
            tar.addfile(info, io.BytesIO(data))
    return path


def ovf_folder_write(
    folder: Path,
    *,
    name: str = "appliance",
    disk_size: int = 8 * 1024,
    capacity: int = 2**30,
    algorithm: str = "SHA256",
    wrong: dict | None = None,
    omit: tuple = (),
    manifest: bool | bytes = True,
    missing: tuple[str, ...] = (),
    **descriptor,
) -> Path:
    """NAME.ovf, NAME.mf and NAME-disk1.vmdk side by side in `folder` (files in `missing` not written)."""
    folder.mkdir(parents=True, exist_ok=True)
    for member_name, data in _members(
        name,
        disk_size=disk_size,
        capacity=capacity,
        descriptor_bytes=None,
        algorithm=algorithm,
        wrong=wrong,
        omit=omit,
        manifest=manifest,
        **descriptor,
    ):
        if member_name not in missing:
            (folder / member_name).write_bytes(data)
    return folder / f"{name}.ovf"


def truncate(path: Path, size: int) -> Path:
    with open(path, "r+b") as f:
        f.truncate(size)
    return path


def flip_byte(ova: Path, member: str, offset: int, *, keep_mtime: bool = False) -> None:
    """Damage one byte of a member's data in place (same size), optionally keeping the file's mtime."""
    with tarfile.open(ova) as tar:
        position = tar.getmember(member).offset_data + offset
    st = os.stat(ova)
    with open(ova, "r+b") as f:
        f.seek(position)
        byte = f.read(1)
        f.seek(position)
        f.write(bytes([byte[0] ^ 0xFF]))
    if keep_mtime:
        os.utime(ova, ns=(st.st_atime_ns, st.st_mtime_ns))


def touch_later(path: Path, seconds: float = 10) -> None:
    """Move a file's mtime forward, as a copy or an edit would."""
    st = os.stat(path)
    os.utime(path, ns=(st.st_atime_ns, st.st_mtime_ns + int(seconds * 1e9)))


VCD_SECTIONS = [
    {
        "class": "vami",
        "instance": "VMware_vCloud_Director",
        "info": "VAMI network settings",
        "properties": [
            {"key": "ip0", "label": "IP address of the HTTP interface"},
            {"key": "netmask0", "value": "255.255.255.0", "label": "Netmask"},
            {"key": "ip1", "label": "IP address of the console proxy interface"},
            {"key": "DNS", "label": "DNS servers"},
        ],
    }
]
VCD_PROPERTIES = [
    {"key": "vcd.db.password", "password": True, "label": "Database password"},
    {"key": "expire_root_password", "type": "boolean", "value": "True", "label": "Expire the root password"},
    {"key": "appliance.build", "value": "fixed", "userConfigurable": False, "label": "Build"},
]


# --- a whole repository: 50 good OVAs, one of each kind of broken file, an OVF folder, an upgrade ---

PRODUCTS = {  # product type code → (directory, product name, major.minor)
    "VCD": ("vcd", "VMware Cloud Director", "10.5"),
    "USAGE_METER": ("usage_meter", "vCloud Usage Meter", "4.8"),
    "VROPS_TENANT_APP": ("vrops_tenant_app", "vRealize Operations Tenant App", "8.12"),
    "RABBITMQ": ("rabbitmq", "RabbitMQ", "3.8"),
    "OVA_APPLIANCE": ("ova_appliance", "Tiny Appliance", "1.0"),
}
GOOD_PER_TYPE = 10


def good_ova_write(root: Path, code: str, patch: int, **changes) -> Path:
    directory, product, major_minor = PRODUCTS[code]
    name = f"{directory}-{major_minor}.{patch}"
    kwargs = dict(
        name=name,
        product=product,
        vendor="VMware, Inc.",
        version=f"{major_minor}.{patch}",
        build_number=str(20_000_000 + patch),
    )
    if code == "VCD":
        kwargs.update(
            networks=["Network 1", "Network 2"],
            sections=VCD_SECTIONS,
            properties=VCD_PROPERTIES,
            deployment_options=[
                {"id": "primary-small", "label": "Primary (small)"},
                {"id": "primary-large", "label": "Primary (large)"},
                {"id": "cell", "label": "Cell"},
            ],
        )
    kwargs.update(changes)
    return ova_write(root / directory / f"{name}.ova", **kwargs)


def repository_fill(root: Path) -> dict:
    """Fill `root` (its product directories exist) and return what a scan must find.

    {"good": [paths], "broken": {path: a piece of the problem}, "ovf": path, "upgrade": path,
     "ignored": [paths]} — paths relative to root.
    """
    good = [good_ova_write(root, code, patch) for code in PRODUCTS for patch in range(GOOD_PER_TYPE)]
    vcd = root / "vcd"
    broken = {}

    corrupt = ova_write(vcd / "corrupt.ova", name="corrupt", version="10.5.90")
    flip_byte(corrupt, "corrupt-disk1.vmdk", 1000)
    broken["vcd/corrupt.ova"] = "manifest: SHA256 of corrupt-disk1.vmdk does not match (expected "

    truncated = ova_write(vcd / "truncated.ova", name="truncated", version="10.5.91", disk_size=64 * 1024)
    truncate(truncated, truncated.stat().st_size // 2)
    broken["vcd/truncated.ova"] = "the OVA is truncated: it ends inside truncated-disk1.vmdk"

    ova_write(vcd / "wrong-manifest.ova", name="wrong", version="10.5.92", wrong={"wrong.ovf": "0" * 64})
    broken["vcd/wrong-manifest.ova"] = f"manifest: SHA256 of wrong.ovf does not match (expected {'0' * 64}, found "

    (vcd / "not-a-tar.ova").write_text("this is a text file someone named .ova\n" * 40)
    broken["vcd/not-a-tar.ova"] = "not a tar archive (an OVA is one)"

    ova_write(vcd / "bad-xml.ova", name="badxml", descriptor_bytes=b"<?xml version='1.0'?><Envelope><Broken>")
    broken["vcd/bad-xml.ova"] = "badxml.ovf is not well-formed XML"

    ova_write(vcd / "missing-entry.ova", name="missing", version="10.5.93", omit=("missing-disk1.vmdk",))
    broken["vcd/missing-entry.ova"] = "manifest: missing-disk1.vmdk is in the OVA but not in the manifest"

    ova_write(
        vcd / "no-vm.ova",
        name="novm",
        descriptor_bytes=(b'<Envelope xmlns="http://schemas.dmtf.org/ovf/envelope/1"><References/></Envelope>'),
    )
    broken["vcd/no-vm.ova"] = "describes no virtual machine (no VirtualSystem element)"

    ovf = ovf_folder_write(
        vcd / "VMware_Cloud_Director-10.6.0",
        name="vcd-10.6.0",
        product="VMware Cloud Director",
        version="10.6.0",
        build_number="24000000",
        networks=["Network 1", "Network 2"],
    )
    ovf_folder_write(root / "usage_meter" / "um-4.9.0", name="um", version="4.9.0", missing=("um-disk1.vmdk",))
    broken["usage_meter/um-4.9.0/um.ovf"] = "manifest: um-disk1.vmdk is listed but missing from the folder of um.ovf"

    upgrades = vcd / "upgrades"
    upgrades.mkdir()
    upgrade = upgrades / "VMware_Cloud_Director_10.5.1.1234-upgrade.tar.gz"
    upgrade.write_bytes(disk_bytes(100_000, "upgrade"))
    (upgrades / "README.txt").write_text("upgrade packages go here\n")
    (vcd / "notes.txt").write_text("notes\n")
    return {
        "good": [p.relative_to(root).as_posix() for p in good],
        "broken": broken,
        "ovf": ovf.relative_to(root).as_posix(),
        "upgrade": upgrade.relative_to(root).as_posix(),
        "ignored": ["vcd/notes.txt", "vcd/upgrades/README.txt"],
    }


def envelope(body: str, *, sections: str = "", top: str = "") -> bytes:
    """A minimal descriptor: one VirtualSystem holding `body` (with a ProductSection unless it has one); `top`
    goes before it (References, DiskSection …)."""
    if "ProductSection" not in body:
        body = "<ProductSection><Info>p</Info><Product>P</Product><Version>1.0</Version></ProductSection>" + body
    return f"""<?xml version="1.0" encoding="UTF-8"?>
<Envelope xmlns="http://schemas.dmtf.org/ovf/envelope/1" xmlns:ovf="http://schemas.dmtf.org/ovf/envelope/1"
          xmlns:vmw="http://www.vmware.com/schema/ovf">
  {top}
  <VirtualSystem ovf:id="vm">
    <Info>vm</Info>
    {body}
  </VirtualSystem>
  {sections}
</Envelope>""".encode()

"""An OVF 1.x descriptor, parsed with ElementTree: product, version and build, deployment options,
networks, disks, file references and properties (with their ``ovf:password`` flag)."""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET
from dataclasses import dataclass, field
from pathlib import PurePosixPath

from products.ovf.errors import OvfError

NS = {
    "ovf": "http://schemas.dmtf.org/ovf/envelope/1",
    "rasd": "http://schemas.dmtf.org/wbem/wscim/1/cim-schema/2/CIM_ResourceAllocationSettingData",
    "vssd": "http://schemas.dmtf.org/wbem/wscim/1/cim-schema/2/CIM_VirtualSystemSettingData",
    "vmw": "http://www.vmware.com/schema/ovf",
}
OVF = f"{{{NS['ovf']}}}"


@dataclass
class Descriptor:
    """What an OVF descriptor declares (lists hold JSON-ready dicts with the API's camelCase keys)."""

    product_name: str = ""
    vendor: str = ""
    version: str = ""
    full_version: str = ""
    build: str = ""
    virtual_systems: list[str] = field(default_factory=list)
    deployment_options: list[dict] = field(default_factory=list)
    networks: list[dict] = field(default_factory=list)
    disks: list[dict] = field(default_factory=list)
    references: list[dict] = field(default_factory=list)
    properties: list[dict] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)


def _attr(element: ET.Element, name: str, default: str = "") -> str:
    """An ovf: attribute; descriptors written by hand sometimes leave the prefix off."""
    value = element.get(OVF + name)
    if value is None:
        value = element.get(name)
    return default if value is None else value


def _text(element: ET.Element, child: str) -> str:
    found = element.find(OVF + child)
    return (found.text or "").strip() if found is not None else ""


def _flag(value: str) -> bool:
    return value.strip().lower() in ("true", "1")


def _int(value: str) -> int | None:
    try:
        return int(value.strip())
    except (ValueError, AttributeError):
        return None


_UNIT = re.compile(r"^byte(?:\s*\*\s*(\d+)\s*\^\s*(\d+))?$", re.IGNORECASE)
_UNIT_NAMES = {
    "b": 1,
    "kb": 2**10,
    "kib": 2**10,
    "mb": 2**20,
    "mib": 2**20,
    "gb": 2**30,
    "gib": 2**30,
    "tb": 2**40,
    "tib": 2**40,
}


def allocation_unit_bytes(units: str) -> int | None:
    """How many bytes one unit is: "byte" → 1, "byte * 2^30" → 1 GiB (DMTF DSP0004); None if not understood."""
    text = units.strip() or "byte"
    match = _UNIT.match(text)
    if match:
        base, exponent = match.groups()
        return int(base) ** int(exponent) if base else 1
    return _UNIT_NAMES.get(text.lower().replace(" ", ""))


def full_key(class_id: str, key: str, instance: str) -> str:
    """The key vCenter uses for a property: class.key.instance, empty parts left out."""
    return ".".join(part for part in (class_id, key, instance) if part)


def build_from(version: str, full_version: str) -> str:
    """The build number from FullVersion: "10.5.1.22346795" or "10.5.1 build 22346795" → "22346795"."""
    full = full_version.strip()
    if not full or full == version:
        return ""
    match = re.search(r"build[\s:_-]*(\d+)", full, re.IGNORECASE)
    if match:
        return match.group(1)
    if version and full.startswith(version):
        rest = full[len(version) :].lstrip(".-_ ")
        if rest:
            return rest
    match = re.search(r"[.-](\d{4,})$", full)
    return match.group(1) if match else full


def _section_properties(section: ET.Element, descriptor: Descriptor) -> None:
    class_id, instance = _attr(section, "class"), _attr(section, "instance")
    category = ""
    for child in section:
        if child.tag == OVF + "Category":
            category = (child.text or "").strip()
        elif child.tag == OVF + "Property":
            key = _attr(child, "key")
            if not key:
                descriptor.warnings.append("a Property without ovf:key was ignored")
                continue
            values = {}
            for value in child.findall(OVF + "Value"):
                configuration = _attr(value, "configuration")
                if configuration:
                    values[configuration] = _attr(value, "value")
            descriptor.properties.append(
                {
                    "key": full_key(class_id, key, instance),
                    "classId": class_id,
                    "id": key,
                    "instance": instance,
                    "type": _attr(child, "type", "string"),
                    "qualifiers": _attr(child, "qualifiers"),
                    "defaultValue": _attr(child, "value"),
                    "userConfigurable": _flag(_attr(child, "userConfigurable", "false")),
                    "password": _flag(_attr(child, "password", "false")),
                    "label": _text(child, "Label"),
                    "description": _text(child, "Description"),
                    "category": category,
                    "valuesByDeploymentOption": values,
                }
            )


def href_problem(href: str) -> str | None:
    if "://" in href:
        return f"descriptor: {href} is referenced by URL; only files inside the package are supported"
    path = PurePosixPath(href)
    if path.is_absolute() or ".." in path.parts or "\\" in href:
        return f"descriptor: the file reference {href!r} points outside the package"
    return None


def descriptor_parse(data: bytes, *, name: str = "the descriptor") -> Descriptor:
    """Parse an OVF 1.x descriptor. Raises OvfError when it is not one (bad XML, no VirtualSystem)."""
    try:
        root = ET.fromstring(data)
    except ET.ParseError as exc:
        raise OvfError(f"{name} is not well-formed XML: {exc}") from None
    if root.tag != OVF + "Envelope":
        if root.tag.endswith("}Envelope") or root.tag == "Envelope":
            namespace = root.tag[1:].split("}")[0] if root.tag.startswith("{") else "none"
            raise OvfError(f"{name} is not an OVF 1.x descriptor (its Envelope's namespace is {namespace})")
        raise OvfError(f"{name} is not an OVF descriptor (its root element is <{root.tag.split('}')[-1]}>)")
    systems = list(root.iter(OVF + "VirtualSystem"))
    if not systems:
        raise OvfError(f"{name} describes no virtual machine (no VirtualSystem element)")
    d = Descriptor(virtual_systems=[_attr(s, "id") for s in systems])

    sections = list(root.iter(OVF + "ProductSection"))
    main = next((s for s in sections if _text(s, "Version") and _text(s, "Product")), None) or next(
        (s for s in sections if _text(s, "Version")), None
    )
    if main is not None:
        d.product_name, d.vendor = _text(main, "Product"), _text(main, "Vendor")
        d.version, d.full_version = _text(main, "Version"), _text(main, "FullVersion")
        d.build = build_from(d.version, d.full_version)
    else:
        d.warnings.append("no ProductSection names a version: this file cannot be chosen by version")
    for section in sections:
        _section_properties(section, d)
    keys = [p["key"] for p in d.properties]
    for key in sorted({k for k in keys if keys.count(k) > 1}):
        d.warnings.append(f"the property {key} is declared more than once")

    for section in root.iter(OVF + "DeploymentOptionSection"):
        for option in section.findall(OVF + "Configuration"):
            d.deployment_options.append(
                {
                    "id": _attr(option, "id"),
                    "label": _text(option, "Label"),
                    "description": _text(option, "Description"),
                    "default": _flag(_attr(option, "default", "false")),
                }
            )
    if d.deployment_options and not any(o["default"] for o in d.deployment_options):
        d.deployment_options[0]["default"] = True  # the OVF standard: the first one, when none is marked

    for section in root.iter(OVF + "NetworkSection"):
        for network in section.findall(OVF + "Network"):
            d.networks.append({"name": _attr(network, "name"), "description": _text(network, "Description")})

    references = root.find(OVF + "References")
    for item in references.findall(OVF + "File") if references is not None else []:
        href = _attr(item, "href")
        d.references.append(
            {
                "id": _attr(item, "id"),
                "href": href,
                "size": _int(_attr(item, "size")),
                "compression": _attr(item, "compression"),
                "chunkSize": _int(_attr(item, "chunkSize")),
            }
        )
        problem = href_problem(href) if href else f"descriptor: the file {_attr(item, 'id')!r} has no ovf:href"
        if problem:
            d.problems.append(problem)
    file_ids = {r["id"] for r in d.references}

    for section in root.iter(OVF + "DiskSection"):
        for disk in section.findall(OVF + "Disk"):
            disk_id, file_ref = _attr(disk, "diskId"), _attr(disk, "fileRef")
            units = _attr(disk, "capacityAllocationUnits", "byte")
            capacity, unit = _int(_attr(disk, "capacity")), allocation_unit_bytes(units)
            if capacity is not None and unit is None:
                d.warnings.append(f"disk {disk_id}: the capacity unit {units!r} is not understood")
            d.disks.append(
                {
                    "diskId": disk_id,
                    "fileRef": file_ref,
                    "capacity": _attr(disk, "capacity"),
                    "capacityAllocationUnits": units,
                    "capacityBytes": capacity * unit if capacity is not None and unit is not None else None,
                    "populatedSize": _int(_attr(disk, "populatedSize")),
                    "format": _attr(disk, "format"),
                }
            )
            if file_ref and file_ref not in file_ids:
                d.problems.append(
                    f"descriptor: disk {disk_id} refers to the file {file_ref!r}, which References does not list"
                )
    return d

"""Reading OVF packages — an OVA (a tar) or a descriptor with its files beside it — and upgrade packages.

Pure Python, no Django. Nothing is extracted: the descriptor is parsed with ElementTree, the disks only
stream through hash functions 1 MiB at a time to check the manifest. A file that cannot be used at all
raises ``OvfError``; what makes a readable package unusable (a digest that does not match, a file
missing) is listed in ``Package.problems``, and what only deserves a look in ``Package.warnings``.
"""
from __future__ import annotations

import hashlib
import os
import re
import tarfile
import xml.etree.ElementTree as ET
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath

from lifecycle.errors import ApplicationError

NS = {
    "ovf": "http://schemas.dmtf.org/ovf/envelope/1",
    "rasd": "http://schemas.dmtf.org/wbem/wscim/1/cim-schema/2/CIM_ResourceAllocationSettingData",
    "vssd": "http://schemas.dmtf.org/wbem/wscim/1/cim-schema/2/CIM_VirtualSystemSettingData",
    "vmw": "http://www.vmware.com/schema/ovf",
}
OVF = f"{{{NS['ovf']}}}"
CHUNK = 1 << 20
DESCRIPTOR_LIMIT = 32 << 20  # a descriptor is text; anything larger is not one
MANIFEST_LIMIT = 4 << 20
UPGRADE_SUFFIXES = (".iso", ".tar.gz", ".tgz", ".pak", ".zip")
# Manifest algorithm → hashlib name (ovftool writes SHA1 or SHA256, and can write SHA512).
ALGORITHMS = {"SHA1": "sha1", "SHA256": "sha256", "SHA512": "sha512"}
MANIFEST_LINE = re.compile(r"^(?P<algorithm>[A-Za-z0-9]+)\s*\((?P<name>.+)\)\s*=\s*(?P<digest>[0-9A-Fa-f]+)$")

Progress = Callable[[int], None]  # called with the bytes read so far, about once per MiB


class OvfError(ApplicationError):
    """The file cannot be used at all: not a tar, truncated, not an OVF descriptor. Says why, plainly."""


# --- the descriptor ---


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
_UNIT_NAMES = {"b": 1, "kb": 2**10, "kib": 2**10, "mb": 2**20, "mib": 2**20, "gb": 2**30, "gib": 2**30,
               "tb": 2**40, "tib": 2**40}


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
        rest = full[len(version):].lstrip(".-_ ")
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
            descriptor.properties.append({
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
            })


def _href_problem(href: str) -> str | None:
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
    main = (next((s for s in sections if _text(s, "Version") and _text(s, "Product")), None)
            or next((s for s in sections if _text(s, "Version")), None))
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
            d.deployment_options.append({
                "id": _attr(option, "id"),
                "label": _text(option, "Label"),
                "description": _text(option, "Description"),
                "default": _flag(_attr(option, "default", "false")),
            })
    if d.deployment_options and not any(o["default"] for o in d.deployment_options):
        d.deployment_options[0]["default"] = True  # the OVF standard: the first one, when none is marked

    for section in root.iter(OVF + "NetworkSection"):
        for network in section.findall(OVF + "Network"):
            d.networks.append({"name": _attr(network, "name"), "description": _text(network, "Description")})

    references = root.find(OVF + "References")
    for item in references.findall(OVF + "File") if references is not None else []:
        href = _attr(item, "href")
        d.references.append({"id": _attr(item, "id"), "href": href, "size": _int(_attr(item, "size")),
                             "compression": _attr(item, "compression"), "chunkSize": _int(_attr(item, "chunkSize"))})
        problem = _href_problem(href) if href else f"descriptor: the file {_attr(item, 'id')!r} has no ovf:href"
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
            d.disks.append({
                "diskId": disk_id,
                "fileRef": file_ref,
                "capacity": _attr(disk, "capacity"),
                "capacityAllocationUnits": units,
                "capacityBytes": capacity * unit if capacity is not None and unit is not None else None,
                "populatedSize": _int(_attr(disk, "populatedSize")),
                "format": _attr(disk, "format"),
            })
            if file_ref and file_ref not in file_ids:
                d.problems.append(f"descriptor: disk {disk_id} refers to the file {file_ref!r}, which References does not list")
    return d


# --- the manifest ---


@dataclass(frozen=True)
class ManifestEntry:
    algorithm: str  # SHA256
    name: str
    digest: str  # lower-case hex


def manifest_parse(text: str, *, name: str = "manifest") -> list[ManifestEntry]:
    """`SHA256(disk1.vmdk)= 9f…` lines. Raises OvfError naming the first line it cannot read."""
    entries = []
    for number, line in enumerate(text.splitlines(), start=1):
        line = line.strip()
        if not line:
            continue
        match = MANIFEST_LINE.match(line)
        if not match:
            shown = line if len(line) <= 80 else line[:77] + "…"
            raise OvfError(f"manifest: line {number} of {name} is not 'SHA256(file)= digest': {shown!r}")
        algorithm = match["algorithm"].upper()
        if algorithm not in ALGORITHMS:
            raise OvfError(f"manifest: line {number} of {name} uses {match['algorithm']}; only SHA1, SHA256 and SHA512 are known")
        digest = match["digest"].lower()
        expected_length = hashlib.new(ALGORITHMS[algorithm]).digest_size * 2
        if len(digest) != expected_length:
            raise OvfError(f"manifest: line {number} of {name} has a {algorithm} digest of {len(digest)} hex digits, "
                           f"not {expected_length}")
        entries.append(ManifestEntry(algorithm, match["name"].strip(), digest))
    return entries


def _manifest_read(data: bytes, name: str) -> list[ManifestEntry]:
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise OvfError(f"manifest: {name} is not text") from None
    return manifest_parse(text, name=name)


# --- the package ---


@dataclass
class Package:
    """An OVA or a descriptor with its files, as read: the descriptor, and whether the files match it."""

    kind: str  # "OVA" or "OVF"
    descriptor_name: str
    descriptor_text: str
    descriptor: Descriptor
    manifest_name: str = ""
    manifest_verified: bool = False
    problems: list[str] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    sha256: str = ""  # of the whole OVA; of the .ovf for a descriptor with files beside it
    size: int = 0  # bytes of all files of the package
    bytes_read: int = 0
    # The files of a descriptor with its files beside it, relative to its folder (its .ovf first).
    files: list[str] = field(default_factory=list)

    @property
    def usable(self) -> bool:
        return not self.problems


class _Digests:
    """Hashes a file's bytes with the algorithms its manifest line needs (all, while that is unknown)."""

    def __init__(self, algorithms):
        self.hashes = {a: hashlib.new(ALGORITHMS[a]) for a in algorithms}

    def update(self, data: bytes) -> None:
        for h in self.hashes.values():
            h.update(data)

    def hexdigests(self) -> dict[str, str]:
        return {a: h.hexdigest() for a, h in self.hashes.items()}


def _verify(package: Package, manifest: list[ManifestEntry] | None, digests: dict[str, dict[str, str]],
            present: set[str], *, container: str, unlisted_ok: set[str]) -> None:
    """Compare every manifest line with the digests found; record what does not match."""
    if manifest is None:
        return
    before = len(package.problems)
    listed = set()
    for entry in manifest:
        listed.add(entry.name)
        if entry.name not in present:
            package.problems.append(f"manifest: {entry.name} is listed but missing from {container}")
            continue
        found = digests.get(entry.name, {}).get(entry.algorithm)
        if found is None:
            package.problems.append(f"manifest: {entry.algorithm} of {entry.name} could not be computed "
                                    "(the manifest comes after it in the OVA)")
        elif found != entry.digest:
            package.problems.append(f"manifest: {entry.algorithm} of {entry.name} does not match "
                                    f"(expected {entry.digest}, found {found})")
    for name in sorted(present - listed - unlisted_ok):
        package.problems.append(f"manifest: {name} is in {container} but not in the manifest")
    package.manifest_verified = len(package.problems) == before


def _references_check(package: Package, sizes: dict[str, int], *, container: str) -> None:
    for reference in package.descriptor.references:
        href = reference["href"]
        if not href or _href_problem(href):
            continue
        if href not in sizes:
            package.problems.append(f"descriptor: {href} (file {reference['id']}) is referenced but missing from {container}")
        elif reference["size"] is not None and reference["size"] != sizes[href]:
            package.problems.append(f"descriptor: {href} is {sizes[href]} bytes, the descriptor says {reference['size']}")


class _CountingReader:
    """The raw OVA as the tar reader sees it: every byte read also goes into the whole-file SHA-256."""

    def __init__(self, raw, progress: Progress | None):
        self.raw = raw
        self.sha256 = hashlib.sha256()
        self.bytes_read = 0
        self.progress = progress
        self._reported = 0

    def read(self, size: int = -1) -> bytes:
        data = self.raw.read(size)
        self.sha256.update(data)
        self.bytes_read += len(data)
        if self.progress and self.bytes_read - self._reported >= CHUNK:
            self._reported = self.bytes_read
            self.progress(self.bytes_read)
        return data


def _member_name(name: str) -> str:
    while name.startswith("./"):
        name = name[2:]
    return name


def _read_limited(stream, size: int, limit: int, what: str) -> bytes:
    """A descriptor or manifest whole (they are small); `size` is what the tar or the file system says."""
    if size > limit:
        raise OvfError(f"{what} is larger than {limit >> 20} MiB; it cannot be a descriptor or manifest")
    return stream.read(size)


def ova_read(path: str | os.PathLike, *, progress: Progress | None = None) -> Package:
    """Read an OVA in one streaming pass: parse its descriptor, check its manifest and References.

    Raises OvfError when the file is not a usable tar or has no readable OVF descriptor.
    """
    path = Path(path)
    with open(path, "rb") as raw:
        head = raw.read(2)
        if head == b"\x1f\x8b":
            raise OvfError("the file is compressed with gzip; an OVA is an uncompressed tar archive")
        raw.seek(0)
        reader = _CountingReader(raw, progress)
        package, last_offset = _ova_stream(reader)
        while reader.read(CHUNK):  # the end-of-archive blocks: part of the whole-file checksum
            pass
        package.sha256 = reader.sha256.hexdigest()
        package.bytes_read = reader.bytes_read
        package.size = reader.bytes_read
        # tarfile quietly stops at a damaged header; what follows the last member must be padding.
        raw.seek(last_offset)
        tail = raw.read(CHUNK)
        if tail.strip(b"\0"):
            package.problems.append(f"the tar archive is damaged at byte {last_offset}: what follows the last readable "
                                    "member is not a tar header")
        elif len(tail) < 2 * tarfile.BLOCKSIZE:
            package.warnings.append("the tar archive has no end-of-archive marker; it may have been cut short")
    return package


def _ova_stream(reader: _CountingReader) -> tuple[Package, int]:
    try:
        tar = tarfile.open(fileobj=reader, mode="r|", bufsize=CHUNK)  # type: ignore[call-overload]  # "r|" only reads
    except tarfile.ReadError as exc:
        if str(exc) == "empty file":
            raise OvfError("the file is empty") from None
        raise OvfError(f"not a tar archive (an OVA is one): {exc}") from None
    descriptor_name, descriptor_text, descriptor = "", "", None
    manifest_name, manifest, manifest_problem = "", None, ""
    digests: dict[str, dict[str, str]] = {}
    sizes: dict[str, int] = {}
    warnings: list[str] = []
    signed = ""
    current, position = "", 0
    try:
        for member in tar:
            name = _member_name(member.name)
            if not member.isfile():
                if not member.isdir():
                    warnings.append(f"{name} in the OVA is not a regular file and was ignored")
                continue
            current, position = name, position + 1
            if name in sizes:
                warnings.append(f"{name} appears more than once in the OVA; the first copy was checked")
                continue
            sizes[name] = member.size
            stream = tar.extractfile(member)
            lower = name.lower()
            if lower.endswith(".ovf") and descriptor is None:
                if position != 1:
                    warnings.append(f"the descriptor {name} is member {position} of the OVA, not the first as the "
                                    "OVF standard requires; vSphere may refuse to import it")
                data = _read_limited(stream, member.size, DESCRIPTOR_LIMIT, name)
                digests[name] = {a: hashlib.new(h, data).hexdigest() for a, h in ALGORITHMS.items()}
                descriptor = descriptor_parse(data, name=name)
                descriptor_name, descriptor_text = name, data.decode("utf-8", errors="replace")
            elif lower.endswith(".mf") and not manifest_name:
                manifest_name = name
                data = _read_limited(stream, member.size, MANIFEST_LIMIT, name)
                try:
                    manifest = _manifest_read(data, name)
                except OvfError as exc:
                    manifest_problem = exc.message
            else:
                if lower.endswith(".cert") and not signed:
                    signed = name
                needed = {e.algorithm for e in manifest if e.name == name} if manifest is not None else ALGORITHMS
                hashes = _Digests(needed)
                while True:
                    block = stream.read(CHUNK)
                    if not block:
                        break
                    hashes.update(block)
                digests[name] = hashes.hexdigests()
    except tarfile.ReadError as exc:
        if str(exc) == "unexpected end of data" and current:
            raise OvfError(f"the OVA is truncated: it ends inside {current} (member {position})") from None
        raise OvfError(f"the OVA is not a valid tar archive after {current or 'its start'}: {exc}") from None
    except (tarfile.TarError, EOFError) as exc:
        raise OvfError(f"the OVA is not a valid tar archive after {current or 'its start'}: {exc}") from None
    last_offset = tar.offset
    if descriptor is None:
        raise OvfError("the OVA holds no OVF descriptor (.ovf)")
    package = Package(kind="OVA", descriptor_name=descriptor_name, descriptor_text=descriptor_text,
                      descriptor=descriptor, manifest_name=manifest_name)
    package.problems.extend(descriptor.problems)
    package.warnings.extend(descriptor.warnings + warnings)
    if manifest_problem:
        package.problems.append(manifest_problem)
    elif manifest is None:
        package.warnings.append("the OVA has no manifest (.mf): its files cannot be verified")
    else:
        _verify(package, manifest, digests, set(sizes), container="the OVA",
                unlisted_ok={manifest_name} | ({signed} if signed else set()))
    _references_check(package, sizes, container="the OVA")
    referenced = {r["href"] for r in descriptor.references}
    for name in sorted(set(sizes) - referenced - {descriptor_name, manifest_name, signed}):
        package.warnings.append(f"{name} is in the OVA but the descriptor does not refer to it")
    return package, last_offset


def _file_digests(path: Path, algorithms, progress: Callable[[int], None] | None) -> tuple[dict[str, str], int]:
    hashes, count = _Digests(algorithms), 0
    with open(path, "rb") as f:
        while True:
            block = f.read(CHUNK)
            if not block:
                break
            hashes.update(block)
            count += len(block)
            if progress:
                progress(len(block))
    return hashes.hexdigests(), count


def ovf_read(path: str | os.PathLike, *, progress: Progress | None = None) -> Package:
    """Read a descriptor with its files beside it (NAME.ovf, NAME.mf, the referenced disks).

    Raises OvfError when the descriptor cannot be read or is not an OVF descriptor.
    """
    path = Path(path)
    folder = path.parent
    try:
        with open(path, "rb") as f:
            data = _read_limited(f, os.fstat(f.fileno()).st_size, DESCRIPTOR_LIMIT, path.name)
    except OSError as exc:
        raise OvfError(f"{path.name} cannot be read: {exc.strerror or exc}") from None
    descriptor = descriptor_parse(data, name=path.name)
    package = Package(kind="OVF", descriptor_name=path.name, descriptor_text=data.decode("utf-8", errors="replace"),
                      descriptor=descriptor, sha256=hashlib.sha256(data).hexdigest(), files=[path.name])
    package.problems.extend(descriptor.problems)
    package.warnings.extend(descriptor.warnings)
    total = [len(data)]

    def counted(n: int) -> None:
        total[0] += n
        if progress:
            progress(total[0])

    manifest, manifest_path = None, path.with_suffix(".mf")
    if manifest_path.is_file():
        package.manifest_name = manifest_path.name
        package.files.append(manifest_path.name)
        try:
            with open(manifest_path, "rb") as f:
                data_mf = _read_limited(f, os.fstat(f.fileno()).st_size, MANIFEST_LIMIT, manifest_path.name)
                manifest = _manifest_read(data_mf, manifest_path.name)
        except OvfError as exc:
            package.problems.append(exc.message)
        except OSError as exc:
            package.problems.append(f"manifest: {manifest_path.name} cannot be read: {exc.strerror or exc}")
    else:
        package.warnings.append(f"no manifest ({manifest_path.name}) beside the descriptor: its files cannot be verified")

    names = [r["href"] for r in descriptor.references if r["href"] and not _href_problem(r["href"])]
    if manifest is not None:
        names += [e.name for e in manifest if not _href_problem(e.name)]
    sizes: dict[str, int] = {path.name: len(data)}
    digests: dict[str, dict[str, str]] = {
        path.name: {a: hashlib.new(h, data).hexdigest() for a, h in ALGORITHMS.items()}}
    for name in dict.fromkeys(names):  # in order, once each
        if name == path.name:
            continue
        if name not in package.files:
            package.files.append(name)
        file_path = folder / name
        try:
            sizes[name] = file_path.stat().st_size
        except OSError:
            continue  # reported below as missing
        if not file_path.is_file():
            del sizes[name]
            continue
        needed = {e.algorithm for e in manifest or [] if e.name == name}
        if needed:
            try:
                digests[name], _ = _file_digests(file_path, needed, counted)
            except OSError as exc:
                package.problems.append(f"{name} cannot be read: {exc.strerror or exc}")
    package.bytes_read = total[0]
    package.size = sum(sizes.values()) + (manifest_path.stat().st_size if manifest is not None else 0)
    if manifest is not None:
        _verify(package, manifest, digests, set(sizes), container=f"the folder of {path.name}", unlisted_ok=set())
    _references_check(package, sizes, container=f"the folder of {path.name}")
    return package


# --- upgrade packages ---


@dataclass
class Upgrade:
    size: int
    sha256: str
    version: str
    build: str
    bytes_read: int


def is_upgrade_name(name: str) -> bool:
    return name.lower().endswith(UPGRADE_SUFFIXES)


def version_from_name(name: str) -> tuple[str, str]:
    """(version, build) from a file name: "VMware_Cloud_Director_10.5.1.1234-upgrade.tar.gz" → ("10.5.1", "1234").

    Versions have three parts; a fourth dotted part is the build, unless a build follows after a dash
    ("…_10.5.1.10593-22821417_…" → ("10.5.1", "22821417")). ("", "") when the name has no version.
    """
    stem = name
    for suffix in UPGRADE_SUFFIXES:
        if stem.lower().endswith(suffix):
            stem = stem[: -len(suffix)]
            break
    match = re.search(r"(\d+(?:\.\d+)+)(?:[-_]?(?:build)?[-_]?(\d{3,}))?", stem, re.IGNORECASE)
    if not match:
        return "", ""
    parts = match.group(1).split(".")
    version = ".".join(parts[:3])
    build = match.group(2) or (parts[3] if len(parts) > 3 else "")
    return version, build


def upgrade_read(path: str | os.PathLike, *, progress: Progress | None = None) -> Upgrade:
    """An upgrade package: its size, SHA-256, and the version and build its name carries."""
    path = Path(path)
    done = [0]

    def counted(n: int) -> None:
        done[0] += n
        if progress:
            progress(done[0])

    digests, count = _file_digests(path, ["SHA256"], counted)
    version, build = version_from_name(path.name)
    return Upgrade(size=count, sha256=digests["SHA256"], version=version, build=build, bytes_read=count)

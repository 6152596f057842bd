"""Reading an OVF package: an OVA (a tar, read in one streaming pass) or a descriptor with its files beside
it. Nothing is extracted; the disks only stream through hash functions to check the manifest.

A file that cannot be used at all raises ``OvfError``; what makes a readable package unusable (a digest
that does not match, a file missing) is listed in ``Package.problems``, and what only deserves a look in
``Package.warnings``.
"""

from __future__ import annotations

import hashlib
import os
import tarfile
from dataclasses import dataclass, field
from pathlib import Path

from products.ovf.descriptor import Descriptor, descriptor_parse, href_problem
from products.ovf.digests import ALGORITHMS, CHUNK, Digests, Progress, file_digests
from products.ovf.errors import OvfError
from products.ovf.manifest import manifest_read, manifest_verify

DESCRIPTOR_LIMIT = 32 << 20  # a descriptor is text; anything larger is not one
MANIFEST_LIMIT = 4 << 20


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


def _manifest_check(package: Package, problems: list[str]) -> None:
    package.problems.extend(problems)
    package.manifest_verified = not problems


def _references_check(package: Package, sizes: dict[str, int], *, container: str) -> None:
    for reference in package.descriptor.references:
        href = reference["href"]
        if not href or href_problem(href):
            continue
        if href not in sizes:
            package.problems.append(
                f"descriptor: {href} (file {reference['id']}) is referenced but missing from {container}"
            )
        elif reference["size"] is not None and reference["size"] != sizes[href]:
            package.problems.append(
                f"descriptor: {href} is {sizes[href]} bytes, the descriptor says {reference['size']}"
            )


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
            package.problems.append(
                f"the tar archive is damaged at byte {last_offset}: what follows the last readable "
                "member is not a tar header"
            )
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
                    warnings.append(
                        f"the descriptor {name} is member {position} of the OVA, not the first as the "
                        "OVF standard requires; vSphere may refuse to import it"
                    )
                data = _read_limited(stream, member.size, DESCRIPTOR_LIMIT, name)
                digests[name] = {a: hashlib.new(h, data).hexdigest() for a, h in ALGORITHMS.items()}
                descriptor = descriptor_parse(data, name=name)
                descriptor_name, descriptor_text = name, data.decode("utf-8", errors="replace")
            elif lower.endswith(".mf") and not manifest_name:
                manifest_name = name
                data = _read_limited(stream, member.size, MANIFEST_LIMIT, name)
                try:
                    manifest = manifest_read(data, name)
                except OvfError as exc:
                    manifest_problem = exc.message
            else:
                if lower.endswith(".cert") and not signed:
                    signed = name
                needed = {e.algorithm for e in manifest if e.name == name} if manifest is not None else ALGORITHMS
                hashes = Digests(needed)
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
    package = Package(
        kind="OVA",
        descriptor_name=descriptor_name,
        descriptor_text=descriptor_text,
        descriptor=descriptor,
        manifest_name=manifest_name,
    )
    package.problems.extend(descriptor.problems)
    package.warnings.extend(descriptor.warnings + warnings)
    if manifest_problem:
        package.problems.append(manifest_problem)
    elif manifest is None:
        package.warnings.append("the OVA has no manifest (.mf): its files cannot be verified")
    else:
        _manifest_check(
            package,
            manifest_verify(
                manifest,
                digests,
                set(sizes),
                container="the OVA",
                unlisted_ok={manifest_name} | ({signed} if signed else set()),
            ),
        )
    _references_check(package, sizes, container="the OVA")
    referenced = {r["href"] for r in descriptor.references}
    for name in sorted(set(sizes) - referenced - {descriptor_name, manifest_name, signed}):
        package.warnings.append(f"{name} is in the OVA but the descriptor does not refer to it")
    return package, last_offset


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
    package = Package(
        kind="OVF",
        descriptor_name=path.name,
        descriptor_text=data.decode("utf-8", errors="replace"),
        descriptor=descriptor,
        sha256=hashlib.sha256(data).hexdigest(),
        files=[path.name],
    )
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
                manifest = manifest_read(data_mf, manifest_path.name)
        except OvfError as exc:
            package.problems.append(exc.message)
        except OSError as exc:
            package.problems.append(f"manifest: {manifest_path.name} cannot be read: {exc.strerror or exc}")
    else:
        package.warnings.append(
            f"no manifest ({manifest_path.name}) beside the descriptor: its files cannot be verified"
        )

    names = [r["href"] for r in descriptor.references if r["href"] and not href_problem(r["href"])]
    if manifest is not None:
        names += [e.name for e in manifest if not href_problem(e.name)]
    sizes: dict[str, int] = {path.name: len(data)}
    digests: dict[str, dict[str, str]] = {
        path.name: {a: hashlib.new(h, data).hexdigest() for a, h in ALGORITHMS.items()}
    }
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
                digests[name], _ = file_digests(file_path, needed, counted)
            except OSError as exc:
                package.problems.append(f"{name} cannot be read: {exc.strerror or exc}")
    package.bytes_read = total[0]
    package.size = sum(sizes.values()) + (manifest_path.stat().st_size if manifest is not None else 0)
    if manifest is not None:
        _manifest_check(
            package,
            manifest_verify(manifest, digests, set(sizes), container=f"the folder of {path.name}", unlisted_ok=set()),
        )
    _references_check(package, sizes, container=f"the folder of {path.name}")
    return package

"""The manifest (.mf) of a package: its `SHA256(file)= digest` lines, and how the files found compare."""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass

from products.ovf.digests import ALGORITHMS
from products.ovf.errors import OvfError

MANIFEST_LINE = re.compile(r"^(?P<algorithm>[A-Za-z0-9]+)\s*\((?P<name>.+)\)\s*=\s*(?P<digest>[0-9A-Fa-f]+)$")


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
            raise OvfError(
                f"manifest: line {number} of {name} uses {match['algorithm']}; only SHA1, SHA256 and SHA512 are known"
            )
        digest = match["digest"].lower()
        expected_length = hashlib.new(ALGORITHMS[algorithm]).digest_size * 2
        if len(digest) != expected_length:
            raise OvfError(
                f"manifest: line {number} of {name} has a {algorithm} digest of {len(digest)} hex digits, "
                f"not {expected_length}"
            )
        entries.append(ManifestEntry(algorithm, match["name"].strip(), digest))
    return entries


def manifest_read(data: bytes, name: str) -> list[ManifestEntry]:
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise OvfError(f"manifest: {name} is not text") from None
    return manifest_parse(text, name=name)


def manifest_verify(
    manifest: list[ManifestEntry],
    digests: dict[str, dict[str, str]],
    present: set[str],
    *,
    container: str,
    unlisted_ok: set[str],
) -> list[str]:
    """Compare every manifest line with the digests found; the problems, none when the files match it."""
    problems = []
    listed = set()
    for entry in manifest:
        listed.add(entry.name)
        if entry.name not in present:
            problems.append(f"manifest: {entry.name} is listed but missing from {container}")
            continue
        found = digests.get(entry.name, {}).get(entry.algorithm)
        if found is None:
            problems.append(
                f"manifest: {entry.algorithm} of {entry.name} could not be computed "
                "(the manifest comes after it in the OVA)"
            )
        elif found != entry.digest:
            problems.append(
                f"manifest: {entry.algorithm} of {entry.name} does not match (expected {entry.digest}, found {found})"
            )
    for name in sorted(present - listed - unlisted_ok):
        problems.append(f"manifest: {name} is in {container} but not in the manifest")
    return problems

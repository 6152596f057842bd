"""Upgrade packages (an ISO, a tarball, a .pak or a .zip): their size, SHA-256, and the version and build
their name carries."""

from __future__ import annotations

import os
import re
from dataclasses import dataclass
from pathlib import Path

from products.ovf.digests import Progress, file_digests

UPGRADE_SUFFIXES = (".iso", ".tar.gz", ".tgz", ".pak", ".zip")


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

    digests, count = file_digests(path, ["SHA256"], counted)
    version, build = version_from_name(path.name)
    return Upgrade(size=count, sha256=digests["SHA256"], version=version, build=build, bytes_read=count)

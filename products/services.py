"""Changes to the repository of product binaries: the scan, as a task, and the work it does.

The repository is a directory (often an NFS mount, LCM_REPOSITORY_DIR) with one sub-directory per
product type (``vcd/``, ``usage_meter/`` …, the types' ``repository_dir``) holding deployment OVAs,
descriptors with their files, and upgrade packages in ``upgrades/``. A scan never writes there.
"""

from __future__ import annotations

import hashlib
import json
import os
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath

from django.contrib.auth.models import AnonymousUser, User
from django.db import transaction
from django.utils import timezone

from lifecycle.engine.models import Task
from lifecycle.engine.services import task_create
from lifecycle.errors import ApplicationError
from products.models import RepositoryFile
from products.ovf import packages, upgrades
from products.ovf.digests import Progress
from products.ovf.errors import OvfError
from products.types import product_types

# Part of every fingerprint: change it when a scan extracts more or differently, and every file is
# read again on the next scan (a new release never shows stale parsing).
SCAN_FORMAT = "1"
UPGRADES_DIR = "upgrades"
PROGRESS_EVERY = 1.0  # seconds between progress reports inside one large file

Kind = RepositoryFile.Kind
FileStatus = RepositoryFile.FileStatus


def repository_scan(*, user: User | AnonymousUser | None = None) -> Task:
    """Start a scan of the repository. Scans queue behind each other (one target key)."""
    return task_create(
        operation="repository.scan",
        target_type="repository",
        target_name="repository",
        target_key="repository",
        request={},
        user=user,
    )


class RepositoryUnreadable(ApplicationError):
    """The repository directory itself cannot be read: nothing is known, nothing may be changed."""


@dataclass
class Candidate:
    """A file the scan reads: an OVA, a descriptor (with its files) or an upgrade package."""

    path: str  # relative to the repository directory, with "/"
    product_type: str
    kind: str


@dataclass
class Layout:
    """What a walk of the repository found, before any file is read."""

    candidates: list[Candidate] = field(default_factory=list)
    present: list[str] = field(default_factory=list)  # product directories that exist ("vcd/")
    missing: list[str] = field(default_factory=list)  # product directories that do not
    unreadable: dict[str, str] = field(default_factory=dict)  # "vcd/upgrades/" → why
    others: list[str] = field(default_factory=list)  # files that are none of the above (disks, notes …)


@dataclass
class ScanSummary:
    directory: str
    files: int = 0
    usable: int = 0
    broken: int = 0
    unchanged: int = 0
    removed: int = 0
    bytes_read: int = 0
    missing: list[str] = field(default_factory=list)
    unreadable: list[str] = field(default_factory=list)
    ignored: list[str] = field(default_factory=list)

    @property
    def message(self) -> str:
        text = f"{self.files} file{'' if self.files == 1 else 's'}: {self.usable} usable, {self.broken} broken"
        details = []
        if self.unchanged:
            details.append(f"{self.unchanged} unchanged since the last scan")
        if self.removed:
            details.append(f"{self.removed} gone since the last scan")
        if self.missing:
            details.append(f"no directory {', '.join(self.missing)}")
        if self.unreadable:
            details.append(f"could not read {', '.join(self.unreadable)}")
        return text + (f" ({'; '.join(details)})" if details else "")

    def to_dict(self) -> dict:
        return {
            "directory": self.directory,
            "files": self.files,
            "usable": self.usable,
            "broken": self.broken,
            "unchanged": self.unchanged,
            "removed": self.removed,
            "bytesRead": self.bytes_read,
            "missingDirectories": self.missing,
            "unreadableDirectories": self.unreadable,
            "ignoredFiles": self.ignored,
            "message": self.message,
        }


def _hidden(name: str) -> bool:
    return name.startswith(".")  # .nfs… files, editors' and copy tools' temporary files


def repository_walk(*, root: Path) -> Layout:
    """List what the repository holds. Raises RepositoryUnreadable when the root cannot be listed."""
    try:
        with os.scandir(root) as entries:
            top = {e.name for e in entries}
    except OSError as exc:
        raise RepositoryUnreadable(
            f"the repository directory {root} cannot be read: {exc.strerror or exc}; "
            "set LCM_REPOSITORY_DIR to the directory (or mounted share) that holds the "
            "product binaries"
        ) from None
    layout = Layout()
    types = product_types()
    if not any(t.repository_dir in top and (root / t.repository_dir).is_dir() for t in types):
        names = ", ".join(f"{t.repository_dir}/" for t in types)
        raise RepositoryUnreadable(
            f"the repository directory {root} has none of the product directories ({names}); "
            "is the share mounted? Create the directories for the products you keep there"
        )
    for product_type in types:
        base = root / product_type.repository_dir
        label = f"{product_type.repository_dir}/"
        if not base.is_dir():
            layout.missing.append(label)
            continue
        layout.present.append(label)

        def failed(exc: OSError, base=base) -> None:
            where = Path(exc.filename).relative_to(root).as_posix() if exc.filename else base.name
            layout.unreadable[f"{where}/"] = exc.strerror or str(exc)

        for folder, dirs, files in os.walk(base, onerror=failed):
            dirs[:] = sorted(d for d in dirs if not _hidden(d))
            relative = PurePosixPath(Path(folder).relative_to(root).as_posix())
            in_upgrades = len(relative.parts) >= 2 and relative.parts[1] == UPGRADES_DIR
            for name in sorted(f for f in files if not _hidden(f)):
                path = (relative / name).as_posix()
                lower = name.lower()
                if in_upgrades and upgrades.is_upgrade_name(name):
                    kind = Kind.UPGRADE
                elif not in_upgrades and lower.endswith(".ova"):
                    kind = Kind.OVA
                elif not in_upgrades and lower.endswith(".ovf"):
                    kind = Kind.OVF
                else:
                    layout.others.append(path)
                    continue
                layout.candidates.append(Candidate(path, product_type.code, kind))
    return layout


def _fingerprint(root: Path, paths: list[str]) -> str:
    """Size and mtime of each file (absent ones too), with the scan format: the checksum cache key."""
    stats: list[object] = [SCAN_FORMAT]
    for path in paths:
        try:
            st = os.stat(root / path)
            stats.append([path, st.st_size, st.st_mtime_ns])
        except OSError:
            stats.append([path, None])
    return hashlib.sha256(json.dumps(stats).encode()).hexdigest()


def _package_files(candidate: Candidate, row: RepositoryFile | None) -> list[str]:
    if candidate.kind == Kind.OVF:
        return row.files if row is not None and row.files else [candidate.path]
    return [candidate.path]


def _read(root: Path, candidate: Candidate, progress: Progress) -> tuple[dict, int]:
    """(the RepositoryFile fields, bytes read) for one file. A broken file is a result, not an exception."""
    path = root / candidate.path
    st = path.stat()
    values = {
        "product_type": candidate.product_type,
        "kind": candidate.kind,
        "size": st.st_size,
        "mtime": st.st_mtime,
        "fingerprint": _fingerprint(root, [candidate.path]),
        "sha256": "",
        "status": FileStatus.BROKEN,
        "problem": "",
        "warnings": [],
        "manifest_verified": False,
        "product_name": "",
        "vendor": "",
        "version": "",
        "build": "",
        "descriptor": "",
        "deployment_options": [],
        "networks": [],
        "disks": [],
        "references": [],
        "properties": [],
        "files": [],
    }
    try:
        if candidate.kind == Kind.UPGRADE:
            upgrade = upgrades.upgrade_read(path, progress=progress)
            values.update(
                status=FileStatus.OK,
                sha256=upgrade.sha256,
                size=upgrade.size,
                version=upgrade.version,
                build=upgrade.build,
            )
            if not upgrade.version:
                values["warnings"] = ["the file name carries no version (e.g. Product_10.5.1.1234-upgrade.tar.gz)"]
            return values, upgrade.bytes_read
        package = (
            packages.ova_read(path, progress=progress)
            if candidate.kind == Kind.OVA
            else packages.ovf_read(path, progress=progress)
        )
    except OvfError as exc:
        values["problem"] = exc.message
        return values, 0
    except OSError as exc:
        values.update(
            problem=f"cannot be read: {exc.strerror or exc}", fingerprint=""
        )  # maybe passing: retry next time
        return values, 0
    d = package.descriptor
    folder = PurePosixPath(candidate.path).parent
    files = [(folder / name).as_posix() for name in package.files]
    values.update(
        status=FileStatus.OK if package.usable else FileStatus.BROKEN,
        problem="; ".join(package.problems),
        warnings=package.warnings,
        manifest_verified=package.manifest_verified,
        sha256=package.sha256,
        size=package.size,
        product_name=d.product_name,
        vendor=d.vendor,
        version=d.version,
        build=d.build,
        descriptor=package.descriptor_text,
        deployment_options=d.deployment_options,
        networks=d.networks,
        disks=d.disks,
        references=d.references,
        properties=d.properties,
        files=files,
    )
    if candidate.kind == Kind.OVF:
        values["fingerprint"] = _fingerprint(root, files)
    return values, package.bytes_read


def _describe(values: dict) -> str:
    if values["status"] == FileStatus.BROKEN:
        return f"BROKEN: {values['problem']}"
    if values["kind"] == Kind.UPGRADE:
        version = values["version"] or "no version in the name"
        return f"upgrade package {version}{' build ' + values['build'] if values['build'] else ''}"
    parts = [
        " ".join(
            filter(
                None, [values["product_name"], values["version"], f"build {values['build']}" if values["build"] else ""]
            )
        )
        or "no product name"
    ]
    for key, one, many in (
        ("deployment_options", "deployment option", "deployment options"),
        ("networks", "network", "networks"),
        ("properties", "property", "properties"),
    ):
        n = len(values[key])
        if n:
            parts.append(f"{n} {one if n == 1 else many}")
    parts.append("manifest verified" if values["manifest_verified"] else "no manifest")
    return ", ".join(parts)


def repository_files_scan(
    *,
    root: Path,
    log: Callable[[str], None] = lambda line: None,
    progress: Callable[[float, str], None] = lambda percent, message: None,
    check_cancel: Callable[[], None] = lambda: None,
) -> ScanSummary:
    """Bring the RepositoryFile rows in line with the repository: read new and changed files, keep the
    unchanged ones as they are (nothing is read: same size and mtime), remove the rows of files gone.

    A broken file is recorded with its problem and never stops the scan; only an unreadable root does
    (RepositoryUnreadable). ``check_cancel`` is called between files and every MiB inside one.
    """
    root = Path(root)
    layout = repository_walk(root=root)
    summary = ScanSummary(directory=str(root), missing=layout.missing, unreadable=sorted(layout.unreadable))
    log(f"scanning {root}: {len(layout.candidates)} files in {', '.join(layout.present)}")
    for directory in layout.missing:
        log(f"{directory} does not exist: no {directory.rstrip('/')} binaries (a scan never creates it)")
    for directory, why in sorted(layout.unreadable.items()):
        log(f"{directory} cannot be read: {why}")

    existing = {row.path: row for row in RepositoryFile.objects.defer("descriptor")}
    claimed: set[str] = set()  # files that belong to a package (an OVF's disks and manifest)
    unchanged: list[int] = []
    total = len(layout.candidates) or 1
    for index, candidate in enumerate(layout.candidates):
        check_cancel()
        row = existing.get(candidate.path)
        fingerprint = _fingerprint(root, _package_files(candidate, row))
        if (
            row is not None
            and row.fingerprint == fingerprint
            and row.kind == candidate.kind
            and row.product_type == candidate.product_type
        ):
            unchanged.append(row.pk)
            summary.unchanged += 1
            status, files, line = row.status, row.files, "unchanged since the last scan"
        else:
            last = [time.monotonic()]

            def in_file(done: int, candidate=candidate, index=index, last=last) -> None:
                check_cancel()
                if time.monotonic() - last[0] >= PROGRESS_EVERY:
                    last[0] = time.monotonic()
                    size = max(os.stat(root / candidate.path).st_size, 1)
                    share = min(done / size, 1.0)
                    progress(100 * (index + share) / total, f"reading {candidate.path} ({int(100 * share)}%)")

            try:
                values, read = _read(root, candidate, in_file)
            except OSError as exc:  # vanished or unreadable between the walk and now
                log(f"{candidate.path}: cannot be read: {exc.strerror or exc}")
                continue
            summary.bytes_read += read
            with transaction.atomic():
                RepositoryFile.objects.update_or_create(
                    path=candidate.path, defaults={**values, "scanned_at": timezone.now()}
                )
            status, files, line = values["status"], values["files"], _describe(values)
        summary.files += 1
        if status == FileStatus.OK:
            summary.usable += 1
        else:
            summary.broken += 1
        claimed.update(files)
        log(f"{candidate.path}: {line}")
        progress(100 * (index + 1) / total, f"{index + 1} of {len(layout.candidates)} files read")

    seen = {c.path for c in layout.candidates}
    now = timezone.now()
    RepositoryFile.objects.filter(pk__in=unchanged).update(scanned_at=now)
    # Rows under a directory that could not be listed stay, marked: the files may be there, but unread.
    blind = tuple(layout.unreadable)
    kept = [path for path in existing if path not in seen and blind and path.startswith(blind)]
    if kept:
        RepositoryFile.objects.filter(path__in=kept).update(
            status=FileStatus.BROKEN,
            fingerprint="",
            scanned_at=now,
            problem="its directory could not be read in the last scan; it is not offered until a scan reads it",
        )
    gone = [path for path in existing if path not in seen and path not in kept]
    if gone:
        RepositoryFile.objects.filter(path__in=gone).delete()
        summary.removed = len(gone)
        for path in gone:
            log(f"{path}: gone since the last scan; removed from the list")
    summary.ignored = [p for p in layout.others if p not in claimed]
    for path in summary.ignored:
        log(f"{path}: ignored (not an OVA, an OVF descriptor, a file of one, or an upgrade package in upgrades/)")
    log(summary.message)
    return summary

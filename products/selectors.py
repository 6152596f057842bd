"""Reads of the repository of product binaries (what the last scan found)."""

from __future__ import annotations

import re

from django.db.models import QuerySet

from lifecycle.engine.models import Action, Status, Task
from lifecycle.errors import NotFound
from products.models import RepositoryFile

Kind = RepositoryFile.Kind
FileStatus = RepositoryFile.FileStatus


def version_key(version: str) -> tuple:
    """Orders "10.5.1" after "10.4.2" and "10.10" after "10.9" (numbers as numbers, the rest as text)."""
    return tuple(
        (0, int(part), "") if part.isdigit() else (1, 0, part) for part in re.findall(r"\d+|[^\d.\-_]+", version)
    )


def repository_list() -> QuerySet[RepositoryFile]:
    """The files the last scan found, without their descriptors (large), by type, version and path.
    The API filters them with products.filters.RepositoryFileFilterSet."""
    return RepositoryFile.objects.defer("descriptor").order_by("product_type", "kind", "version", "path")


def repository_get(*, file_id: int) -> RepositoryFile:
    found = RepositoryFile.objects.filter(pk=file_id).first()
    if found is None:
        raise NotFound(f"the repository has no file {file_id} (a scan may have removed it)")
    return found


def _deployable(product_type: str) -> QuerySet[RepositoryFile]:
    return RepositoryFile.objects.filter(
        product_type=product_type, status=FileStatus.OK, kind__in=Kind.deployable()
    ).exclude(version="")


def repository_versions(*, product_type: str) -> list[str]:
    """The versions of a product type that can be deployed from the repository (usable OVAs/OVFs), oldest first."""
    versions = set(_deployable(product_type).values_list("version", flat=True))
    return sorted(versions, key=version_key)


def repository_file_for(*, product_type: str, version: str) -> RepositoryFile | None:
    """The usable OVA/OVF to deploy this version from: of several, the newest scanned, then the newest file."""
    return _deployable(product_type).filter(version=version).order_by("-scanned_at", "-mtime", "path").first()


def repository_last_scan() -> Task | None:
    """The newest scan task, whatever its state."""
    return Task.objects.filter(operation="repository.scan").order_by("-pk").first()


def repository_last_scan_result() -> dict | None:
    """What the newest scan that read the files reported (counts, missing directories …), if any did."""
    return (
        Action.objects.filter(task__operation="repository.scan", name="files_scan", status=Status.SUCCESS)
        .order_by("-task_id", "-attempt")
        .values_list("result", flat=True)
        .first()
    )

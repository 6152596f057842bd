"""Pages of the repository of product binaries: what the last scan found, one file, and "Scan now"."""

from django.conf import settings
from django.contrib.auth.decorators import login_required
from django.shortcuts import redirect, render
from django.views.decorators.http import require_GET, require_POST

from lifecycle.pages import found_or_404
from products import selectors, services
from products.models import RepositoryFile
from products.types import product_type_get, product_types

Kind, FileStatus = RepositoryFile.Kind, RepositoryFile.FileStatus


def _newest_first(files: list[RepositoryFile]) -> list[RepositoryFile]:
    return sorted(files, key=lambda f: (selectors.version_key(f.version), f.path), reverse=True)


@login_required
@require_GET
def repository_list(request):
    """One tab per product type (usable binaries and upgrade packages), then every broken file.

    Reads the database only: a hung NFS share never hangs this page; what the last scan saw of the
    directories comes from its result.
    """
    by_type: dict[str, list[RepositoryFile]] = {}
    for item in selectors.repository_list():
        by_type.setdefault(item.product_type, []).append(item)
    result = selectors.repository_last_scan_result() or {}
    missing = set(result.get("missingDirectories") or [])
    sections, broken = [], []
    for product_type in product_types():
        files = by_type.get(product_type.code, [])
        bad = [f for f in files if f.status == FileStatus.BROKEN]
        broken.extend(bad)
        sections.append(
            {
                "type": product_type,
                "directory": f"{product_type.repository_dir}/",
                "missing": f"{product_type.repository_dir}/" in missing,
                "deployable": _newest_first([f for f in files if f.status == FileStatus.OK and f.is_deployable]),
                "upgrades": _newest_first([f for f in files if f.status == FileStatus.OK and f.kind == Kind.UPGRADE]),
                "broken_count": len(bad),
            }
        )
    titles = {t.code: t.title for t in product_types()}
    return render(
        request,
        "products/repository_list.html",
        {
            "directory": settings.LCM_REPOSITORY_DIR,
            "sections": sections,
            "broken": [(titles.get(f.product_type, f.product_type), f) for f in broken],
            "last_scan": selectors.repository_last_scan(),
            "result": result,
        },
    )


@login_required
@require_GET
def repository_file(request, file_id: int):
    item = found_or_404(selectors.repository_get, file_id=file_id)
    product_type = product_type_get(item.product_type)
    return render(
        request,
        "products/repository_file.html",
        {
            "file": item,
            "type_title": product_type.title if product_type else item.product_type,
            "directory": settings.LCM_REPOSITORY_DIR,
        },
    )


@login_required
@require_POST
def repository_scan(request):
    task = services.repository_scan(user=request.user)
    return redirect("task-detail", task_id=task.pk)

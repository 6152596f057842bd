"""The steps of a repository scan. Each is a small function of the task engine's ActionContext."""

from __future__ import annotations

from django.conf import settings

from lifecycle.engine.runner import ActionContext
from products import services


def directory_check(ctx: ActionContext) -> dict:
    """The repository directory must be readable and hold at least one product directory."""
    root = settings.LCM_REPOSITORY_DIR
    layout = services.repository_walk(root=root)
    ctx.log(f"repository directory {root}: {', '.join(layout.present)} present")
    for directory in layout.missing:
        ctx.log(f"{directory} does not exist (the scan does not create it)")
    message = f"{len(layout.candidates)} files to read in {root}"
    if layout.missing:
        message += f"; no directory {', '.join(layout.missing)}"
    ctx.progress(100, message)
    return {
        "directory": str(root),
        "present": layout.present,
        "missing": layout.missing,
        "files": len(layout.candidates),
    }


def files_scan(ctx: ActionContext) -> dict:
    summary = services.repository_files_scan(
        root=settings.LCM_REPOSITORY_DIR, log=ctx.log, progress=ctx.progress, check_cancel=ctx.check_cancel
    )
    ctx.progress(100, summary.message)
    return summary.to_dict()

"""Template context every page gets: the product's name and version for the footer."""

from functools import cache

from lifecycle.project.version import version_info


@cache
def _version_info() -> dict:
    return version_info()  # reads package metadata from disk: once per process is enough


def version(request) -> dict:
    return {"lcm_version": _version_info()}

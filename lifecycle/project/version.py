"""What /api/v1/about answers and the page footer shows."""

from importlib.metadata import PackageNotFoundError, version

import django


def version_info() -> dict:
    try:
        ours = version("provider-lifecycle-manager")
    except PackageNotFoundError:  # running from a checkout that was not installed
        ours = "unknown"
    return {"name": "Provider Lifecycle Manager", "version": ours, "apiVersion": "v1", "django": django.get_version()}

"""`lcm`, the command-line client of the Provider Lifecycle Manager. It speaks only the REST API
(with `requests`); it never imports Django or the server's apps, so it runs on any machine."""

from importlib.metadata import PackageNotFoundError, version

try:
    __version__ = version("provider-lifecycle-manager")
except PackageNotFoundError:  # a checkout that was not installed
    __version__ = "unknown"

"""The error of the OVF reader: the file cannot be used at all (what makes a readable package unusable is
listed in ``Package.problems`` instead)."""

from lifecycle.errors import ApplicationError


class OvfError(ApplicationError):
    """The file cannot be used at all: not a tar, truncated, not an OVF descriptor. Says why, plainly."""

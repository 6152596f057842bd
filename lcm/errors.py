"""The CLI's failures, each with the exit code a script can act on (see `lcm --help`)."""

from __future__ import annotations

from lifecycle.errors import ApplicationError

EXIT_OK = 0
EXIT_FAILED = 1  # a task ended in ERROR or CANCELLED, or the server failed (HTTP 500)
EXIT_REFUSED = 2  # the request was refused (HTTP 4xx) or the command line / input file is wrong
EXIT_UNREACHABLE = 3  # the server could not be reached


class CliError(ApplicationError):
    """A failure of a command; its remediation is printed as the "hint" line."""

    exit_code = EXIT_FAILED

    def __init__(self, message: str, *, errors: dict[str, list[str]] | None = None, remediation: str | None = None):
        super().__init__(message, remediation=remediation)
        self.errors = errors or {}


class UsageError(CliError):
    """The command line or an input file is wrong; nothing was sent."""

    exit_code = EXIT_REFUSED


class ApiError(CliError):
    """The server answered with an error (the API's {"message", "errors"})."""

    def __init__(
        self,
        message: str,
        *,
        status: int,
        errors: dict[str, list[str]] | None = None,
        remediation: str | None = None,
        body: dict | None = None,
    ):
        super().__init__(message, errors=errors, remediation=remediation)
        self.status = status
        self.body = body or {}  # the whole answer, e.g. a validation report sent with a refusal
        self.exit_code = EXIT_REFUSED if 400 <= status < 500 else EXIT_FAILED


class Unreachable(CliError):
    exit_code = EXIT_UNREACHABLE

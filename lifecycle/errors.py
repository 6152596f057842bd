"""Errors raised by services. Every face turns them into its own shape (the API: one JSON error)."""


class ServiceError(Exception):
    """A request we refuse, with a message for people and, where it applies, one list per field.

    Field keys are JSON paths of the request (``fqdn``, ``content.certificate.thumbprint``,
    ``products[0].nodes[1].vmName``) so that a user finds the problem in the file they sent.
    """

    status_code = 400

    def __init__(self, message: str, *, errors: dict[str, list[str]] | None = None, extra: dict | None = None):
        super().__init__(message)
        self.message = message
        self.errors = errors or {}
        self.extra = extra or {}  # more of the answer, e.g. a validation report

    @classmethod
    def field(cls, path: str, problem: str) -> "ServiceError":
        return cls(f"{path}: {problem}", errors={path: [problem]})


class ValidationFailed(ServiceError):
    status_code = 400


class NotFound(ServiceError):
    status_code = 404


class Conflict(ServiceError):
    status_code = 409


class NotAvailable(ServiceError):
    """A request this release cannot carry out yet; said plainly rather than pretended."""

    status_code = 501

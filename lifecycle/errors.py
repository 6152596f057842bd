"""The one root of our own errors, and the refusals services raise.

Every error this project raises on purpose is an ``ApplicationError``: a message for people, an
optional remediation (what to do about it) and an optional JSON path of the field it is about. The
engine and the API each catch the root once; a module with errors of its own subclasses it and never
translates another module's errors by hand. Nothing here imports Django, so the CLI can use it.
"""


class ApplicationError(Exception):
    """Something we refuse or could not do, said in the user's words."""

    def __init__(self, message: str, *, remediation: str | None = None, path: str | None = None):
        super().__init__(message)
        self.message = message
        self.remediation = remediation
        self.path = path

    def __str__(self) -> str:
        return self.message

    def __reduce__(self):
        # Celery's prefork pool pickles a failing task's exception; keep every attribute.
        return _error_rebuild, (type(self), self.message, dict(vars(self)))

    @property
    def text(self) -> str:
        """The message with its remediation, as shown to a person."""
        return f"{self.message}; {self.remediation}" if self.remediation else self.message


def _error_rebuild(cls: type[ApplicationError], message: str, attributes: dict) -> ApplicationError:
    error = cls.__new__(cls)
    Exception.__init__(error, message)
    error.__dict__.update(attributes)
    return error


class ServiceError(ApplicationError):
    """A request we refuse, with a message for people and, where it applies, one list per field.

    Field keys are JSON paths of the request (``fqdn``, ``content.certificate.thumbprint``,
    ``products[0].nodes[1].vmName``) so that a user finds the problem in the file they sent.
    """

    status_code = 400

    def __init__(
        self,
        message: str,
        *,
        errors: dict[str, list[str]] | None = None,
        extra: dict | None = None,
        remediation: str | None = None,
        path: str | None = None,
    ):
        super().__init__(message, remediation=remediation, path=path)
        self.errors = errors or ({path: [message]} if path else {})
        self.extra = extra or {}  # more of the answer, e.g. a validation report

    @classmethod
    def field(cls, path: str, problem: str) -> "ServiceError":
        return cls(f"{path}: {problem}", errors={path: [problem]}, path=path)


class ValidationFailed(ServiceError):
    status_code = 400


class NotFound(ServiceError):
    status_code = 404


class Conflict(ServiceError):
    status_code = 409


class NotAvailable(ServiceError):
    """A request this release cannot carry out yet; said plainly rather than pretended."""

    status_code = 501

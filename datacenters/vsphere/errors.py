"""The errors of the vSphere client: each says, in a vSphere administrator's words, what to act on."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from datacenters.vsphere.connection import ServerCertificate


class VSphereError(Exception):
    """Something a vSphere administrator can act on; `message` says what, in their words."""

    def __init__(self, message: str):
        super().__init__(message)
        self.message = message

    def __reduce__(self):
        # Celery's prefork pool pickles a failing task's exception; keep the extra attributes.
        extra = {key: value for key, value in vars(self).items() if key != "message"}
        return _error_rebuild, (type(self), self.message, extra)


def _error_rebuild(cls: type[VSphereError], message: str, extra: dict[str, Any]) -> VSphereError:
    error = cls.__new__(cls)
    VSphereError.__init__(error, message)
    error.__dict__.update(extra)
    return error


class Unreachable(VSphereError):
    """Nothing answers at that address: refused, timed out, or the name does not resolve."""


class LoginRefused(VSphereError):
    """vCenter refused the user name or password."""


class CertificateChanged(VSphereError):
    """The server presents another certificate than the one accepted; `certificate` is the new one."""

    def __init__(self, message: str, *, certificate: ServerCertificate, accepted_thumbprint: str):
        super().__init__(message)
        self.certificate = certificate
        self.accepted_thumbprint = accepted_thumbprint


class CertificateInvalid(VSphereError):
    """TLS failed for another reason than a changed certificate (expired, too weak, broken)."""


class WrongServer(VSphereError):
    """The address answers, but not as the product expected (no such API, or plain HTTP)."""


class NotAVCenter(WrongServer):
    """The address answers, but not as a vCenter Server (an ESXi host, or no vSphere API at all)."""


def fault_text(fault: Any) -> str:
    """What a vSphere fault (of a task, a lease, an import spec) says, or its type when it says nothing."""
    return getattr(fault, "msg", None) or getattr(fault, "localizedMessage", None) or type(fault).__name__

"""The errors of the vSphere client: each says, in a vSphere administrator's words, what to act on."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from lifecycle.errors import ApplicationError

if TYPE_CHECKING:
    from datacenters.vsphere.connection import ServerCertificate


class VSphereError(ApplicationError):
    """Something a vSphere administrator can act on; `message` says what, in their words."""


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

"""The certificate a server presents (trust on first use): probing it, comparing thumbprints, and the
check that a request accepts the certificate the server presents now."""

from __future__ import annotations

from django.core.exceptions import ValidationError

from datacenters.models import DatacenterComponent
from datacenters.selectors import datacenter_get
from datacenters.vsphere import connection
from datacenters.vsphere.errors import VSphereError
from lifecycle.errors import ValidationFailed

PROBE_TIMEOUT = 10


def certificate_probe(*, fqdn: str, port: int = 443) -> connection.ServerCertificate:
    """The certificate a server presents, for the user to accept (trust on first use)."""
    errors = _address_errors(fqdn, port)
    if errors:
        raise ValidationFailed(next(iter(errors.values()))[0], errors=errors)
    try:
        return connection.certificate_probe(fqdn=fqdn, port=port, timeout=PROBE_TIMEOUT)
    except VSphereError as exc:
        raise ValidationFailed.field("fqdn", exc.message) from None


def certificate_check(*, component_name: str) -> tuple[connection.ServerCertificate, bool]:
    """The certificate a registered component presents now, and whether it differs from the accepted one."""
    component = datacenter_get(component_name=component_name)
    presented = certificate_probe(fqdn=component.fqdn, port=component.port)
    return presented, not thumbprints_equal(presented.thumbprint, component.certificate_thumbprint)


def thumbprints_equal(a: str, b: str) -> bool:
    """SHA-256 thumbprints compare equal whatever their case and separators."""
    return _thumbprint_normal(a) == _thumbprint_normal(b)


def _address_errors(fqdn, port) -> dict[str, list[str]]:
    errors = {}
    probe = DatacenterComponent(fqdn=fqdn if isinstance(fqdn, str) else "", port=port)
    if not isinstance(fqdn, str) or not fqdn:
        errors["fqdn"] = ["this field is required"]
    if not isinstance(port, int) or isinstance(port, bool):
        errors["port"] = ["must be a whole number from 1 to 65535"]
    try:
        probe.clean_fields(exclude=[f.name for f in DatacenterComponent._meta.fields if f.name not in ("fqdn", "port")])
    except ValidationError as exc:
        for field, messages in exc.message_dict.items():
            errors.setdefault(field, []).extend(messages)
    return errors


def thumbprint_check(spec: dict) -> None:
    """The request must carry the thumbprint of the certificate the server presents (trust on first use)."""
    accepted = ((spec.get("content") or {}).get("certificate") or {}).get("thumbprint")
    path = "content.certificate.thumbprint"
    try:
        presented = connection.certificate_probe(fqdn=spec["fqdn"], port=spec["port"], timeout=PROBE_TIMEOUT)
    except VSphereError as exc:
        if not accepted:
            raise ValidationFailed.field(
                path, f"required: accept the server's certificate first (it could not be fetched: {exc.message})"
            ) from None
        return  # unreachable now: the task's first action reports it, and a restart can retry
    if not accepted:
        raise ValidationFailed.field(
            path,
            f"required: the server presents a certificate with SHA-256 thumbprint {presented.thumbprint} "
            f"(subject {presented.subject}, valid until {presented.valid_to:%Y-%m-%d}); check it and send it here to accept it",
        )
    if not thumbprints_equal(accepted, presented.thumbprint):
        raise ValidationFailed.field(
            path,
            f"does not match: the server presents a certificate with SHA-256 thumbprint {presented.thumbprint}, "
            f"not {accepted}",
        )


def _thumbprint_normal(value: str) -> str:
    return value.replace(":", "").replace(" ", "").upper()

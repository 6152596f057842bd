"""Changes to datacenter components: register, validate, update, discover, delete (each one a task).

The request-time checks here are the cheap ones that need no login (fields, duplicates, the accepted
certificate); everything that talks to the server with credentials runs in the task's actions.
"""
from __future__ import annotations

from django.core.exceptions import ValidationError
from django.db import transaction

from datacenters import vsphere
from datacenters.models import ComponentType, DatacenterComponent
from lifecycle.crypto import SECRET_PLACEHOLDER
from lifecycle.errors import Conflict, NotFound, ValidationFailed
from lifecycle.models import Status, Task
from lifecycle.services import task_create

# API name → model field, so that model validation errors name the field the user sent.
SPEC_FIELDS = {
    "componentName": "component_name",
    "datacenterComponentType": "component_type",
    "fqdn": "fqdn",
    "port": "port",
    "username": "username",
    "password": "password",
    "purpose": "purpose",
    "tags": "tags",
}
REQUIRED = ("componentName", "fqdn", "username", "password")
PROBE_TIMEOUT = 10


def target_key(component_name: str) -> str:
    return f"datacenter:{component_name}"


def certificate_probe(*, fqdn: str, port: int = 443) -> vsphere.ServerCertificate:
    """The certificate a server presents, for the user to accept (trust on first use)."""
    errors = _address_errors(fqdn, port)
    if errors:
        raise ValidationFailed(next(iter(errors.values()))[0], errors=errors)
    try:
        return vsphere.certificate_probe(fqdn=fqdn, port=port, timeout=PROBE_TIMEOUT)
    except vsphere.VSphereError as exc:
        raise ValidationFailed.field("fqdn", exc.message) from None


def certificate_check(*, component_name: str) -> tuple[vsphere.ServerCertificate, bool]:
    """The certificate a registered component presents now, and whether it differs from the accepted one."""
    component = _component(component_name)
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


def spec_normalize(spec: dict, *, existing: DatacenterComponent | None = None) -> dict:
    """Check a component spec's fields and return it complete (defaults filled in).

    On update, fields left out keep their stored values and a password sent as the placeholder
    keeps the stored password.
    """
    if not isinstance(spec, dict):
        raise ValidationFailed("the request body must be a JSON object describing the component")
    errors: dict[str, list[str]] = {}
    unknown = sorted(set(spec) - set(SPEC_FIELDS) - {"content", "version", "properties", "id", "url"})
    for key in unknown:
        errors[key] = ["unknown field"]
    merged = dict(spec_from_component(existing)) if existing else {}
    merged.update({k: v for k, v in spec.items() if k in SPEC_FIELDS or k == "content"})
    merged.setdefault("datacenterComponentType", ComponentType.VCENTER)
    merged.setdefault("port", 443)
    merged.setdefault("purpose", "")
    merged.setdefault("tags", [])
    if existing and merged.get("password") in (None, SECRET_PLACEHOLDER):
        merged["password"] = existing.password
    if existing and merged.get("componentName") != existing.component_name:
        errors["componentName"] = [f"cannot be changed (it is '{existing.component_name}')"]
    for key in REQUIRED:
        if merged.get(key) in (None, "", SECRET_PLACEHOLDER):
            errors.setdefault(key, []).append("this field is required")
    for key in ("componentName", "fqdn", "username", "password", "purpose", "datacenterComponentType"):
        if merged.get(key) is not None and not isinstance(merged[key], str):
            errors.setdefault(key, []).append("must be a string")
    if not isinstance(merged["port"], int) or isinstance(merged["port"], bool):
        errors.setdefault("port", []).append("must be a whole number from 1 to 65535")
    if not isinstance(merged["tags"], list) or not all(isinstance(t, str) for t in merged["tags"]):
        errors.setdefault("tags", []).append("must be a list of strings")
    if merged.get("datacenterComponentType") in (ComponentType.NSXT, ComponentType.VROPS):
        errors.setdefault("datacenterComponentType", []).append(
            f"{merged['datacenterComponentType']} components cannot be registered yet; only VCENTER is supported"
        )
    content = merged.get("content", {})
    if not isinstance(content, dict) or not isinstance(content.get("certificate", {}), dict):
        errors.setdefault("content", []).append("must be an object like {\"certificate\": {\"thumbprint\": \"…\"}}")
    if not errors:
        _model_errors(merged, errors, existing)
    if errors:
        path, problems = next(iter(errors.items()))
        raise ValidationFailed(f"{path}: {problems[0]}", errors=errors)
    return merged


def _model_errors(merged: dict, errors: dict, existing: DatacenterComponent | None) -> None:
    candidate = DatacenterComponent(
        pk=existing.pk if existing else None,
        **{SPEC_FIELDS[k]: merged[k] for k in SPEC_FIELDS},
        certificate_pem="-", certificate_thumbprint="-",
    )
    candidate._state.adding = existing is None  # an update must not collide with itself
    try:
        candidate.full_clean(exclude=["certificate_pem", "certificate_thumbprint"])
    except ValidationError as exc:
        model_to_api = {v: k for k, v in SPEC_FIELDS.items()}
        for field, messages in exc.message_dict.items():
            key = model_to_api.get(field, field)
            if field == "component_name" and any("already exists" in m for m in messages):
                messages = [f"a datacenter component named '{merged['componentName']}' already exists"]
            errors.setdefault(key, []).extend(m[0].lower() + m[1:] if m else m for m in messages)


def spec_from_component(component: DatacenterComponent) -> dict:
    """A component as the spec that would register it again (password masked)."""
    return {
        "componentName": component.component_name,
        "datacenterComponentType": component.component_type,
        "fqdn": component.fqdn,
        "port": component.port,
        "username": component.username,
        "password": SECRET_PLACEHOLDER,
        "purpose": component.purpose,
        "tags": list(component.tags),
        "content": {"certificate": {"thumbprint": component.certificate_thumbprint}},
    }


def _thumbprint_check(spec: dict) -> None:
    """The request must carry the thumbprint of the certificate the server presents (trust on first use)."""
    accepted = ((spec.get("content") or {}).get("certificate") or {}).get("thumbprint")
    path = "content.certificate.thumbprint"
    try:
        presented = vsphere.certificate_probe(fqdn=spec["fqdn"], port=spec["port"], timeout=PROBE_TIMEOUT)
    except vsphere.VSphereError as exc:
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


def _name_free(name: str) -> None:
    """No component of this name, and no registration of it still pending."""
    pending = Task.objects.filter(
        target_key=target_key(name), operation="datacenter.register", status__in=Status.unfinished()
    ).first()
    if pending:
        raise ValidationFailed.field(
            "componentName", f"a datacenter component named '{name}' is being registered already (task {pending.pk})"
        )


def datacenter_register(*, spec: dict, user=None, validate_only: bool = False) -> Task:
    """Register a component (or, with validate_only, run the same checks and store nothing)."""
    spec = spec_normalize(spec)
    if not validate_only:
        _name_free(spec["componentName"])
    _thumbprint_check(spec)
    return task_create(
        operation="datacenter.validate" if validate_only else "datacenter.register",
        target_type="datacenter",
        target_name=spec["componentName"],
        target_key=target_key(spec["componentName"]),
        request=spec,
        user=user,
    )


def datacenter_update(*, component_name: str, spec: dict, user=None) -> Task:
    """Change a component's address, credentials or accepted certificate; re-validated before storing."""
    existing = _component(component_name)
    spec = spec_normalize(spec, existing=existing)
    _thumbprint_check(spec)
    return task_create(
        operation="datacenter.update",
        target_type="datacenter",
        target_name=component_name,
        target_key=target_key(component_name),
        request=spec,
        user=user,
    )


def datacenter_discover(*, component_name: str, user=None) -> Task:
    _component(component_name)
    return task_create(
        operation="datacenter.discover",
        target_type="datacenter",
        target_name=component_name,
        target_key=target_key(component_name),
        request={"componentName": component_name},
        user=user,
    )


def datacenter_delete(*, component_name: str, user=None) -> Task:
    _component(component_name)
    return task_create(
        operation="datacenter.delete",
        target_type="datacenter",
        target_name=component_name,
        target_key=target_key(component_name),
        request={"componentName": component_name},
        user=user,
    )


def _component(component_name: str) -> DatacenterComponent:
    component = DatacenterComponent.objects.filter(component_name=component_name).first()
    if component is None:
        raise NotFound(f"no datacenter component named '{component_name}'")
    return component


@transaction.atomic
def component_store(*, spec: dict, certificate: dict, about: dict, inventory: list[dict] | None, create: bool) -> DatacenterComponent:
    """Write a component and (when given) replace its inventory in one transaction.

    Called by the last action of register/update/discover, never by a face directly.
    """
    from datacenters.models import InventoryObject
    from django.utils import timezone
    from django.utils.dateparse import parse_datetime

    name = spec["componentName"]
    component = DatacenterComponent.objects.select_for_update().filter(component_name=name).first()
    if create and component is not None:
        raise Conflict(f"a datacenter component named '{name}' was registered meanwhile; nothing was changed")
    if not create and component is None:
        raise Conflict(f"the datacenter component '{name}' was deleted meanwhile; nothing was stored")
    component = component or DatacenterComponent()
    for key, field in SPEC_FIELDS.items():
        setattr(component, field, spec[key])
    component.certificate_pem = certificate["pem"]
    component.certificate_thumbprint = certificate["thumbprint"]
    component.certificate_subject = certificate["subject"]
    component.certificate_issuer = certificate["issuer"]
    component.certificate_valid_from = parse_datetime(certificate["validFrom"])
    component.certificate_valid_to = parse_datetime(certificate["validTo"])
    component.version = about.get("version") or ""
    component.build = about.get("build") or ""
    component.properties = {"about": about}
    if inventory is not None:
        component.discovered_at = timezone.now()
    component.save()
    if inventory is not None:
        component.inventory.all().delete()
        InventoryObject.objects.bulk_create(
            InventoryObject(
                component=component,
                kind=item["kind"],
                moref=item["moref"],
                name=item["name"],
                parent_moref=item.get("parent") or "",
                datacenter=item.get("datacenter") or "",
                path=item["path"],
                properties=item.get("properties") or {},
            )
            for item in inventory
        )
    return component


@transaction.atomic
def component_remove(*, component_name: str) -> None:
    deleted, _ = DatacenterComponent.objects.filter(component_name=component_name).delete()
    if not deleted:
        raise Conflict(f"the datacenter component '{component_name}' no longer exists")

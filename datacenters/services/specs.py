"""A component's spec as the API shapes it: checked field by field and against the model, completed
from the stored component on update, and shown again (password masked)."""

from __future__ import annotations

from django.core.exceptions import ValidationError

from datacenters.models import ComponentType, DatacenterComponent
from datacenters.services.port_groups import networks_normalize
from lifecycle.errors import ValidationFailed
from lifecycle.secrets import PLACEHOLDER, secret_is_ref, secret_resolve

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
    if existing and isinstance(spec.get("content"), dict):
        # Content left out keeps its stored value: an update may carry only port group settings.
        merged["content"] = {**spec_from_component(existing)["content"], **spec["content"]}
    merged.setdefault("datacenterComponentType", ComponentType.VCENTER)
    merged.setdefault("port", 443)
    merged.setdefault("purpose", "")
    merged.setdefault("tags", [])
    if existing and merged.get("password") in (None, PLACEHOLDER):
        merged["password"] = existing.password
    if existing and merged.get("componentName") != existing.component_name:
        errors["componentName"] = [f"cannot be changed (it is '{existing.component_name}')"]
    for key in REQUIRED:
        if merged.get(key) in (None, "", PLACEHOLDER):
            errors.setdefault(key, []).append("this field is required")
    for key in ("componentName", "fqdn", "username", "password", "purpose", "datacenterComponentType"):
        if merged.get(key) is not None and not isinstance(merged[key], str):
            errors.setdefault(key, []).append("must be a string")
    if not isinstance(merged["port"], int) or isinstance(merged["port"], bool):
        errors.setdefault("port", []).append("must be a whole number from 1 to 65535")
    if not isinstance(merged["tags"], list) or not all(isinstance(t, str) for t in merged["tags"]):
        errors.setdefault("tags", []).append("must be a list of strings")
    if existing and merged.get("datacenterComponentType") != existing.component_type:
        errors.setdefault("datacenterComponentType", []).append(
            f"cannot be changed (it is {existing.component_type}); delete the component and register it again"
        )
    if secret_is_ref(merged.get("password")):
        try:
            merged["password"] = secret_resolve(merged["password"])
        except ValidationFailed as exc:
            for path, problems in (exc.errors or {"password": [exc.message]}).items():
                errors.setdefault(path, []).extend(problems)
    content = merged.get("content", {})
    if not isinstance(content, dict) or not isinstance(content.get("certificate", {}), dict):
        errors.setdefault("content", []).append('must be an object like {"certificate": {"thumbprint": "…"}}')
    elif "networks" in content:
        merged["content"] = {**content, "networks": networks_normalize(content["networks"], merged, errors)}
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
        certificate_pem="-",
        certificate_thumbprint="-",
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
        "password": PLACEHOLDER,
        "purpose": component.purpose,
        "tags": list(component.tags),
        "content": {"certificate": {"thumbprint": component.certificate_thumbprint}},
    }

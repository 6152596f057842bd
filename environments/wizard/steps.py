"""The wizard's steps and their fields, and how a step's input is kept: as the browser sent it, each
secret sealed with the project's Fernet key (under SEALED), never shown again but as "********"."""

from __future__ import annotations

from typing import Any

from environments.wizard import forms
from lifecycle.secrets import MASK, SecretUnreadable, secret_decrypt, secret_encrypt

SEALED = "__sealed__"  # inside a step's kept data: field → sealed secret
ALL = "__all__"  # a failure of a step (or a node, an integration) as a whole

STEPS = (
    ("environment", "Environment"),
    ("product", "Type and version"),
    ("placement", "Placement"),
    ("nodes", "Nodes"),
    ("properties", "Properties"),
    ("integrations", "Integrations"),
    ("review", "Review"),
)
STEP_TITLES = dict(STEPS)
PRODUCT_FIELDS = ("productType", "productId", "version", "buildNumber", "license", "adminPassword")
PLACEMENT_FIELDS = ("vcenterName", "datacenterName", "clusterName", "resourcePool", "vmFolder")
NODE_FIELDS = tuple(forms.NodeForm.base_fields)
INTEGRATION_FIELDS = tuple(forms.IntegrationForm.base_fields)


def seal(value: str) -> str:
    return secret_encrypt(value)


def unseal(token: str) -> str:
    try:
        return secret_decrypt(token)
    except SecretUnreadable:
        return ""  # the key changed under an open wizard: as if nothing had been typed


def masked(token: str) -> str:
    return MASK


def kept_split(kept: dict | None) -> tuple[dict, dict]:
    """(the input as sent, the sealed secrets) of a step's kept data."""
    if kept is None:
        return {}, {}
    data = {key: value for key, value in kept.items() if key != SEALED}
    return data, dict(kept.get(SEALED, {}))


def kept_from_post(form, post, before: dict | None) -> dict:
    """A form's input from a POST as it is kept: every field as sent, secrets sealed (a blank password
    input keeps the secret typed before)."""
    sealed = dict((before or {}).get(SEALED, {}))
    kept: dict[str, Any] = {}
    for name in form.fields:
        key = form.add_prefix(name)
        if key not in post:
            continue
        value = post.get(key)
        if name in form.secret_fields:
            if value:
                sealed[name] = seal(value)
            continue
        kept[name] = value
    if sealed:
        kept[SEALED] = sealed
    return kept

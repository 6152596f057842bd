"""Splitting a request into what may be shown (secrets replaced by a placeholder) and the secrets."""
from typing import Any

from lifecycle.crypto import SECRET_PLACEHOLDER

# Keys whose values are secrets wherever they appear in a request. Product types add their own.
SECRET_KEYS = frozenset(
    {
        "password",
        "adminPassword",
        "rootPassword",
        "dbPassword",
        "keystorePassword",
        "keyPassword",
        "privateKey",
        "integrationPassword",
        "token",
    }
)


def request_mask(data: Any, *, secret_keys: frozenset[str] = SECRET_KEYS) -> tuple[Any, dict[str, str]]:
    """Return (masked copy, {json path: secret value}). Empty secrets stay empty (nothing to hide)."""
    secrets: dict[str, str] = {}

    def walk(value: Any, path: str) -> Any:
        if isinstance(value, dict):
            out = {}
            for key, item in value.items():
                child = f"{path}.{key}" if path else str(key)
                if key in secret_keys and isinstance(item, str) and item not in ("", SECRET_PLACEHOLDER):
                    secrets[child] = item
                    out[key] = SECRET_PLACEHOLDER
                else:
                    out[key] = walk(item, child)
            return out
        if isinstance(value, list):
            return [walk(item, f"{path}[{i}]") for i, item in enumerate(value)]
        return value

    return walk(data, ""), secrets


def request_unmask(masked: Any, secrets: dict[str, str]) -> Any:
    """Put the secrets back into a masked request (the inverse of request_mask)."""

    def walk(value: Any, path: str) -> Any:
        if isinstance(value, dict):
            out = {}
            for key, item in value.items():
                child = f"{path}.{key}" if path else str(key)
                out[key] = secrets[child] if item == SECRET_PLACEHOLDER and child in secrets else walk(item, child)
            return out
        if isinstance(value, list):
            return [walk(item, f"{path}[{i}]") for i, item in enumerate(value)]
        return value

    return walk(masked, "")


def text_redact(text: str, secret_values) -> str:
    """Replace every occurrence of a secret value in free text (log lines, error messages)."""
    for value in sorted((v for v in secret_values if v and len(v) >= 3), key=len, reverse=True):
        text = text.replace(value, "********")
    return text

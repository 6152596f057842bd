"""Secrets: the forms they take, how they are kept, and the walking of the paths that hold them.

A secret (a password, token or private key) takes one of these forms:
- clear text: in a request as it arrives, in a worker's memory, and on its way to vCenter or an
  appliance; nowhere else;
- ``PLACEHOLDER`` ("$encrypted$"): what the API and the pages show instead of a stored secret; sent
  back, it keeps the stored value;
- a reference ``REF_PREFIX + ref`` ("ref:password:<ref>"): a secret kept in a ``StoredSecret`` row,
  named inside a definition;
- ``MASK`` ("********"): what free text shows instead (logs, messages, the text of a refused import).
At rest every secret is Fernet ciphertext (``EncryptedTextField``), with the keys of LCM_ENCRYPTION_KEY.

Which values are secrets is declared by their owner, never guessed from key names: a product type
(``ProductType.secret_paths``), a datacenter component kind (``datacenters.models.COMPONENT_SECRETS``)
and an operation for its task's request (``Operation.secrets``). A declaration is a list of JSON paths
("nodes[0].rootPassword"; ``[*]`` and ``.*`` stand for every item or key); this module walks them.
"""

from __future__ import annotations

import re
import secrets as random
from collections.abc import Iterable
from functools import cache
from typing import Any

from cryptography.fernet import Fernet, InvalidToken, MultiFernet
from django.conf import settings
from django.db import models

from lifecycle.errors import ApplicationError, ValidationFailed
from lifecycle.project.config import encryption_keys_load

PLACEHOLDER = "$encrypted$"
REF_PREFIX = "ref:password:"
MASK = "********"


class SecretUnreadable(ApplicationError):
    """A stored secret cannot be decrypted with the configured keys."""


# --- at rest ---------------------------------------------------------------------------------------


@cache
def _fernet() -> MultiFernet:
    return MultiFernet([Fernet(key.encode()) for key in encryption_keys_load(settings.DATA_DIR)])


def secret_encrypt(value: str) -> str:
    return _fernet().encrypt(value.encode()).decode()


def secret_decrypt(token: str) -> str:
    try:
        return _fernet().decrypt(token.encode()).decode()
    except InvalidToken as exc:
        raise SecretUnreadable("a stored secret cannot be decrypted with the configured LCM_ENCRYPTION_KEY") from exc


class EncryptedTextField(models.TextField):
    """A text column holding ciphertext; Python code sees the plain value. Empty stays empty."""

    def from_db_value(self, value, expression, connection):
        if not value:
            return value
        return secret_decrypt(value)

    def get_prep_value(self, value):
        value = super().get_prep_value(value)
        if not value:
            return value
        return secret_encrypt(value)


# --- stored secrets, named by reference -----------------------------------------------------------


def secret_is_ref(value: Any) -> bool:
    return isinstance(value, str) and value.startswith(REF_PREFIX)


def secret_ref_exists(value: str) -> bool:
    from lifecycle.engine.models import StoredSecret

    return secret_is_ref(value) and StoredSecret.objects.filter(ref=value[len(REF_PREFIX) :]).exists()


def secret_resolve(value: str, *, path: str = "password") -> str:
    """A literal secret as it is; a reference replaced by the stored value (``path`` names the field
    in the error when there is no such stored secret)."""
    if not secret_is_ref(value):
        return value
    from lifecycle.engine.models import StoredSecret

    row = StoredSecret.objects.filter(ref=value[len(REF_PREFIX) :]).first()
    if row is None:
        raise ValidationFailed.field(path, f"no stored secret {value}")
    return row.value


def secret_store(value: str, *, label: str) -> str:
    """Keep a literal secret and return its reference; a reference is returned as it is (after a check)."""
    from lifecycle.engine.models import StoredSecret

    if secret_is_ref(value):
        secret_resolve(value, path=label)
        return value
    row = StoredSecret.objects.create(ref=random.token_hex(8), value=value, label=label)
    return REF_PREFIX + row.ref


# --- declared paths ---------------------------------------------------------------------------------

# A path's steps: a key (".name", or '["a.key"]' for a key with dots or brackets), an index ("[3]"),
# or a wildcard ("[*]" for every item, ".*" for every key).
_TOKEN = re.compile(r'\["((?:[^"\\]|\\.)*)"\]|\[(\d+|\*)\]|([^.\[\]]+)')


_EVERY = object()  # the wildcard step


def _tokens(path: str) -> list[Any]:
    tokens: list[Any] = []
    for quoted, index, name in _TOKEN.findall(path):
        if index or name:
            step = index or name
            tokens.append(_EVERY if step == "*" else int(step) if index else step)
        else:
            tokens.append(re.sub(r"\\(.)", r"\1", quoted))
    return tokens


def path_join(path: str, key: str | int) -> str:
    """The path of ``key`` (an index or a dictionary key) inside the value at ``path``."""
    if isinstance(key, int):
        return f"{path}[{key}]"
    if re.search(r'[.\[\]"\\]', key) or key in ("*", ""):
        quoted = key.replace("\\", "\\\\").replace('"', '\\"')
        return f'{path}["{quoted}"]'
    return f"{path}.{key}" if path else key


def secret_values(data: Any, paths: Iterable[str]) -> list[tuple[str, Any]]:
    """(path, value) of every value in ``data`` at one of the declared ``paths``, wildcards expanded."""
    found: list[tuple[str, Any]] = []

    def walk(value: Any, tokens: list, path: str) -> None:
        if not tokens:
            found.append((path, value))
            return
        token, rest = tokens[0], tokens[1:]
        if token is _EVERY:
            if isinstance(value, dict):
                for key, item in value.items():
                    walk(item, rest, path_join(path, str(key)))
            elif isinstance(value, list):
                for index, item in enumerate(value):
                    walk(item, rest, path_join(path, index))
        elif isinstance(token, int):
            if isinstance(value, list) and 0 <= token < len(value):
                walk(value[token], rest, path_join(path, token))
        elif isinstance(value, dict) and token in value:
            walk(value[token], rest, path_join(path, token))

    for pattern in paths:
        walk(data, _tokens(pattern), "")
    seen: set[str] = set()
    unique = []
    for p, v in found:  # a value two patterns reach is listed once, where first reached
        if p not in seen:
            seen.add(p)
            unique.append((p, v))
    return unique


def path_set(data: Any, path: str, value: Any) -> None:
    """Set the value at a concrete path (no wildcards) that exists up to its last key."""
    keys = _tokens(path)
    for key in keys[:-1]:
        data = data[key]
    data[keys[-1]] = value


def secrets_mask(data: Any, paths: Iterable[str]) -> tuple[Any, dict[str, str]]:
    """(a copy with every declared secret as PLACEHOLDER, {path: secret}). Empty secrets stay empty
    (nothing to hide), and so do placeholders already there."""
    import copy

    masked = copy.deepcopy(data)
    found = {}
    for path, value in secret_values(masked, paths):
        if isinstance(value, str) and value not in ("", PLACEHOLDER):
            found[path] = value
            path_set(masked, path, PLACEHOLDER)
    return masked, found


def secrets_unmask(masked: Any, found: dict[str, str]) -> Any:
    """Put the secrets back where a masked copy shows PLACEHOLDER (the inverse of secrets_mask)."""
    import copy

    data = copy.deepcopy(masked)
    present = dict(secret_values(data, found))
    for path, secret in found.items():
        if present.get(path) == PLACEHOLDER:
            path_set(data, path, secret)
    return data


def secrets_redact(text: str, values: Iterable[str]) -> str:
    """Free text (a log line, an error message) with every occurrence of a secret value as MASK."""
    for value in sorted((v for v in values if v and len(v) >= 3), key=len, reverse=True):
        text = text.replace(value, MASK)
    return text

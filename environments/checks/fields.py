"""The field checks every part of a definition uses: an object with known keys, a string, a secret."""

from __future__ import annotations

import re
from typing import Any

from environments.checks.report import CheckReport
from lifecycle.secrets import PLACEHOLDER, secret_is_ref, secret_ref_exists


class FieldChecks(CheckReport):
    """Checks of one field of a JSON object, reported at its path."""

    _environment_id: str | None  # when replacing: the environment the definition replaces

    def _fields(self, check: str, obj: Any, path: str, known: set[str], *, shape: str = "an object") -> bool:
        """Whether ``obj`` is an object; each key it has beyond ``known`` fails as an unknown field."""
        if not isinstance(obj, dict):
            self.fail(check, path, f"must be {shape}")
            return False
        for key in sorted(set(obj) - known):
            self.fail(check, f"{path}.{key}", "unknown field")
        return True

    def _string(
        self,
        obj: dict,
        key: str,
        path: str,
        *,
        required: bool = False,
        pattern: str | None = None,
        pattern_help: str = "",
    ) -> bool:
        if key not in obj or obj[key] in (None, ""):
            if required:
                self.fail("schema", path, "required")
            return False
        if not isinstance(obj[key], str):
            self.fail("schema", path, f"must be a string, not {type(obj[key]).__name__}")
            return False
        if pattern and not re.fullmatch(pattern, obj[key]):
            self.fail("schema", path, f"'{obj[key]}' is not valid: {pattern_help}")
            return False
        return True

    def _secret(self, obj: dict, key: str, path: str, *, required: bool = False) -> None:
        if key not in obj or obj[key] in (None, ""):
            if required:
                self.fail("schema", path, "required")
            return
        value = obj[key]
        if not isinstance(value, str):
            self.fail("schema", path, "must be a string")
        elif value == PLACEHOLDER and self._environment_id is None:
            self.fail(
                "schema",
                path,
                f"'{PLACEHOLDER}' keeps a stored secret only when replacing an "
                "existing environment; give the secret or a ref:password:<id> reference",
            )
        elif secret_is_ref(value) and not secret_ref_exists(value):
            self.fail("schema", path, f"no stored secret {value}")

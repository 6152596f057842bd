"""Reading the JSON documents people hand to `-f` (a file, or stdin for '-')."""

from __future__ import annotations

import json
import sys
from pathlib import Path

from lcm.errors import UsageError


def spec_read(source: str) -> dict:
    """A JSON object from a file, or from stdin for '-'."""
    name = "stdin" if source == "-" else source
    try:
        text = sys.stdin.read() if source == "-" else Path(source).read_text()
    except OSError as exc:
        raise UsageError(f"cannot read {name}: {exc.strerror}") from None
    try:
        data = json.loads(text)
    except ValueError as exc:
        raise UsageError(f"{name} is not valid JSON: {exc}") from None
    if not isinstance(data, dict):
        raise UsageError(f"{name} must hold one JSON object, not {type(data).__name__}")
    return data

"""Where `lcm login` keeps the server and token: `$LCM_CONFIG` or `~/.config/lcm/config.json`, mode 0600.

The password is never stored; the token is, so the file is readable by its owner only.
"""

from __future__ import annotations

import json
import os
import tempfile
from pathlib import Path

from lcm.errors import UsageError


def config_path() -> Path:
    if os.environ.get("LCM_CONFIG"):
        return Path(os.environ["LCM_CONFIG"]).expanduser()
    base = os.environ.get("XDG_CONFIG_HOME") or Path.home() / ".config"
    return Path(base) / "lcm" / "config.json"


def config_load(path: Path | None = None) -> dict:
    path = path or config_path()
    try:
        text = path.read_text()
    except FileNotFoundError:
        return {}
    except OSError as exc:
        raise UsageError(f"cannot read {path}: {exc.strerror}") from None
    try:
        data = json.loads(text)
    except ValueError:
        raise UsageError(f"{path} is not valid JSON; delete it and run `lcm login` again") from None
    return data if isinstance(data, dict) else {}


def config_save(data: dict, path: Path | None = None) -> Path:
    """Write atomically; the file is created 0600 (never world-readable, not even for a moment)."""
    path = path or config_path()
    try:
        path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(prefix=".config-", suffix=".json", dir=path.parent)  # mkstemp: mode 0600
        try:
            with os.fdopen(fd, "w") as f:
                json.dump(data, f, indent=2)
                f.write("\n")
            os.chmod(tmp, 0o600)
            os.replace(tmp, path)
        except BaseException:
            Path(tmp).unlink(missing_ok=True)
            raise
    except OSError as exc:
        raise UsageError(f"cannot write {path}: {exc.strerror}") from None
    return path

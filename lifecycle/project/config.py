"""Reading the environment: data directory, database URL and the keys kept under the data directory.

Imported by settings.py, so nothing here may import Django models.
"""

import os
import secrets
from pathlib import Path
from urllib.parse import parse_qsl, unquote, urlsplit

from lifecycle.errors import ApplicationError


class ConfigurationError(ApplicationError):
    """An environment variable or a file under the data directory is wrong; the message says which."""


def env_bool(name: str, default: bool) -> bool:
    value = os.environ.get(name)
    if value is None or value == "":
        return default
    if value.lower() in ("1", "true", "yes", "on"):
        return True
    if value.lower() in ("0", "false", "no", "off"):
        return False
    raise ConfigurationError(f"{name}={value!r} is not a boolean (use true or false)")


def env_list(name: str, default: list[str]) -> list[str]:
    value = os.environ.get(name)
    if not value:
        return default
    return [item.strip() for item in value.split(",") if item.strip()]


def data_dir() -> Path:
    path = Path(os.environ.get("LCM_DATA_DIR") or "var").resolve()
    path.mkdir(parents=True, exist_ok=True)
    return path


def _key_file(path: Path, make) -> str:
    """Read a key file, creating it (mode 0600) on first use. Safe when several processes race."""
    if not path.exists():
        try:
            fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        except FileExistsError:
            pass
        else:
            with os.fdopen(fd, "w") as f:
                f.write(make())
    for _ in range(50):
        value = path.read_text().strip()
        if value:
            return value
        import time

        time.sleep(0.01)  # another process created the file and is still writing it
    raise ConfigurationError(f"{path} is empty")


def secret_key_load(directory: Path) -> str:
    """Django's SECRET_KEY (sessions, CSRF): LCM_SECRET_KEY, else a key generated into the data dir."""
    return os.environ.get("LCM_SECRET_KEY") or _key_file(directory / "secret_key", lambda: secrets.token_urlsafe(50))


def encryption_keys_load(directory: Path) -> list[str]:
    """Fernet keys for secrets at rest, newest first.

    LCM_ENCRYPTION_KEY (comma-separated, for rotation) must be the same on every machine that runs a
    web process or a worker; without it a key is generated into the data directory, which suits the
    embedded single-machine default.
    """
    value = os.environ.get("LCM_ENCRYPTION_KEY")
    if not value:
        from cryptography.fernet import Fernet

        value = _key_file(directory / "encryption_key", lambda: Fernet.generate_key().decode())
    return [key.strip() for key in value.split(",") if key.strip()]


def database_from_url(url: str | None, directory: Path) -> dict:
    """A DATABASES entry from DATABASE_URL (postgres://… or sqlite:///…); SQLite under the data dir by default."""
    if not url:
        return _sqlite(directory / "lcm.sqlite3")
    parts = urlsplit(url)
    if parts.scheme == "sqlite":
        path = unquote(parts.path)
        if not path or path == "/":
            raise ConfigurationError("DATABASE_URL sqlite:/// needs a file path")
        return _sqlite(Path(path[1:] if path.startswith("//") else path))
    if parts.scheme in ("postgres", "postgresql", "pgsql"):
        options = dict(parse_qsl(parts.query))
        return {
            "ENGINE": "django.db.backends.postgresql",
            "NAME": unquote(parts.path.lstrip("/")) or "lcm",
            "USER": unquote(parts.username or ""),
            "PASSWORD": unquote(parts.password or ""),
            "HOST": parts.hostname or "",
            "PORT": str(parts.port or ""),
            "CONN_MAX_AGE": 60,
            "CONN_HEALTH_CHECKS": True,
            "OPTIONS": options,
            "TEST": {"NAME": os.environ.get("LCM_TEST_DATABASE_NAME") or None},
        }
    raise ConfigurationError(f"DATABASE_URL scheme {parts.scheme!r} is not supported (use postgres:// or sqlite:///)")


def embedded_broker_options(directory: Path) -> dict:
    """CELERY_BROKER_TRANSPORT_OPTIONS of the embedded broker, whose messages are files under directory."""
    queue, control = directory / "queue", directory / "control"
    queue.mkdir(parents=True, exist_ok=True)
    control.mkdir(parents=True, exist_ok=True)
    return {
        "data_folder_in": str(queue),
        "data_folder_out": str(queue),
        "control_folder": str(control),
        # The transport polls its folder; the default second would add a second to every action.
        "polling_interval": 0.1,
    }


def _sqlite(path: Path) -> dict:
    path.parent.mkdir(parents=True, exist_ok=True)
    # The web process and the workers share the file: WAL lets readers run beside the one writer,
    # IMMEDIATE takes the write lock at BEGIN (no upgrade deadlocks), and timeout waits for it.
    return {
        "ENGINE": "django.db.backends.sqlite3",
        "NAME": str(path),
        "OPTIONS": {
            "transaction_mode": "IMMEDIATE",
            "timeout": 30,
            "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
        },
        # Tests share the database with a real worker process, so it must be a file, not :memory:.
        "TEST": {"NAME": os.environ.get("LCM_TEST_DATABASE_NAME") or str(path.with_name("test-" + path.name))},
    }

"""Settings of the test suite: the pytest process and the worker processes its tests start.

A test session (one pytest run) has a directory and a queue of its own. The pytest process creates
them when it loads these settings; the workers it starts receive them as LCM_TEST_DIR and LCM_QUEUE
(tests/conftest.py, worker_env). So the processes of one session share a database, a broker folder,
an encryption key and a repository, and no other session's.
"""

import os
import tempfile
from pathlib import Path

from lifecycle.project.config import embedded_broker_options
from lifecycle.project.settings import *  # noqa: F403
from lifecycle.project.settings import DATABASES, LCM_EMBEDDED_BROKER, STORAGES

# Set in a worker that the session started; unset in the pytest process, which starts the session.
_session_dir = os.environ.get("LCM_TEST_DIR")
LCM_TEST_DIR = Path(_session_dir) if _session_dir else Path(tempfile.mkdtemp(prefix="lcm-test-"))

# The encryption key of stored secrets is generated into DATA_DIR: one key for the whole session.
DATA_DIR = LCM_TEST_DIR
LCM_REPOSITORY_DIR = Path((_session_dir and os.environ.get("LCM_REPOSITORY_DIR")) or LCM_TEST_DIR / "repository")

# The test database is a file (sqlite) or a database (PostgreSQL) that the workers open too.
_sqlite = DATABASES["default"]["ENGINE"].endswith("sqlite3")
DATABASES = {
    "default": {
        **DATABASES["default"],
        "TEST": {"NAME": str(LCM_TEST_DIR / "test.sqlite3") if _sqlite else f"test_lcm_{os.getpid()}"},
    }
}

if not _session_dir:
    CELERY_TASK_DEFAULT_QUEUE = f"lcm-test-{os.getpid()}"
if LCM_EMBEDDED_BROKER:
    CELERY_BROKER_TRANSPORT_OPTIONS = embedded_broker_options(LCM_TEST_DIR / "broker")

# Pages link static files by name; the hashed manifest exists only after collectstatic (make run).
STORAGES = {**STORAGES, "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"}}
# Tests create users by the hundred; the production hasher costs a quarter of a second each.
PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]

"""Shared test set-up: a private data directory, broker queue and database per test session, and a
real Celery worker process that runs tasks against the same database as the tests."""
import os
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import pytest
from cryptography.fernet import Fernet
from django.conf import settings

pytest_plugins = ["tests.vcsim", "tests.fakes.appliances"]

REPO = Path(__file__).resolve().parent.parent
TEST_DIR = Path(tempfile.mkdtemp(prefix="lcm-test-"))
QUEUE = f"lcm-test-{os.getpid()}"
# One key for the test process and its workers (set before anything encrypts).
os.environ.setdefault("LCM_ENCRYPTION_KEY", Fernet.generate_key().decode())

# Pages link static files by name; the hashed manifest exists only after collectstatic (make run).
settings.STORAGES = {**settings.STORAGES, "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"}}

# Celery reads Django's settings lazily, on first use: point it at this session's queue and folders.
settings.CELERY_TASK_DEFAULT_QUEUE = QUEUE
if settings.LCM_EMBEDDED_BROKER:
    settings.CELERY_BROKER_TRANSPORT_OPTIONS = {
        "data_folder_in": str(TEST_DIR / "broker" / "queue"),
        "data_folder_out": str(TEST_DIR / "broker" / "queue"),
        "control_folder": str(TEST_DIR / "broker" / "control"),
        "polling_interval": 0.1,
    }
    for folder in ("queue", "control"):
        (TEST_DIR / "broker" / folder).mkdir(parents=True, exist_ok=True)


def _is_sqlite() -> bool:
    return settings.DATABASES["default"]["ENGINE"].endswith("sqlite3")


@pytest.fixture(scope="session")
def django_db_modify_db_settings():
    """A test database of our own, as a file a worker process can open too."""
    test = settings.DATABASES["default"].setdefault("TEST", {})
    test["NAME"] = str(TEST_DIR / "test.sqlite3") if _is_sqlite() else f"test_lcm_{os.getpid()}"


def worker_env(**overrides) -> dict:
    """Environment for a worker process that shares this test session's database and queue."""
    db = settings.DATABASES["default"]
    if _is_sqlite():
        database_url = f"sqlite:///{db['NAME']}"
    else:
        auth = db["USER"] + (f":{db['PASSWORD']}" if db["PASSWORD"] else "")
        database_url = f"postgres://{auth}@{db['HOST'] or 'localhost'}:{db['PORT'] or 5432}/{db['NAME']}"
    env = dict(os.environ)
    env.update(
        DATABASE_URL=database_url,
        LCM_DATA_DIR=str(TEST_DIR),
        LCM_QUEUE=QUEUE,
        LCM_HEARTBEAT_INTERVAL="0.5",
        LCM_HEARTBEAT_TIMEOUT="6",
        LCM_SWEEP_INTERVAL="1",
        PYTHONPATH=str(REPO),
    )
    env.update(overrides)
    return env


class Worker:
    """A real `celery worker` process (and its pool children) in its own process group."""

    def __init__(self, name: str, concurrency: int = 3, **env):
        self.log_path = TEST_DIR / f"worker-{name}-{time.monotonic_ns()}.log"
        self.log = open(self.log_path, "w")
        self.process = subprocess.Popen(
            [sys.executable, "-m", "celery", "-A", "lifecycle.project", "worker", "--loglevel", "INFO",
             "--concurrency", str(concurrency), "--hostname", f"{name}-{os.getpid()}@%h",
             "--include", "tests.lifecycle.operations", "--without-mingle", "--without-gossip"],
            cwd=REPO, env=worker_env(**env), stdout=self.log, stderr=subprocess.STDOUT, start_new_session=True,
        )
        self._wait_ready()

    def _wait_ready(self, timeout: float = 60) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"the worker exited at start:\n{self.log_path.read_text()}")
            if " ready." in self.log_path.read_text():
                return
            time.sleep(0.1)
        raise RuntimeError(f"the worker did not become ready in {timeout}s:\n{self.log_path.read_text()}")

    def kill(self) -> None:
        """Die like a machine that lost power: SIGKILL to the worker and its pool processes."""
        try:
            os.killpg(self.process.pid, signal.SIGKILL)
        except ProcessLookupError:
            pass
        self.process.wait(timeout=10)

    def stop(self) -> None:
        """Tests need no graceful shutdown: whatever a test left running dies with the worker."""
        if self.process.poll() is None:
            self.kill()
        self.log.close()


@pytest.fixture(scope="session")
def worker_factory(django_db_setup, django_db_blocker):
    started = []

    def start(name: str = "extra", **kwargs) -> Worker:
        started.append(Worker(name, **kwargs))
        return started[-1]

    yield start
    for w in started:
        w.stop()


@pytest.fixture(scope="session")
def worker(worker_factory) -> Worker:
    """The session's worker. Tests that use it must commit their data: use `transactional_db`."""
    return worker_factory("main")


@pytest.fixture
def api(django_user_model):
    """A REST client with a bearer token of an ordinary user, as the CLI and scripts have."""
    from rest_framework.test import APIClient

    django_user_model.objects.create_user(username="ops", password="ops-password-1")
    client = APIClient()
    answer = client.post("/api/v1/auth/token", {"username": "ops", "password": "ops-password-1"}, format="json")
    assert answer.status_code == 200, answer.content
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {answer.json()['token']}")
    return client


@pytest.fixture
def pages(admin_client):
    """An administrator's browser that keeps every page it was shown (tests.helpers.Pages)."""
    from tests.helpers import Pages

    return Pages(admin_client)

"""Shared test set-up: a private data directory, broker queue and database per test session, and a
real Celery worker process that runs tasks against the same database as the tests."""

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from django.conf import settings

pytest_plugins = ["tests.vcsim", "tests.fakes.appliances"]

REPO = Path(__file__).resolve().parent.parent
# This session's directory and queue come from lifecycle/project/test_settings.py (pyproject's
# DJANGO_SETTINGS_MODULE), which makes them when pytest-django loads the settings.


def _is_sqlite() -> bool:
    return settings.DATABASES["default"]["ENGINE"].endswith("sqlite3")


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
        DJANGO_SETTINGS_MODULE="lifecycle.project.test_settings",
        DATABASE_URL=database_url,
        LCM_TEST_DIR=str(settings.LCM_TEST_DIR),
        LCM_DATA_DIR=str(settings.LCM_TEST_DIR),
        LCM_QUEUE=settings.CELERY_TASK_DEFAULT_QUEUE,
        LCM_REPOSITORY_DIR=str(settings.LCM_REPOSITORY_DIR),
        LCM_HEARTBEAT_INTERVAL="0.5",
        LCM_HEARTBEAT_TIMEOUT="6",
        LCM_SWEEP_INTERVAL="1",
        LCM_APPLIANCE_PORTS=",".join(f"{key}={port}" for key, port in settings.LCM_APPLIANCE_PORTS.items()),
        PYTHONPATH=str(REPO),
    )
    env.update(overrides)
    return env


class Worker:
    """A real `celery worker` process (and its pool children) in its own process group."""

    def __init__(self, name: str, concurrency: int = 3, **env):
        self.log_path = settings.LCM_TEST_DIR / f"worker-{name}-{time.monotonic_ns()}.log"
        self.log = open(self.log_path, "w")
        self.process = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "celery",
                "-A",
                "lifecycle.project",
                "worker",
                "--loglevel",
                "INFO",
                "--concurrency",
                str(concurrency),
                "--hostname",
                f"{name}-{os.getpid()}@%h",
                "--include",
                "tests.lifecycle.operations",
                "--without-mingle",
                "--without-gossip",
            ],
            cwd=REPO,
            env=worker_env(**env),
            stdout=self.log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
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

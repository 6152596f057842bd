"""`make run` end to end: `manage.py serve` on the embedded default serves the app and a worker,
and Ctrl-C stops both."""

import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest
import requests

REPO = Path(__file__).resolve().parent.parent
pytestmark = [pytest.mark.worker, pytest.mark.vcsim]


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _wait_http(url: str, process, timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        assert process.poll() is None, "serve exited early"
        try:
            requests.get(url, timeout=5)
            return
        except (requests.ConnectionError, requests.Timeout):  # not listening yet, or still importing Django
            time.sleep(0.2)
    raise AssertionError(f"{url} did not answer in {timeout}s")


@pytest.fixture
def served(tmp_path):
    port = _free_port()
    # What `make run` sees: the production settings, not the test session's (pytest-django exported them).
    env = {
        k: v
        for k, v in os.environ.items()
        if k not in ("DATABASE_URL", "CELERY_BROKER_URL", "LCM_QUEUE", "DJANGO_SETTINGS_MODULE")
    }
    env.update(
        LCM_DATA_DIR=str(tmp_path / "data"),
        LCM_BIND=f"127.0.0.1:{port}",
        LCM_WEB_WORKERS="1",
        LCM_WORKER_CONCURRENCY="2",
    )
    env.pop("LCM_ADMIN_USER", None)
    env.pop("LCM_ADMIN_PASSWORD", None)
    out = open(tmp_path / "serve.log", "w+")
    process = subprocess.Popen(
        [sys.executable, "manage.py", "serve"],
        cwd=REPO,
        env=env,
        stdout=out,
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )
    base = f"http://127.0.0.1:{port}"
    try:
        _wait_http(base + "/login/", process)
        yield base, process, tmp_path / "serve.log"
    finally:
        if process.poll() is None:
            os.killpg(process.pid, signal.SIGKILL)
        out.close()


def test_serve_runs_the_app_and_a_worker_and_ctrl_c_stops_both(served, vcsim):
    base, process, log = served
    text = log.read_text()
    password = text.split("with the password: ")[1].split()[0]  # printed once on first start
    assert requests.get(base + "/login/").status_code == 200
    css = requests.get(base + "/static/bootstrap/css/bootstrap.min.css")
    assert css.status_code == 200 and len(css.content) > 100_000  # served locally, no CDN

    token = requests.post(base + "/api/v1/auth/token", json={"username": "admin", "password": password}).json()["token"]
    api = requests.Session()
    api.headers["Authorization"] = f"Bearer {token}"
    probe = api.post(base + "/api/v1/certificates/probe", json={"fqdn": vcsim.fqdn, "port": vcsim.port}).json()
    assert probe["thumbprint"] == vcsim.certificate.thumbprint
    spec = {
        "componentName": "vc01",
        "fqdn": vcsim.fqdn,
        "port": vcsim.port,
        "username": vcsim.username,
        "password": vcsim.password,
        "content": {"certificate": {"thumbprint": probe["thumbprint"]}},
    }
    answer = api.post(base + "/api/v1/datacenters", json=spec)
    assert answer.status_code == 202, answer.text + log.read_text()[-3000:]
    task_id = answer.json()["taskId"]
    deadline = time.monotonic() + 60
    while (task := api.get(f"{base}/api/v1/tasks/{task_id}").json())["status"] in ("NOT_STARTED", "IN_PROGRESS"):
        assert time.monotonic() < deadline, task
        time.sleep(0.2)
    assert task["status"] == "SUCCESS", task["message"]

    process.send_signal(signal.SIGINT)  # what Ctrl-C in `make run` delivers
    assert process.wait(timeout=30) == 0
    assert "Stopped the web server and the worker." in log.read_text()
    leftovers = subprocess.run(["pgrep", "-f", f"LCM_DATA_DIR={log.parent}"], capture_output=True, text=True)
    assert leftovers.stdout == ""
    with pytest.raises(requests.ConnectionError):
        requests.get(base + "/login/", timeout=2)

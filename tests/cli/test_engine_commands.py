"""lcm against a real server (live_server): login, about, errors, and the task commands with a real worker."""

import json
import os
import stat
import subprocess
import sys
from datetime import timedelta
from pathlib import Path

import pytest
from django.utils import timezone

import tests.lifecycle.operations  # noqa: F401  (the engine's test operations, known to the worker too)
from lifecycle.engine import services
from lifecycle.engine.models import ApiToken, Status
from tests.cli.conftest import PASSWORD
from tests.helpers import action_wait, task_wait

LCM = Path(sys.executable).parent / "lcm"


def _steps(key="test:cli", **request):
    return services.task_create(
        operation="test.steps", target_type="test", target_name=key.split(":")[-1], target_key=key, request=request
    )


# --- login, about, and what goes wrong on the way to the server ---


def test_login_keeps_a_token_in_a_0600_file_and_never_the_password(lcm, lcm_env, live_server, user):
    result = lcm(
        "login", "--server", live_server.url + "/", "-u", "operator", "--password-stdin", stdin=PASSWORD + "\n"
    )
    assert result.code == 0, result.err
    assert f"Logged in to {live_server.url} as operator" in result.out
    assert stat.S_IMODE(lcm_env.stat().st_mode) == 0o600
    assert stat.S_IMODE(lcm_env.parent.stat().st_mode) == 0o700
    saved = json.loads(lcm_env.read_text())
    assert set(saved) == {"server", "username", "token", "expiresAt"} and saved["server"] == live_server.url
    assert PASSWORD not in lcm_env.read_text() and saved["token"] not in result.out

    about = lcm("about")  # server and token come from the file now
    assert about.code == 0, about.err
    assert "Provider Lifecycle Manager" in about.out and f"Server:    {live_server.url}" in about.out
    data = lcm("about", "--json").json()
    assert data["name"] == "Provider Lifecycle Manager" and data["apiVersion"] == "v1"


def test_login_with_a_wrong_password_is_refused_clearly(lcm, lcm_env, live_server, user):
    result = lcm("login", "--server", live_server.url, "-u", "operator", "--password-stdin", stdin="wrong\n")
    assert result.code == 2
    assert "error: login refused: wrong username or password" in result.err
    assert "wrong" not in result.out and "Traceback" not in result.err
    assert not lcm_env.exists()


def test_the_console_script_logs_in_and_answers_json(live_server, user, lcm_env, tmp_path):
    env = {**os.environ, "LCM_CONFIG": str(lcm_env)}
    login = subprocess.run(
        [LCM, "login", "--server", live_server.url, "--username", "operator", "--password-stdin"],
        input=PASSWORD + "\n",
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert login.returncode == 0, login.stderr
    about = subprocess.run([LCM, "about", "--json"], env=env, capture_output=True, text=True, timeout=60)
    assert about.returncode == 0, about.stderr
    assert json.loads(about.stdout)["name"] == "Provider Lifecycle Manager"
    refused = subprocess.run(
        [LCM, "--server", "http://127.0.0.1:1", "about"],
        env={**env, "LCM_TOKEN": "x"},
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert refused.returncode == 3 and refused.stderr == "error: cannot reach http://127.0.0.1:1: connection refused\n"


def test_an_unreachable_server_exits_3_with_a_plain_message(lcm, closed_port, monkeypatch):
    monkeypatch.setenv("LCM_TOKEN", "anything")
    result = lcm("--server", f"http://127.0.0.1:{closed_port}", "task", "list")
    assert result.code == 3
    assert result.err == f"error: cannot reach http://127.0.0.1:{closed_port}: connection refused\n"
    result = lcm("login", "--server", f"http://127.0.0.1:{closed_port}", "-u", "x", "--password-stdin", stdin="pw\n")
    assert result.code == 3


def test_an_expired_token_asks_to_log_in_again(lcm, logged_in):
    ApiToken.objects.update(expires_at=timezone.now() - timedelta(minutes=1))
    result = lcm("about")
    assert result.code == 2
    assert "the API token is invalid or has expired" in result.err
    assert f"run `lcm login --server {logged_in}`" in result.err


def test_an_invalid_token_from_the_environment_is_named(lcm, live_server, monkeypatch):
    monkeypatch.setenv("LCM_TOKEN", "not-a-token")
    result = lcm("--server", live_server.url, "task", "list")
    assert result.code == 2 and "LCM_TOKEN" in result.err and "lcm login" in result.err


def test_without_a_login_the_cli_says_so_before_asking_the_server(lcm, live_server):
    result = lcm("--server", live_server.url, "about")
    assert result.code == 2
    assert (
        result.err == f"error: not logged in to {live_server.url}\nhint: run `lcm login --server {live_server.url}`\n"
    )


def test_the_saved_token_is_never_sent_to_another_server(lcm, logged_in, closed_port):
    result = lcm("--server", f"http://127.0.0.1:{closed_port}", "about")
    assert result.code == 2 and f"the saved login is for {logged_in}" in result.err


def test_logout_revokes_and_forgets_the_token(lcm, lcm_env, logged_in, monkeypatch):
    token = json.loads(lcm_env.read_text())["token"]
    result = lcm("logout")
    assert result.code == 0 and "revoked and removed" in result.out
    monkeypatch.setenv("LCM_TOKEN", token)  # the old token no longer works anywhere
    assert lcm("about").code == 2
    monkeypatch.delenv("LCM_TOKEN")
    assert "token" not in json.loads(lcm_env.read_text())
    assert stat.S_IMODE(lcm_env.stat().st_mode) == 0o600
    assert lcm("about").code == 2


def test_a_server_that_is_not_the_lifecycle_manager_is_named(lcm, live_server, monkeypatch):
    monkeypatch.setenv("LCM_TOKEN", "x")
    result = lcm("--server", live_server.url + "/static", "about")
    assert result.code == 2
    assert result.err == (
        f"error: {live_server.url}/static/api/v1/about does not exist; "
        f"is {live_server.url}/static the Provider Lifecycle Manager?\n"
    )


# --- tasks, run by a real worker ---


@pytest.mark.worker
def test_task_watch_follows_a_task_to_success(lcm, logged_in, worker):
    task = _steps(sleep=0.6)
    result = lcm("task", "watch", str(task.pk))
    assert result.code == 0, result.err
    *progress, end = result.out.splitlines()
    lines = [line.split("  ", 1)[1] for line in progress]  # after the time
    assert lines[0] == f"Task {task.pk}: Engine test: steps cli"
    assert "SUCCESS          First step" in lines
    assert any(line.startswith("IN_PROGRESS") and "Slow step" in line for line in lines)  # progress as it goes
    assert lines[-1] == f"task {task.pk} SUCCESS" and end.startswith(f"Task {task.pk} succeeded in ")


@pytest.mark.worker
def test_task_watch_of_a_failed_task_exits_1_with_the_failed_actions_message(lcm, logged_in, worker):
    task = _steps(fail=True, password="pw-never-shown")
    result = lcm("task", "watch", str(task.pk))
    assert result.code == 1
    assert f"error: task {task.pk} (Engine test: steps) failed" in result.err
    assert "Step that may fail: ERROR" in result.err and "the input says fail" in result.err
    assert f"lcm task restart {task.pk}" in result.err
    assert "pw-never-shown" not in result.out + result.err

    result = lcm("task", "watch", str(task.pk), "--json")  # already ended: the final state, for scripts
    assert result.code == 1 and json.loads(result.out)["status"] == "ERROR"


@pytest.mark.worker
def test_task_list_get_and_request(lcm, logged_in, worker):
    ok = task_wait(_steps(key="test:one", label="first").pk)
    failed = task_wait(_steps(key="test:two", fail=True, password="pw-secret-1").pk)
    assert (ok.status, failed.status) == (Status.SUCCESS, Status.ERROR)

    listing = lcm("task", "list")
    assert listing.code == 0, listing.err
    rows = listing.out.splitlines()
    assert rows[0].split() == ["ID", "STATUS", "OPERATION", "TARGET", "CREATED", "BY", "DURATION", "MESSAGE"]
    assert rows[1].split()[:4] == [str(failed.pk), "ERROR", "test.steps", "test"]  # newest first
    assert rows[2].split()[:2] == [str(ok.pk), "SUCCESS"]

    only_errors = lcm("task", "list", "--status", "error", "--json").json()
    assert only_errors["count"] == 1 and [t["id"] for t in only_errors["results"]] == [failed.pk]
    assert [t["id"] for t in lcm("task", "list", "--target", "one", "--json").json()["results"]] == [ok.pk]
    limited = lcm("task", "list", "--limit", "1")
    assert len(limited.out.splitlines()) == 2 and "1 of 2 tasks shown" in limited.err

    detail = lcm("task", "get", str(failed.pk), "--log")
    assert detail.code == 0, detail.err
    assert "Status:     ERROR" in detail.out and "Operation:  Engine test: steps (test.steps)" in detail.out
    table = detail.out[detail.out.index("STATUS  ") :].splitlines()
    assert table[0].split() == ["STATUS", "ACTION", "DURATION", "MESSAGE"]
    assert [r.split()[0] for r in table[1:4]] == ["SUCCESS", "SUCCESS", "ERROR"]
    assert "--- Step that may fail (ERROR) ---" in detail.out and "checking the input" in detail.out
    assert "pw-secret-1" not in detail.out
    assert lcm("task", "get", str(failed.pk), "--json").json()["subTasks"][0]["name"] == "first"

    request = lcm("task", "request", str(failed.pk))
    assert request.code == 0 and json.loads(request.out) == {"fail": True, "password": "$encrypted$"}

    missing = lcm("task", "get", "999999")
    assert missing.code == 2 and missing.err == "error: task 999999 does not exist\n"


@pytest.mark.worker
def test_cancel_then_restart_with_corrected_input(lcm, logged_in, worker, tmp_path):
    task = _steps(sleep=30, password="pw-kept")
    action_wait(task.pk, "slow", Status.IN_PROGRESS)
    result = lcm("task", "cancel", str(task.pk), "--wait")
    assert result.code == 1 and f"task {task.pk} (Engine test: steps) was cancelled" in result.err

    again = lcm("task", "cancel", str(task.pk))
    assert again.code == 2 and "has already ended" in again.err

    corrected = tmp_path / "corrected.json"
    corrected.write_text(json.dumps({"sleep": 0.2, "password": "$encrypted$"}))
    result = lcm("task", "restart", str(task.pk), "-f", str(corrected), "--wait")
    assert result.code == 0, result.err
    assert "(attempt 2)" in result.out and f"Task {task.pk} succeeded" in result.out
    detail = lcm("task", "get", str(task.pk)).out
    assert "Attempt:    2 (earlier attempts: 1; --json shows them)" in detail

    bad = tmp_path / "bad.json"
    bad.write_text(json.dumps({"sleep": "long"}))
    failed = task_wait(_steps(key="test:other", fail=True).pk)
    result = lcm("task", "restart", str(failed.pk), "-f", str(bad))
    assert result.code == 2 and "sleep: must be a number of seconds" in result.err

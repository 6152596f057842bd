"""Running `lcm` in-process (as `lcm.main.main([...])`) against a real server: pytest-django's live_server."""

from __future__ import annotations

import io
import json
import socket
from dataclasses import dataclass

import pytest

from lcm.main import main

PASSWORD = "correct-horse-battery"


@dataclass
class Run:
    code: int
    out: str
    err: str

    def json(self):
        return json.loads(self.out)


@pytest.fixture(autouse=True)
def lcm_env(tmp_path, monkeypatch):
    """Each test has its own config file and no server or token from the person running the tests."""
    for name in ("LCM_SERVER", "LCM_TOKEN", "LCM_USERNAME", "XDG_CONFIG_HOME"):
        monkeypatch.delenv(name, raising=False)
    config = tmp_path / "lcm-home" / "config.json"
    monkeypatch.setenv("LCM_CONFIG", str(config))
    monkeypatch.setenv("LCM_WATCH_INTERVAL", "0.2")
    return config


@pytest.fixture
def lcm(capsys, monkeypatch):
    """lcm("task", "list", stdin="…") → Run(code, out, err)."""

    def run(*argv: str, stdin: str | None = None) -> Run:
        capsys.readouterr()  # drop anything printed before
        if stdin is not None:
            monkeypatch.setattr("sys.stdin", io.StringIO(stdin))
        code = main(list(argv))
        out, err = capsys.readouterr()
        return Run(code, out, err)

    return run


@pytest.fixture
def user(transactional_db, django_user_model):
    return django_user_model.objects.create_user(username="operator", password=PASSWORD)


@pytest.fixture
def logged_in(lcm, live_server, user):
    """`lcm login` done against the live server; returns the server URL."""
    result = lcm(
        "login", "--server", live_server.url, "--username", user.username, "--password-stdin", stdin=PASSWORD + "\n"
    )
    assert result.code == 0, result.err
    return live_server.url


@pytest.fixture
def closed_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]

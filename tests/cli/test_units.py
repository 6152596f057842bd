"""The CLI's own parts, without a server: parsing, tables, config file, error output, the watch views."""

import io
import json
import os
import stat
import subprocess
import sys

import pytest

from lcm import output
from lcm.client import server_normalize
from lcm.commands import task as task_commands
from lcm.config import config_load, config_save
from lcm.errors import ApiError, UsageError
from lcm.main import error_print, parser_build


def test_the_cli_never_imports_django_or_the_servers_apps():
    """The CLI shares only the error root (lifecycle.errors, which imports nothing) with the server."""
    code = (
        "import sys, lcm.main; "
        "print(sorted(m for m in sys.modules if m.split('.')[0] in ('django', 'rest_framework', 'lifecycle', "
        "'datacenters', 'environments', 'products', 'celery', 'kombu')))"
    )
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert result.stdout.strip() == "['lifecycle', 'lifecycle.errors']"


def test_global_options_work_before_and_after_the_command():
    parser = parser_build()
    before = parser.parse_args(["--json", "--server", "http://a:1", "task", "list"])
    after = parser.parse_args(["task", "list", "--json", "--server", "http://a:1"])
    for args in (before, after):
        assert args.json is True and args.server == "http://a:1" and args.limit == 20
    plain = parser.parse_args(["task", "get", "7"])
    assert plain.json is False and plain.server is None and plain.id == 7


def test_usage_errors_exit_2_without_a_traceback(lcm):
    result = lcm("task", "get", "seven")
    assert result.code == 2 and "'seven' is not a number" in result.err and "Traceback" not in result.err
    assert lcm("task", "list", "--status", "done").code == 2
    assert lcm("--version").code == 0


@pytest.mark.parametrize(
    "given, expected",
    [
        ("lcm.example.com", "https://lcm.example.com"),
        ("http://127.0.0.1:8000/", "http://127.0.0.1:8000"),
        ("https://lcm.example.com/api/v1/", "https://lcm.example.com"),
    ],
)
def test_server_urls_are_normalized(given, expected):
    assert server_normalize(given) == expected


def test_a_server_url_with_another_scheme_is_refused():
    with pytest.raises(UsageError):
        server_normalize("ftp://lcm.example.com")


def test_table_aligns_columns_and_leaves_empty_cells_blank():
    stream = io.StringIO()
    output.table(
        ["ID", "STATUS", "MESSAGE"], [[1, "SUCCESS", None], [12, "ERROR", "login refused\nmore detail"]], stream
    )
    assert stream.getvalue().splitlines() == [
        "ID  STATUS   MESSAGE",
        " 1  SUCCESS",  # numbers to the right
        "12  ERROR    login refused …",
    ]


def test_fields_align_labels_and_skip_empty_values():
    stream = io.StringIO()
    output.fields([("Name", "vc1"), ("Purpose", ""), ("Tags", ["a", "b"]), ("Thumbprint", "AB:CD")], stream)
    assert stream.getvalue().splitlines() == ["Name:        vc1", "Tags:        a, b", "Thumbprint:  AB:CD"]


def test_durations_and_sizes_read_well():
    assert output.fmt_duration("2025-01-01T10:00:00Z", "2025-01-01T10:00:04.25Z") == "4.2s"
    assert output.fmt_duration("2025-01-01T10:00:00Z", "2025-01-01T10:03:05Z") == "3m05s"
    assert output.fmt_duration("2025-01-01T10:00:00+00:00", "2025-01-01T11:02:00+00:00") == "1h02m"
    assert output.fmt_duration("2025-01-01T10:00:00Z", "2025-01-01T10:00:00.021Z") == "21ms"
    assert output.fmt_duration(None) == ""
    assert output.gib(3 * 1024**3 + 512 * 1024**2) == "3.5"
    assert output.gib(None) == ""


def test_config_is_written_0600_even_over_a_readable_file(tmp_path):
    path = tmp_path / "dir" / "config.json"
    path.parent.mkdir()
    path.write_text("{}")
    path.chmod(0o644)
    old = os.umask(0)
    try:
        config_save({"server": "http://a", "token": "t"}, path)
    finally:
        os.umask(old)
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert config_load(path) == {"server": "http://a", "token": "t"}
    assert not [p for p in path.parent.iterdir() if p.name != "config.json"]  # no temporary file left


def test_a_broken_config_file_is_explained(lcm, lcm_env):
    lcm_env.parent.mkdir(parents=True)
    lcm_env.write_text("{not json")
    result = lcm("--server", "http://127.0.0.1:1", "about")
    assert result.code == 2 and "is not valid JSON" in result.err and "lcm login" in result.err


def test_spec_file_problems_exit_2_before_anything_is_sent(lcm, tmp_path, monkeypatch):
    monkeypatch.setenv("LCM_TOKEN", "unused")
    server = ["--server", "http://127.0.0.1:1"]  # nothing listens: the file is checked first
    result = lcm(*server, "datacenter", "register", "-f", str(tmp_path / "missing.json"))
    assert result.code == 2 and "cannot read" in result.err and "missing.json" in result.err
    bad = tmp_path / "bad.json"
    bad.write_text('{"componentName": ')
    result = lcm(*server, "datacenter", "register", "-f", str(bad))
    assert result.code == 2 and "bad.json is not valid JSON" in result.err
    result = lcm(*server, "datacenter", "validate", "-f", "-", stdin="[1, 2]")
    assert result.code == 2 and "one JSON object" in result.err


def test_field_errors_are_printed_as_path_and_problem_once(capsys):
    error_print(
        ApiError(
            "fqdn: this field is required",
            status=400,
            errors={"fqdn": ["this field is required"], "port": ["must be a whole number"]},
        )
    )
    assert capsys.readouterr().err.splitlines() == [
        "error: fqdn: this field is required",
        "  port: must be a whole number",
    ]


def _task(status="IN_PROGRESS", actions=(("SUCCESS", 100, "done"), ("IN_PROGRESS", 40, "copying"))):
    return {
        "id": 5,
        "operation": "test.steps",
        "operationTitle": "Test",
        "target": {"type": "test", "name": "a"},
        "status": status,
        "attempt": 2,
        "progress": 70,
        "precedingTasks": [],
        "subTasks": [
            {"attempt": 2, "position": i, "title": f"Step {i}", "status": s, "progress": p, "message": m, "item": ""}
            for i, (s, p, m) in enumerate(actions, 1)
        ]
        + [
            {
                "attempt": 1,
                "position": 1,
                "title": "Old",
                "status": "ERROR",
                "progress": 0,
                "message": "old",
                "item": "",
            }
        ],
    }


def test_line_view_prints_one_line_per_change_of_the_current_attempt(capsys):
    view = task_commands._Lines()
    view.show(_task())
    view.show(_task())  # nothing changed: nothing printed
    view.show(_task(actions=(("SUCCESS", 100, "done"), ("IN_PROGRESS", 80, "copying"))))
    lines = [line.split("  ", 1)[1] for line in capsys.readouterr().out.splitlines()]
    assert lines[0] == "Task 5: Test a (attempt 2)"
    assert lines[1:] == [
        "SUCCESS          Step 1 — done",
        "IN_PROGRESS 40%  Step 2 — copying",
        "IN_PROGRESS 80%  Step 2 — copying",
    ]
    assert "Old" not in "".join(lines)


class _Terminal(io.StringIO):
    def isatty(self):
        return True


def test_terminal_view_redraws_in_place(monkeypatch):
    terminal = _Terminal()
    monkeypatch.setattr(sys, "stdout", terminal)
    view = task_commands._Screen()
    view.show(_task())
    first = terminal.getvalue()
    view.show(_task(status="SUCCESS", actions=(("SUCCESS", 100, "done"), ("SUCCESS", 100, "copied"))))
    redraw = terminal.getvalue()[len(first) :]
    assert "\x1b[" not in first and first.count("\n") == 3
    assert redraw.startswith("\x1b[3F\x1b[J") and "copied" in redraw


def test_the_end_of_a_failed_task_names_the_failed_action(capsys):
    task = _task(status="ERROR", actions=(("SUCCESS", 100, "done"), ("ERROR", 0, "login refused by vCenter")))
    task["isRetryable"] = True
    assert task_commands.task_end(task, as_json=False) == 1
    err = capsys.readouterr().err
    assert "task 5 (Test) failed" in err and "Step 2: ERROR" in err and "login refused by vCenter" in err
    assert "lcm task restart 5" in err and "old" not in err
    task = _task(status="SUCCESS")
    assert task_commands.task_end(task, as_json=True) == 0
    assert json.loads(capsys.readouterr().out)["id"] == 5

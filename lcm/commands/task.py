"""`lcm task …`, and following a task until it ends (`task watch`, and `--wait` on every change)."""

from __future__ import annotations

import os
import shutil
import sys
import time
from datetime import datetime
from typing import Any

from lcm.client import Client
from lcm.errors import EXIT_FAILED, EXIT_OK, Unreachable
from lcm.output import fields, fmt_duration, fmt_time, json_printed, list_printed, print_json, table
from lcm.spec import spec_read

FINISHED = ("SUCCESS", "ERROR", "CANCELLED")
STATUSES = ("NOT_STARTED", "IN_PROGRESS") + FINISHED
# A watch survives the server being away for this long (a restart, a proxy hiccup).
WATCH_LOST_CONTACT_LIMIT = 60.0


def watch_interval() -> float:
    try:
        return max(float(os.environ.get("LCM_WATCH_INTERVAL", "1")), 0.05)
    except ValueError:
        return 1.0


def current_actions(task: dict) -> list[dict]:
    """The actions of the task's current attempt, in the order they run."""
    attempt = task.get("attempt")
    actions = [a for a in task.get("subTasks") or [] if a.get("attempt") == attempt]
    return sorted(actions, key=lambda a: a.get("position", 0))


def _action_status(action: dict) -> str:
    status = action.get("status", "")
    if status == "IN_PROGRESS" and action.get("progress"):
        return f"{status} {action['progress']}%"
    return status


def action_rows(actions: list[dict]) -> list[list]:
    return [
        [
            _action_status(a),
            a.get("title") or a.get("name"),
            fmt_duration(a.get("startedAt"), a.get("finishedAt")),
            a.get("message"),
        ]
        for a in actions
    ]


def failed_actions(task: dict) -> list[dict]:
    return [a for a in current_actions(task) if a.get("status") in ("ERROR", "CANCELLED")]


def _target(task: dict) -> str:
    target = task.get("target") or {}
    return " ".join(str(v) for v in (target.get("type"), target.get("name")) if v)


def _title(task: dict) -> str:
    return f"Task {task.get('id')}: {task.get('operationTitle') or task.get('operation')} {task.get('target', {}).get('name', '')}".rstrip()


def _waiting_for(task: dict) -> str:
    waiting = [p for p in task.get("precedingTasks") or [] if p.get("status") not in FINISHED]
    if task.get("status") != "NOT_STARTED" or not waiting:
        return ""
    return "waiting for " + ", ".join(f"task {p['id']} ({p.get('operation')}, {p.get('status')})" for p in waiting)


# --- the end of a task, as a person and as a script see it ---


def task_end(task: dict, *, as_json: bool) -> int:
    """Print how the task ended; 0 for SUCCESS, 1 otherwise (the failed action's message on stderr)."""
    if as_json:
        print_json(task)
    status = task.get("status")
    took = fmt_duration(task.get("startedAt"), task.get("finishedAt"))
    if status == "SUCCESS":
        if not as_json:
            print(f"Task {task['id']} succeeded" + (f" in {took}." if took else "."))
        return EXIT_OK
    word = "was cancelled" if status == "CANCELLED" else "failed"
    print(
        f"error: task {task['id']} ({task.get('operationTitle') or task.get('operation')}) {word}"
        + (f" after {took}" if took else "")
        + ".",
        file=sys.stderr,
    )
    failed = failed_actions(task)
    for action in failed:
        print(f"  {action.get('title') or action.get('name')}: {action.get('status')}", file=sys.stderr)
        for line in (action.get("message") or "(no message)").splitlines():
            print(f"    {line}", file=sys.stderr)
    if task.get("message") and not any(a.get("message") and a["message"] in task["message"] for a in failed):
        print(f"  {task['message']}", file=sys.stderr)
    if task.get("isRetryable"):
        print(
            f"hint: when the cause is fixed, `lcm task restart {task['id']}` runs it again from the failed action"
            + (" (`-f corrected.json` to change the input)" if status == "ERROR" else ""),
            file=sys.stderr,
        )
    return EXIT_FAILED


class _Lines:
    """Not a terminal (a log, a pipe, CI): one line for each change, with the time it was seen."""

    def __init__(self):
        self.seen: dict = {}

    def _say(self, text: str) -> None:
        print(f"{datetime.now():%H:%M:%S}  {text}", flush=True)

    def show(self, task: dict) -> None:
        attempt = task.get("attempt")
        if self.seen.get("attempt") != attempt:
            self.seen["attempt"] = attempt
            self._say(_title(task) + (f" (attempt {attempt})" if attempt and attempt > 1 else ""))
        waiting = _waiting_for(task)
        if waiting and self.seen.get("waiting") != waiting:
            self._say(waiting)
        self.seen["waiting"] = waiting
        for action in current_actions(task):
            key = (attempt, action.get("position"), action.get("item"))
            state = (action.get("status"), action.get("progress"), action.get("message"))
            if self.seen.get(key) == state or (key not in self.seen and state[0] == "NOT_STARTED"):
                self.seen[key] = state
                continue
            self.seen[key] = state
            message = (action.get("message") or "").strip().splitlines()
            self._say(
                f"{_action_status(action):<16} {action.get('title') or action.get('name')}"
                + (f" — {message[-1]}" if message else "")
            )
        if self.seen.get("status") != task.get("status") and task.get("status") in FINISHED:
            self._say(f"task {task.get('id')} {task.get('status')}")
        self.seen["status"] = task.get("status")


class _Screen:
    """A terminal: the whole picture redrawn in place about once a second."""

    def __init__(self):
        self.height = 0

    def show(self, task: dict) -> None:
        width = shutil.get_terminal_size().columns - 1
        progress = f"{task.get('progress', 0)}%" if task.get("status") == "IN_PROGRESS" else ""
        took = fmt_duration(task.get("startedAt"), task.get("finishedAt"))
        attempt = f"(attempt {task['attempt']})" if (task.get("attempt") or 1) > 1 else ""
        lines = ["  ".join(part for part in (_title(task), attempt, task.get("status"), progress, took) if part)]
        waiting = _waiting_for(task)
        if waiting:
            lines.append("  " + waiting)
        rows = [[str(c or "") for c in r] for r in action_rows(current_actions(task))]
        if rows:
            # Status and duration first, then the title and the latest message: cut at the end, if at all.
            status_width, duration_width = (max(len(r[i]) for r in rows) for i in (0, 2))
            for status, title, duration, message in rows:
                last = message.strip().splitlines()
                lines.append(
                    f"  {status:<{status_width}}  {duration:>{duration_width}}  {title}"
                    + (f" — {last[-1]}" if last else "")
                )
        lines = [line if len(line) <= width else line[: width - 1] + "…" for line in lines]
        out = sys.stdout
        if self.height:
            out.write(f"\x1b[{self.height}F\x1b[J")  # back to the first line of the last picture, clear below
        out.write("\n".join(lines) + "\n")
        out.flush()
        self.height = len(lines)


def task_watch(client: Client, task_id: int, *, as_json: bool = False, interval: float | None = None) -> int:
    interval = interval or watch_interval()
    view = None if as_json else (_Screen() if sys.stdout.isatty() else _Lines())
    lost_since = None
    while True:
        try:
            task = client.get(f"tasks/{task_id}")
        except Unreachable as exc:
            # The server restarting must not end a watch of a long deployment.
            if lost_since is None:
                lost_since = time.monotonic()
                print(f"warning: {exc.message}; still trying", file=sys.stderr)
            if time.monotonic() - lost_since > WATCH_LOST_CONTACT_LIMIT:
                raise
            time.sleep(interval)
            continue
        if lost_since is not None:
            print("contact with the server is back", file=sys.stderr)
            lost_since = None
        if view:
            view.show(task)
        if task.get("status") in FINISHED:
            return task_end(task, as_json=as_json)
        time.sleep(interval)


def task_accepted(client: Client, accepted: dict, *, what: str, wait: bool, as_json: bool) -> int:
    """After a 202: say which task does the work, or follow it to its end with --wait."""
    task_id = accepted["taskId"]
    if wait:
        if not as_json:
            print(f"Task {task_id} queued: {what}.", flush=True)
        return task_watch(client, task_id, as_json=as_json)
    if as_json:
        print_json(accepted)
        return EXIT_OK
    print(f"Task {task_id} queued: {what}.")
    if accepted.get("precedingTasks"):
        print(f"It waits for task(s) {', '.join(str(t) for t in accepted['precedingTasks'])} to finish first.")
    print(f"Follow it with `lcm task watch {task_id}`.")
    return EXIT_OK


def task_options_add(parser, *, confirm: bool = False, wait_help: str = "follow the task until it ends") -> None:
    """The options of a command that starts a task: --wait (for task_accepted) and, where the task destroys
    something, --yes (for delete_confirmed)."""
    if confirm:
        parser.add_argument("--yes", "-y", action="store_true", help="do not ask for confirmation")
    parser.add_argument("--wait", action="store_true", help=wait_help)


# --- the commands ---


def cmd_list(args, client: Client) -> int:
    count, tasks = client.list(
        "tasks",
        limit=args.limit,
        status=args.status,
        operation=args.operation,
        targetName=args.target,
        targetType=args.target_type,
    )
    if list_printed(count, tasks, as_json=args.json, empty="No tasks."):
        return EXIT_OK
    table(
        ["ID", "STATUS", "OPERATION", "TARGET", "CREATED", "BY", "DURATION", "MESSAGE"],
        [
            [
                t.get("id"),
                t.get("status"),
                t.get("operation"),
                _target(t),
                fmt_time(t.get("createdAt")),
                t.get("createdBy"),
                fmt_duration(t.get("startedAt"), t.get("finishedAt")),
                t.get("message"),
            ]
            for t in tasks
        ],
    )
    if count > len(tasks):
        print(f"({len(tasks)} of {count} tasks shown, newest first; --limit N shows more)", file=sys.stderr)
    return EXIT_OK


def cmd_get(args, client: Client) -> int:
    task = client.get(f"tasks/{args.id}")
    if json_printed(task, as_json=args.json):
        return EXIT_OK
    status = task.get("status")
    attempts = sorted({a.get("attempt") for a in task.get("subTasks") or []})
    flags = [word for word, on in (("cancel", task.get("isCancellable")), ("restart", task.get("isRetryable"))) if on]
    fields(
        [
            ("Task", task.get("id")),
            ("Operation", f"{task.get('operationTitle')} ({task.get('operation')})"),
            ("Target", _target(task)),
            (
                "Status",
                status
                + (f", {task.get('progress')}% done" if status == "IN_PROGRESS" else "")
                + (" (cancel requested)" if task.get("cancelRequested") and status not in FINISHED else ""),
            ),
            ("Message", task.get("message")),
            (
                "Attempt",
                f"{task.get('attempt')}"
                + (
                    f" (earlier attempts: {', '.join(map(str, attempts[:-1]))}; --json shows them)"
                    if len(attempts) > 1
                    else ""
                ),
            ),
            (
                "Created",
                f"{fmt_time(task.get('createdAt'))}" + (f" by {task['createdBy']}" if task.get("createdBy") else ""),
            ),
            ("Started", fmt_time(task.get("startedAt"))),
            ("Finished", fmt_time(task.get("finishedAt"))),
            ("Duration", fmt_duration(task.get("startedAt"), task.get("finishedAt"))),
            (
                "Waits for",
                [f"task {p['id']} {p.get('operation')} ({p.get('status')})" for p in task.get("precedingTasks") or []],
            ),
            ("You can", [f"{w} it (lcm task {w} {task.get('id')})" for w in flags]),
        ]
    )
    actions = current_actions(task)
    if actions:
        print()
        table(["STATUS", "ACTION", "DURATION", "MESSAGE"], action_rows(actions))
    if args.log:
        for action in actions:
            print(f"\n--- {action.get('title') or action.get('name')} ({action.get('status')}) ---")
            print((action.get("log") or "(no log)").rstrip())
    return EXIT_OK


def cmd_watch(args, client: Client) -> int:
    return task_watch(client, args.id, as_json=args.json, interval=args.interval)


def cmd_request(args, client: Client) -> int:
    print_json(client.get(f"tasks/{args.id}/request"))
    return EXIT_OK


def cmd_cancel(args, client: Client) -> int:
    accepted = client.post(f"tasks/{args.id}/cancel")
    if not args.json and not args.wait:
        print(
            "Cancel requested: a waiting task stops now, a running action at its next safe point.\n"
            "Cancel is not a rollback: what already finished stays done."
        )
    return task_accepted(client, accepted, what=f"cancel task {args.id}", wait=args.wait, as_json=args.json)


def cmd_restart(args, client: Client) -> int:
    body: dict[str, Any] = {"mode": "CHECKPOINT" if args.from_checkpoint else "FAILED"}
    if args.file:
        body["request"] = spec_read(args.file)
    accepted = client.post(f"tasks/{args.id}/restart", body)
    where = "its last checkpoint" if args.from_checkpoint else "the failed action"
    return task_accepted(client, accepted, what=f"restart from {where}", wait=args.wait, as_json=args.json)


def add_parser(commands, common) -> None:
    task = commands.add_parser("task", help="list, follow, cancel and restart tasks", parents=[common])
    sub = task.add_subparsers(dest="task_command", metavar="COMMAND", required=True)

    p = sub.add_parser("list", help="the newest tasks, optionally filtered", parents=[common])
    p.add_argument("--status", type=str.upper, choices=STATUSES, help="only tasks with this status")
    p.add_argument("--operation", help="only this operation, e.g. datacenter.register")
    p.add_argument("--target", metavar="NAME", help="only tasks on the object with this name")
    p.add_argument("--target-type", metavar="TYPE", help="only tasks on this kind of object, e.g. datacenter")
    p.add_argument("--limit", type=_positive, default=20, metavar="N", help="show at most N tasks (default 20)")
    p.set_defaults(func=cmd_list)

    p = sub.add_parser("get", help="a task and the actions of its current attempt", parents=[common])
    p.add_argument("id", type=_positive, metavar="ID")
    p.add_argument("--log", action="store_true", help="also print each action's log")
    p.set_defaults(func=cmd_get)

    p = sub.add_parser(
        "watch", help="follow a task live until it ends (exit 0 on success, 1 otherwise)", parents=[common]
    )
    p.add_argument("id", type=_positive, metavar="ID")
    p.add_argument("--interval", type=float, default=None, metavar="SECONDS", help="time between polls (default 1)")
    p.set_defaults(func=cmd_watch)

    p = sub.add_parser("request", help="the task's original request as JSON (secrets masked)", parents=[common])
    p.add_argument("id", type=_positive, metavar="ID")
    p.set_defaults(func=cmd_request)

    p = sub.add_parser("cancel", help="ask a waiting or running task to stop", parents=[common])
    p.add_argument("id", type=_positive, metavar="ID")
    task_options_add(p, wait_help="follow the task until it has stopped")
    p.set_defaults(func=cmd_cancel)

    p = sub.add_parser("restart", help="run a failed or cancelled task again", parents=[common])
    p.add_argument("id", type=_positive, metavar="ID")
    p.add_argument(
        "--from-checkpoint",
        action="store_true",
        help="start after the last checkpoint reached instead of at the failed action",
    )
    p.add_argument("-f", "--file", metavar="FILE", help="a corrected request (JSON; '-' reads stdin)")
    task_options_add(p)
    p.set_defaults(func=cmd_restart)


def _positive(text: str) -> int:
    import argparse

    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a number") from None
    if value < 1:
        raise argparse.ArgumentTypeError("must be 1 or more")
    return value

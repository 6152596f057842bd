"""What people read: aligned plain-text tables, key/value blocks, times, durations, sizes; and JSON."""

from __future__ import annotations

import json
import shutil
import sys
from collections.abc import Sequence
from datetime import UTC, datetime
from typing import Any, TextIO

GIB = 1024**3


def print_json(data: Any, stream: TextIO | None = None) -> None:
    print(json.dumps(data, indent=2, ensure_ascii=False), file=stream or sys.stdout)


def json_printed(data: Any, *, as_json: bool) -> bool:
    """With --json (`as_json`), print the API's answer as it came and say so: the command has no more to print."""
    if as_json:
        print_json(data)
    return as_json


def list_printed(count: int, items: list, *, as_json: bool, empty: str) -> bool:
    """What every list command prints first: with --json the API's page as it came, or `empty` when it
    lists nothing. True when that was all there is to print (else the command prints its table)."""
    if json_printed({"count": count, "results": items}, as_json=as_json):
        return True
    if not items:
        print(empty)
        return True
    return False


def _cell(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, (list, tuple)):
        return ", ".join(_cell(v) for v in value)
    text = str(value)
    return text.splitlines()[0] + " …" if "\n" in text.strip() else text.strip()


def _fit(text: str, width: int) -> str:
    return text if len(text) <= width else text[: max(width - 1, 0)] + "…"


def _is_number(text: str) -> bool:
    try:
        float(text.replace(",", ""))
    except ValueError:
        return text == ""
    return True


def table(headers: list[str], rows: Sequence[Sequence[Any]], stream: TextIO | None = None, *, indent: str = "") -> None:
    """Columns aligned with two spaces between them; on a terminal the last column is cut to fit."""
    stream = stream or sys.stdout
    cells = [[_cell(v) for v in row] for row in rows]
    widths = [max([len(h)] + [len(r[i]) for r in cells]) for i, h in enumerate(headers)]
    numeric = [bool(cells) and all(_is_number(r[i]) for r in cells) for i in range(len(headers))]
    limit = shutil.get_terminal_size().columns if stream.isatty() else None
    for row in [headers] + cells:
        padded = [v.rjust(w) if num else v.ljust(w) for v, w, num in zip(row, widths, numeric, strict=False)]
        line = indent + "  ".join(padded[:-1])
        line = (line + "  " if len(row) > 1 else line) + padded[-1]
        print(_fit(line.rstrip(), limit) if limit else line.rstrip(), file=stream)


def fields(pairs: list[tuple[str, Any]], stream: TextIO | None = None, *, indent: str = "") -> None:
    """`Label:  value` lines, labels aligned; empty values are left out."""
    stream = stream or sys.stdout
    shown = [(k, _cell(v)) for k, v in pairs if v not in (None, "", [], {})]
    width = max((len(k) for k, _ in shown), default=0) + 1
    for key, value in shown:
        print(f"{indent}{(key + ':').ljust(width)}  {value}", file=stream)


def parse_time(value: str | None) -> datetime | None:
    if not value:
        return None
    try:
        moment = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        return None
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def fmt_time(value: str | None) -> str:
    """An API timestamp in the local time zone, to the second."""
    moment = parse_time(value)
    return moment.astimezone().strftime("%Y-%m-%d %H:%M:%S") if moment else ""


def fmt_duration(start: str | None, end: str | None = None) -> str:
    """'4.2s', '3m05s', '1h02m'; a running one counts up to now."""
    begin = parse_time(start)
    if not begin:
        return ""
    finish = parse_time(end) or datetime.now(UTC)
    seconds = max((finish - begin).total_seconds(), 0)
    if seconds < 1:
        return f"{seconds * 1000:.0f}ms"
    if seconds < 60:
        return f"{seconds:.1f}s"
    minutes, secs = divmod(int(seconds), 60)
    if minutes < 60:
        return f"{minutes}m{secs:02d}s"
    hours, minutes = divmod(minutes, 60)
    return f"{hours}h{minutes:02d}m"


def gib(value: Any) -> str:
    try:
        return f"{float(value) / GIB:,.1f}"
    except (TypeError, ValueError):
        return ""


def delete_confirmed(what: str, *, yes: bool) -> bool:
    """--yes, or the person at the terminal said y. No terminal and no --yes is a usage error."""
    from lcm.errors import UsageError

    if yes:
        return True
    if not sys.stdin.isatty():
        raise UsageError(f"not deleting {what} without confirmation", remediation="pass --yes to delete without asking")
    answer = input(f"Delete {what}? [y/N] ")
    if answer.strip().lower() in ("y", "yes"):
        return True
    print("Not deleted.")
    return False

"""Template filters and tags the pages share: durations, sizes, pretty JSON, operation titles, table heads."""

import json
from datetime import timedelta

from django import template
from django.urls import reverse
from django.utils import timezone

from lifecycle.engine.models import Status
from lifecycle.engine.operations import operation_title as _operation_title

register = template.Library()


@register.filter
def operation_title(name: str) -> str:
    return _operation_title(name)


@register.filter
def target_url(task) -> str:
    """The page of a task's target, or "" where there is none to show (yet, or any more)."""
    if task.target_type == "repository":
        return reverse("repository-list")
    if task.target_type == "environment":
        if task.operation == "environment.delete" and task.status == Status.SUCCESS:
            return ""
        return reverse("environment-detail", args=[task.target_name])
    verb = task.operation.rpartition(".")[2]  # datacenter.register, nsxt.register, vrops.validate …
    if task.target_type != "datacenter" or verb == "validate":
        return ""
    if verb == "register" and task.status != Status.SUCCESS:
        return ""  # stored only by the registration's last action
    if verb == "delete" and task.status == Status.SUCCESS:
        return ""
    return reverse("datacenter-detail", args=[task.target_name])


@register.simple_tag
def elapsed(started_at, finished_at=None) -> str:
    """How long something ran ("1 min 5 s"); while it still runs, how long so far."""
    if not started_at:
        return ""
    return duration_text((finished_at or timezone.now()) - started_at)


def duration_text(delta: timedelta) -> str:
    seconds = max(delta.total_seconds(), 0)
    if seconds < 10:
        return f"{seconds:.1f} s"
    seconds = int(seconds)
    hours, rest = divmod(seconds, 3600)
    minutes, seconds = divmod(rest, 60)
    if hours:
        return f"{hours} h {minutes} min"
    if minutes:
        return f"{minutes} min {seconds} s"
    return f"{seconds} s"


@register.filter
def gib(value) -> str:
    """Bytes as GiB with one decimal; empty when unknown."""
    if value in (None, ""):
        return ""
    return f"{int(value) / 2**30:,.1f}"


@register.simple_tag
def used_percent(capacity, free) -> int:
    """Percent of `capacity` in use, 0–100 (0 when the sizes are unknown)."""
    if not capacity or free is None:
        return 0
    return max(0, min(100, round(100 * (capacity - free) / capacity)))


@register.filter
def pretty_json(value) -> str:
    return json.dumps(value, indent=2, sort_keys=False, ensure_ascii=False)


@register.inclusion_tag("lifecycle/_table_head.html")
def table_head(*columns: str, numeric: str = "") -> dict:
    """The head row of a list page's table: one column a name; those named in `numeric` (comma-separated)
    align right, as their numbers do."""
    right = {name.strip() for name in numeric.split(",")}
    return {"columns": [(name, name in right) for name in columns]}

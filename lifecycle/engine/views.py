"""Pages of tasks: the list, one task's timeline (polled with htmx while it runs), cancel and restart.

The small request form and the filters' layout live here rather than in a forms.py of their own: they
exist only for these pages.
"""

import json
from functools import wraps

from crispy_forms.bootstrap import FormActions
from crispy_forms.helper import FormHelper
from crispy_forms.layout import Column, Field, Layout, Row, Submit
from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.contrib.auth.views import redirect_to_login
from django.core.paginator import Paginator
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.http import require_GET, require_POST
from django_htmx.http import HTMX_STOP_POLLING, HttpResponseClientRedirect

from lifecycle.engine import selectors, services
from lifecycle.engine.filters import TaskFilterSet
from lifecycle.engine.models import Task
from lifecycle.engine.operations import operation_get
from lifecycle.errors import ServiceError
from lifecycle.pages import found_or_404

PAGE_SIZE = 25
CANCEL_NOTE = "Cancel is not a rollback: what already finished stays done."


def _task_filter_helper() -> FormHelper:
    """The task list's filters as the page lays them out (the fields are TaskFilterSet's, shared with the API)."""
    helper = FormHelper()
    helper.form_method = "get"
    helper.disable_csrf = True
    helper.layout = Layout(
        Row(
            Column("status", css_class="col-md-3"),
            Column("operation", css_class="col-md-4"),
            Column("target", css_class="col-md-3"),
            Column(FormActions(Submit("", "Filter", css_class="btn-secondary")), css_class="col-md-2 align-self-end"),
        )
    )
    return helper


class TaskRequestForm(forms.Form):
    """ "Edit the request and restart": the masked request as JSON; "$encrypted$" keeps a stored secret."""

    request = forms.CharField(
        widget=forms.Textarea(attrs={"rows": 14, "class": "font-monospace", "spellcheck": "false"}),
        label="Request (JSON)",
        help_text='Secrets show as "$encrypted$"; leave them so to keep the stored value.',
    )
    mode = forms.ChoiceField(
        choices=[
            (services.RESTART_FAILED, "From the failed action"),
            (services.RESTART_CHECKPOINT, "From the last checkpoint"),
        ],
        initial=services.RESTART_FAILED,
        widget=forms.RadioSelect,
        label="Restart",
    )

    def __init__(self, *args, task: Task, **kwargs):
        kwargs.setdefault("initial", {"request": json.dumps(task.request, indent=2, ensure_ascii=False)})
        super().__init__(*args, **kwargs)
        self.helper = FormHelper()
        self.helper.form_action = reverse("task-restart-edited", args=[task.pk])
        self.helper.layout = Layout(
            Field("request"),
            Field("mode"),
            FormActions(Submit("restart", "Restart with this request", css_class="btn-warning")),
        )

    def clean_request(self) -> dict:
        try:
            value = json.loads(self.cleaned_data["request"])
        except json.JSONDecodeError as exc:
            raise forms.ValidationError(f"not valid JSON: {exc.msg} (line {exc.lineno}, column {exc.colno})") from None
        if not isinstance(value, dict):
            raise forms.ValidationError("the request must be a JSON object ({…})")
        return value

    def add_service_error(self, error: ServiceError) -> None:
        problems = [f"{path}: {problem}" for path, items in error.errors.items() for problem in items]
        for problem in problems or [error.message]:
            self.add_error("request", problem)


def _login_required_polled(view):
    """login_required for a page that htmx polls: a poll whose session has ended sends the whole
    browser to the login page, instead of swapping the login form into the timeline."""
    page_view = login_required(view)

    @wraps(view)
    def wrapper(request, *args, **kwargs):
        if request.htmx and not request.user.is_authenticated:
            return HttpResponseClientRedirect(redirect_to_login(request.get_full_path()).url)
        return page_view(request, *args, **kwargs)

    return wrapper


def _task(task_id: int) -> Task:
    return found_or_404(selectors.task_get, task_id=task_id)


def _takes_new_input(operation: str) -> bool:
    try:
        return operation_get(operation).input_update is not None
    except LookupError:
        return False


def _detail_context(task: Task, *, request_form: TaskRequestForm) -> dict:
    current, earlier = selectors.task_timeline(task)
    return {
        "task": task,
        "progress": selectors.task_progress(task),
        "current_actions": current,
        "earlier_attempts": earlier,
        "has_checkpoint": any(action.checkpoint for action in task.actions.all()),
        "takes_new_input": _takes_new_input(task.operation),
        "request_form": request_form,
        "cancel_note": CANCEL_NOTE,
    }


@login_required
@require_GET
def home(request):
    return redirect("task-list")


@login_required
@require_GET
def task_list(request):
    filters = TaskFilterSet(request.GET or None, queryset=selectors.task_list())
    filters.form.helper = _task_filter_helper()  # type: ignore[attr-defined]  # where crispy-forms looks
    page = Paginator(filters.qs, PAGE_SIZE).get_page(request.GET.get("page"))
    return render(request, "lifecycle/task_list.html", {"form": filters.form, "page_obj": page})


@_login_required_polled
@require_GET
def task_detail(request, task_id: int):
    task = _task(task_id)
    context = _detail_context(task, request_form=TaskRequestForm(task=task))
    if request.htmx:
        # The poll: only the timeline; 286 tells htmx to stop polling once the task has ended.
        status = HTMX_STOP_POLLING if task.is_finished else 200
        return render(request, "lifecycle/task_detail.html#timeline", context, status=status)
    return render(request, "lifecycle/task_detail.html", context)


@login_required
@require_POST
def task_cancel(request, task_id: int):
    try:
        found_or_404(services.task_cancel, task_id=task_id, user=request.user)
    except ServiceError as exc:
        messages.error(request, exc.message)
    else:
        messages.info(request, f"Cancel requested: a running action stops at its next safe point. {CANCEL_NOTE}")
    return redirect("task-detail", task_id=task_id)


@login_required
@require_POST
def task_restart(request, task_id: int):
    mode = request.POST.get("mode", services.RESTART_FAILED)
    try:
        found_or_404(services.task_restart, task_id=task_id, mode=mode, user=request.user)
    except ServiceError as exc:
        messages.error(request, exc.message)
    else:
        where = "its last checkpoint" if mode == services.RESTART_CHECKPOINT else "the failed action"
        messages.success(request, f"Task {task_id} restarted from {where}.")
    return redirect("task-detail", task_id=task_id)


@login_required
@require_POST
def task_restart_edited(request, task_id: int):
    task = _task(task_id)
    form = TaskRequestForm(request.POST, task=task)
    if form.is_valid():
        try:
            services.task_restart(
                task_id=task_id, mode=form.cleaned_data["mode"], request=form.cleaned_data["request"], user=request.user
            )
        except ServiceError as exc:
            form.add_service_error(exc)
        else:
            messages.success(request, f"Task {task_id} restarted with the edited request.")
            return redirect("task-detail", task_id=task_id)
    # Refused: nothing changed; the page shows the error next to the request the user sent.
    return render(request, "lifecycle/task_detail.html", _detail_context(task, request_form=form))

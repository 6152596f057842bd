"""Pages of datacenter components: list, registration (trust on first use), detail, and the changes.

Every change is a task: the page that asks for it redirects to the task's page.
"""
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404
from django.shortcuts import redirect, render
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from datacenters import selectors, services
from datacenters.forms import CertificateProbeForm, RegisterForm, UpdateForm
from datacenters.models import DatacenterComponent
from lifecycle.errors import NotFound, ServiceError
from lifecycle.selectors import task_list

RECENT_TASKS = 10


def _component(component_name: str) -> DatacenterComponent:
    try:
        return selectors.datacenter_get(component_name=component_name)
    except NotFound as exc:
        raise Http404(exc.message) from None


def _stored_certificate(component: DatacenterComponent) -> dict:
    """The accepted certificate, shaped like a probed one for the templates."""
    return {
        "thumbprint": component.certificate_thumbprint,
        "subject": component.certificate_subject,
        "issuer": component.certificate_issuer,
        "valid_from": component.certificate_valid_from,
        "valid_to": component.certificate_valid_to,
    }


def _task_page(task):
    return redirect("task-detail", task_id=task.pk)


@login_required
@require_GET
def datacenter_list(request):
    return render(request, "datacenters/datacenter_list.html", {"components": selectors.datacenter_list()})


@login_required
@require_http_methods(["GET", "POST"])
def datacenter_register(request):
    """Step 1 (GET, or POST step=probe): fetch the certificate. Step 2 (POST step=register): accept, name, log in."""
    if request.method == "POST" and request.POST.get("step") == "register":
        form = RegisterForm(request.POST)
        if form.is_valid():
            try:
                task = services.datacenter_register(
                    spec=form.spec(), user=request.user, validate_only=request.POST.get("action") == "validate"
                )
            except ServiceError as exc:
                form.add_service_error(exc)
            else:
                return _task_page(task)
        return render(request, "datacenters/datacenter_register.html", {"form": form})

    if request.method == "POST":
        probe_form = CertificateProbeForm(request.POST)
        if probe_form.is_valid():
            try:
                certificate = services.certificate_probe(**probe_form.cleaned_data)
            except ServiceError as exc:
                probe_form.add_service_error(exc)
            else:
                form = RegisterForm.for_certificate(certificate=certificate, **probe_form.cleaned_data)
                return render(request, "datacenters/datacenter_register.html", {"form": form})
    else:
        probe_form = CertificateProbeForm(initial={k: v for k, v in request.GET.items() if k in ("fqdn", "port")})
    return render(request, "datacenters/datacenter_register.html", {"probe_form": probe_form})


@login_required
@require_GET
def datacenter_detail(request, component_name: str):
    component = _component(component_name)
    return render(
        request,
        "datacenters/datacenter_detail.html",
        {
            "component": component,
            "certificate": _stored_certificate(component),
            "inventory": selectors.inventory_by_kind(component=component),
            "tasks": task_list(target_type="datacenter", target_name=component.component_name)[:RECENT_TASKS],
        },
    )


@login_required
@require_POST
def datacenter_discover(request, component_name: str):
    try:
        task = services.datacenter_discover(component_name=component_name, user=request.user)
    except NotFound as exc:
        raise Http404(exc.message) from None
    except ServiceError as exc:
        messages.error(request, exc.message)
        return redirect("datacenter-detail", component_name=component_name)
    return _task_page(task)


@login_required
@require_http_methods(["GET", "POST"])
def datacenter_update(request, component_name: str):
    component = _component(component_name)
    if request.method == "POST":
        form = UpdateForm(request.POST, component_name=component.component_name)
        if form.is_valid():
            try:
                task = services.datacenter_update(component_name=component.component_name, spec=form.spec(), user=request.user)
            except ServiceError as exc:
                form.add_service_error(exc)
            else:
                return _task_page(task)
    else:
        form = UpdateForm.from_spec(services.spec_from_component(component))
    return render(request, "datacenters/datacenter_update.html", {"component": component, "form": form})


@login_required
@require_http_methods(["GET", "POST"])
def datacenter_certificate(request, component_name: str):
    """Fetch the certificate the server presents now; if it changed, offer to accept the new one."""
    component = _component(component_name)
    if request.method == "POST":
        spec = services.spec_from_component(component)  # password masked: the stored one is kept
        spec["content"]["certificate"]["thumbprint"] = request.POST.get("thumbprint", "")
        try:
            task = services.datacenter_update(component_name=component.component_name, spec=spec, user=request.user)
        except ServiceError as exc:
            messages.error(request, exc.message)
            return redirect("datacenter-certificate", component_name=component.component_name)
        return _task_page(task)
    presented, changed, error = None, False, None
    try:
        presented, changed = services.certificate_check(component_name=component.component_name)
    except ServiceError as exc:
        error = exc.message
    return render(
        request,
        "datacenters/datacenter_certificate.html",
        {"component": component, "stored": _stored_certificate(component), "presented": presented, "changed": changed,
         "error": error},
    )


@login_required
@require_http_methods(["GET", "POST"])
def datacenter_delete(request, component_name: str):
    component = _component(component_name)
    if request.method == "POST":
        try:
            task = services.datacenter_delete(component_name=component.component_name, user=request.user)
        except ServiceError as exc:
            messages.error(request, exc.message)
            return redirect("datacenter-detail", component_name=component.component_name)
        return _task_page(task)
    return render(request, "datacenters/datacenter_delete.html", {"component": component})

"""Pages of datacenter components: list, registration (trust on first use), detail, and the changes.

Every change to a component is a task: the page that asks for it redirects to the task's page. The
IPv4 settings of a port group are stored at once (inline on the detail page with htmx, or on a page
of their own without it).
"""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from datacenters import selectors
from datacenters.forms import TYPE_WORDS, CertificateProbeForm, PortGroupSettingsForm, RegisterForm, UpdateForm
from datacenters.models import ComponentType, DatacenterComponent
from datacenters.services import certificates, components, port_groups, specs
from lifecycle.engine.selectors import task_list
from lifecycle.errors import ServiceError
from lifecycle.pages import found_or_404

RECENT_TASKS = 10


def _component(component_name: str) -> DatacenterComponent:
    return found_or_404(selectors.datacenter_get, component_name=component_name)


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
                task = components.datacenter_register(
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
                certificate = certificates.certificate_probe(
                    fqdn=probe_form.cleaned_data["fqdn"], port=probe_form.cleaned_data["port"]
                )
            except ServiceError as exc:
                probe_form.add_service_error(exc)
            else:
                form = RegisterForm.for_certificate(certificate=certificate, **probe_form.cleaned_data)
                return render(request, "datacenters/datacenter_register.html", {"form": form})
    else:
        probe_form = CertificateProbeForm(
            initial={k: v for k, v in request.GET.items() if k in ("fqdn", "port", "datacenterComponentType")}
        )
    return render(request, "datacenters/datacenter_register.html", {"probe_form": probe_form})


@login_required
@require_GET
def datacenter_detail(request, component_name: str):
    component = _component(component_name)
    inventory, networks = {}, []
    if component.component_type == ComponentType.VCENTER:
        inventory = selectors.inventory_by_kind(component=component)
        networks = selectors.network_entries(component=component, networks=inventory["networks"])
    return render(
        request,
        "datacenters/datacenter_detail.html",
        {
            "component": component,
            "certificate": _stored_certificate(component),
            "inventory": inventory,
            "networks": networks,
            "tasks": task_list(target_type="datacenter", target_name=component.component_name)[:RECENT_TASKS],
        },
    )


@login_required
@require_http_methods(["GET", "POST"])
def datacenter_network(request, component_name: str, port_group_name: str):
    """Edit one port group's IPv4 settings: inline in the detail page's table (htmx), or on this page."""
    component = _component(component_name)
    entry = selectors.network_entry(component=component, port_group_name=port_group_name)
    if component.component_type != ComponentType.VCENTER or entry is None:
        raise Http404(f"no port group '{port_group_name}' in {component.component_name}")
    url = reverse("datacenter-network", args=[component.component_name, port_group_name])
    back = reverse("datacenter-detail", args=[component.component_name]) + "#networks"
    if request.htmx and request.method == "GET" and request.GET.get("row"):  # "Cancel" of the inline form
        return _network_row(request, component, entry)
    options = {"action_url": url, "back_url": back, "inline": bool(request.htmx), "configured": entry["configured"]}
    form = PortGroupSettingsForm.from_entry(entry, **options)
    if request.method == "POST":
        remove = request.POST.get("action") == "remove"
        if not remove:
            form = PortGroupSettingsForm(request.POST, **options)
        if remove or form.is_valid():
            try:
                if remove:
                    port_groups.port_group_settings_remove(
                        component_name=component.component_name, port_group_name=port_group_name
                    )
                else:
                    port_groups.port_group_settings_update(
                        component_name=component.component_name,
                        port_group_name=port_group_name,
                        settings=form.settings(),
                    )
            except ServiceError as exc:
                form.add_service_error(exc)
            else:
                if request.htmx:
                    entry = selectors.network_entry(component=component, port_group_name=port_group_name)
                    return _network_row(request, component, entry)
                messages.success(request, f"{'Removed' if remove else 'Saved'} the IPv4 settings of {port_group_name}.")
                return redirect(back)
    context = {"component": component, "entry": entry, "form": form, "back": back, "url": url}
    if request.htmx:
        return render(request, "datacenters/datacenter_detail.html#network_form", context)
    return render(request, "datacenters/datacenter_network.html", context)


def _network_row(request, component: DatacenterComponent, entry: dict | None):
    return render(request, "datacenters/datacenter_detail.html#network_row", {"component": component, "entry": entry})


@login_required
@require_POST
def datacenter_discover(request, component_name: str):
    try:
        task = found_or_404(components.datacenter_discover, component_name=component_name, user=request.user)
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
                task = components.datacenter_update(
                    component_name=component.component_name, spec=form.spec(), user=request.user
                )
            except ServiceError as exc:
                form.add_service_error(exc)
            else:
                return _task_page(task)
    else:
        form = UpdateForm.from_spec(specs.spec_from_component(component))
    return render(request, "datacenters/datacenter_update.html", {"component": component, "form": form})


@login_required
@require_http_methods(["GET", "POST"])
def datacenter_certificate(request, component_name: str):
    """Fetch the certificate the server presents now; if it changed, offer to accept the new one."""
    component = _component(component_name)
    if request.method == "POST":
        spec = specs.spec_from_component(component)  # password masked: the stored one is kept
        spec["content"]["certificate"]["thumbprint"] = request.POST.get("thumbprint", "")
        try:
            task = components.datacenter_update(component_name=component.component_name, spec=spec, user=request.user)
        except ServiceError as exc:
            messages.error(request, exc.message)
            return redirect("datacenter-certificate", component_name=component.component_name)
        return _task_page(task)
    presented, changed, error = None, False, None
    try:
        presented, changed = certificates.certificate_check(component_name=component.component_name)
    except ServiceError as exc:
        error = exc.message
    return render(
        request,
        "datacenters/datacenter_certificate.html",
        {
            "component": component,
            "stored": _stored_certificate(component),
            "presented": presented,
            "changed": changed,
            "error": error,
        },
    )


@login_required
@require_http_methods(["GET", "POST"])
def datacenter_delete(request, component_name: str):
    component = _component(component_name)
    if request.method == "POST":
        try:
            task = components.datacenter_delete(component_name=component.component_name, user=request.user)
        except ServiceError as exc:
            messages.error(request, exc.message)
            return redirect("datacenter-detail", component_name=component.component_name)
        return _task_page(task)
    from environments.selectors import products_using_component

    return render(
        request,
        "datacenters/datacenter_delete.html",
        {
            "component": component,
            "products": products_using_component(component_name=component.component_name),
            "product_name": TYPE_WORDS[component.component_type][0],
        },
    )

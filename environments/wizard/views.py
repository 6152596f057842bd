"""Pages of the product wizard, which defines a new environment or adds a product to a stored one, and
the small answers htmx asks it for (inventory options, a port group's settings). The wizard's state and
forms are the rest of this package; the environment pages are environments/views.py."""

from __future__ import annotations

import json

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.http import require_GET, require_http_methods

from environments import selectors, services
from environments.wizard.options import OPTION_FIELDS, inventory_options, port_group_settings, version_options
from environments.wizard.session import Wizard
from environments.wizard.steps import ALL
from lifecycle.errors import NotFound, ServiceError
from lifecycle.pages import found_or_404
from products.types import product_type_get

OPTIONAL_KINDS = {"resource-pools", "folders"}  # inventory choices a node may leave empty

# -- the product wizard --


def _step_url(wizard: Wizard, step: str) -> str:
    return reverse("environment-wizard", args=[wizard.id, step])


@login_required
@require_GET
def environment_new(request):
    wizard = Wizard.start(request.session)
    return redirect(_step_url(wizard, "environment"))


@login_required
@require_GET
def environment_add_product(request, environment_id: str):
    environment = found_or_404(selectors.environment_get, environment_id=environment_id)
    wizard = Wizard.start(request.session, environment_id=environment.environment_id)
    return redirect(_step_url(wizard, "product"))


def _role_titles(product_type) -> dict[str, str]:
    return {role.name: role.title for role in product_type.node_roles} if product_type else {}


def _step_context(wizard: Wizard, step: str) -> dict:
    names = [name for name, _ in wizard.steps]
    failures = wizard.step_failures(step)
    context = {
        "wizard": wizard,
        "step": step,
        "steps": wizard.steps,
        "step_number": names.index(step) + 1,
        "step_template": f"environments/_wizard_{step}.html",
        "first": step == names[0],
        "last": step == names[-1],
        "failing_steps": [name for name in names if wizard.step_failures(name)],
        "product_type": wizard.product_type,
        "step_errors": failures.get(ALL, []),
    }
    if step == "nodes":
        formset = wizard.form("nodes")
        product_type = wizard.product_type
        roles = _role_titles(product_type)
        vcenter = wizard.placement().get("vcenterName") or ""
        settings_of: dict[str, dict | None] = {}
        rows = []
        for index, form in enumerate(formset.forms):
            form.add_failures(
                {key.split(".", 1)[1]: messages for key, messages in failures.items() if key.startswith(f"{index}.")}
            )
            network = form.raw("networkName") or ""
            if network not in settings_of:
                settings_of[network] = port_group_settings(vcenter, network)
            role = (
                product_type.role_of(
                    {"isPrimary": bool(form.raw("isPrimary")), "deploymentOption": form.raw("deploymentOption")}
                )
                if product_type
                else ""
            )
            rows.append(
                {"form": form, "role": roles.get(role, role), "network": network, "settings": settings_of[network]}
            )
        context.update(formset=formset, node_rows=rows, vcenter=vcenter, placement=wizard.placement())
    elif step == "integrations":
        integration_forms = wizard.form("integrations")
        for form in integration_forms:
            form.add_failures(
                {key.split(".", 1)[1]: messages for key, messages in failures.items() if key.startswith(f"{form.ref}.")}
            )
        context["integration_forms"] = integration_forms
    elif step == "review":
        context.update(
            product_json=json.dumps(wizard.product(reveal=False), indent=2, ensure_ascii=False),
            report=wizard.state["report"],
            summary=wizard.failure_summary(),
            rest=wizard.state["rest"],
            unreadable=wizard.steps_unreadable(),
        )
    else:
        form = wizard.form(step)
        if form is not None:
            form.add_failures(failures)
        context["form"] = form
        if step == "product":
            chosen = form.raw("productType")
            context["no_versions"] = bool(product_type_get(chosen or "")) and not version_options(chosen)
        if step == "placement":
            context["no_vcenters"] = len(form.fields["vcenterName"].choices) <= 1
    return context


def _review_action(request, wizard: Wizard, action: str):
    unreadable = wizard.steps_unreadable()
    if unreadable:
        messages.error(request, "Correct the input of these steps first: " + ", ".join(unreadable) + ".")
        return redirect(_step_url(wizard, "review"))
    spec, index = wizard.environment_spec()
    if action == "validate":
        wizard.take_report(services.environment_validate(spec=spec, prechecks=False), index)
        wizard.save()
        return redirect(_step_url(wizard, "review"))
    try:
        environment, report = services.environment_submit(
            spec=spec,
            action="CREATE",
            replace_existing=not wizard.new,
            ignore_validation=request.POST.get("ignoreValidation") == "on",
            user=request.user,
        )
    except ServiceError as exc:
        wizard.take_error(exc, index)
        wizard.save()
        messages.error(request, f"Not saved: {exc.message}")
        return redirect(_step_url(wizard, "review"))
    assert environment is not None  # CREATE stores the definition or raises
    wizard.discard()
    product_id = spec["products"][index].get("productId")
    messages.success(request, f"Product {product_id} saved in environment {environment.environment_id}.")
    failing = sum(1 for c in report["checks"] if c["status"] == "FAIL")
    if failing:
        messages.warning(request, f"It was saved with {failing} failing check(s) (ignoreValidation).")
    return redirect("environment-detail", environment_id=environment.environment_id)


@login_required
@require_http_methods(["GET", "POST"])
def environment_wizard(request, wizard_id: str, step: str):
    wizard = Wizard.load(request.session, wizard_id)
    if wizard is None:
        messages.info(request, "That wizard is no longer open: it was saved or cancelled, or the session ended.")
        return redirect("environment-list")
    if step not in dict(wizard.steps):
        raise Http404(f"no step '{step}'")
    if not wizard.new:
        try:
            wizard.exported()
        except NotFound as exc:
            wizard.discard()
            messages.error(request, exc.message)
            return redirect("environment-list")
    if request.method == "GET":
        return render(request, "environments/wizard.html", _step_context(wizard, step))

    nav = request.POST.get("nav", "next")
    if nav == "cancel":
        wizard.discard()
        if wizard.new:
            return redirect("environment-list")
        return redirect("environment-detail", environment_id=wizard.environment_id)
    if step != "review":
        wizard.keep(step, request.POST)
    change = request.POST.get("row")
    if step == "nodes" and change:
        wizard.rows_change(change)
        wizard.save()
        if request.htmx:
            return render(request, "environments/_wizard_nodes.html", _step_context(wizard, "nodes"))
        return redirect(_step_url(wizard, "nodes"))
    if step == "review" and nav in ("validate", "save"):
        return _review_action(request, wizard, nav)
    wizard.save()
    if nav == "next":
        if step in wizard.steps_unreadable():  # e.g. a number that is not one: stay and say so
            return render(request, "environments/wizard.html", _step_context(wizard, step))
        target = wizard.step_after(step)
    elif nav == "back":
        target = wizard.step_after(step, -1)
    elif nav.startswith("step:") and nav[5:] in dict(wizard.steps):
        target = nav[5:]
    else:
        target = step
    return redirect(_step_url(wizard, target))


# -- the small answers htmx asks for --


@login_required
@require_GET
def environment_options(request, kind: str):
    """<option>s of a wizard select: versions in the repository, or inventory objects of a vCenter."""
    if kind not in OPTION_FIELDS:
        raise Http404(f"no options '{kind}'")
    field = OPTION_FIELDS[kind]
    if kind == "versions":
        options = version_options(request.GET.get("productType", ""))
        blank = "— choose —" if options else "none in the repository: scan the repository"
    else:
        options = inventory_options(
            kind, **{k: request.GET.get(k, "") for k in ("vcenterName", "datacenterName", "clusterName")}
        )
        blank = "(none)" if kind in OPTIONAL_KINDS else ("— choose —" if options else "none discovered")
    current = next((value for key, value in request.GET.items() if key == field or key.endswith(f"-{field}")), "")
    values = [value for value, _ in options]
    selected = current if current in values else (values[0] if values and kind != "versions" else "")
    return render(request, "environments/_options.html", {"options": options, "selected": selected, "blank": blank})


@login_required
@require_GET
def environment_port_group(request):
    """The IPv4 settings of the port group a node's select names."""
    vcenter = request.GET.get("vcenterName", "")
    network = next(
        (value for key, value in request.GET.items() if key == "networkName" or key.endswith("-networkName")), ""
    )
    return render(
        request,
        "environments/_port_group.html",
        {"settings": port_group_settings(vcenter, network), "network": network, "vcenter": vcenter},
    )

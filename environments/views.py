"""Pages of environments: the list, an environment's page (validate on demand, export, delete), JSON
import, and the product wizard that defines a new environment or adds a product to a stored one.

The wizard's state lives in the session (environments/wizard/); each step is one URL. Every check is
environment_validate's or environment_submit's: the pages only show where a failure belongs.
"""

import json

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from environments import selectors, services
from environments.deploy import states
from environments.forms import ImportForm, import_secrets_hide, import_secrets_restore
from environments.models import Environment, Product
from environments.wizard.options import OPTION_FIELDS, inventory_options, port_group_settings, version_options
from environments.wizard.session import Wizard
from environments.wizard.steps import ALL
from lifecycle.engine.selectors import last_tasks, task_list
from lifecycle.errors import NotFound, ServiceError
from lifecycle.pages import found_or_404
from lifecycle.secrets import path_join
from products.types import product_secrets, product_type_get

RECENT_TASKS = 10
STORED_SECRET = "stored secret"
OPTIONAL_KINDS = {"resource-pools", "folders"}
IMPORT_SECRETS = "environment_import_secrets"  # session: the sealed secrets of the last refused import


def _environment(environment_id: str) -> Environment:
    return found_or_404(selectors.environment_get, environment_id=environment_id)


def _failures(error: ServiceError) -> list[dict]:
    """A refusal as rows of (JSON path, problem)."""
    rows = [{"path": path, "message": message} for path, items in error.errors.items() for message in items]
    return rows or [{"path": "", "message": error.message}]


# -- list and detail --


@login_required
@require_GET
def environment_list(request):
    environments = list(selectors.environment_list())
    tasks = last_tasks(target_type="environment", target_names=[e.environment_id for e in environments])
    for environment in environments:
        environment.last_task = tasks.get(environment.environment_id)
        environment.node_count = sum(len(product.nodes.all()) for product in environment.products.all())
    return render(request, "environments/environment_list.html", {"environments": environments})


def _flatten(value, path: str, name: str, secrets: set[str], rows: list) -> None:
    if path in secrets:
        rows.append({"name": name, "value": STORED_SECRET, "secret": True})
    elif isinstance(value, dict) and value:
        for key, item in value.items():
            _flatten(item, path_join(path, key), f"{name}.{key}" if name else key, secrets, rows)
    else:
        rows.append({"name": name, "value": value if isinstance(value, str) else json.dumps(value), "secret": False})


def _product_view(product: Product, *, busy: bool) -> dict:
    """What the page shows of a product: its fields and properties (secrets only as "stored secret"),
    its nodes with their placement, its integrations and the components it uses."""
    spec = product.spec
    secrets = {path for path, _ in product_secrets(spec)}
    product_type = product_type_get(product.product_type)
    fields = []
    for key in ("buildNumber", "license", "adminPassword"):
        if spec.get(key):
            fields.append(
                {"name": key, "value": STORED_SECRET if key in secrets else spec[key], "secret": key in secrets}
            )
    infra = spec.get("infraReference")
    if infra:
        name = infra.get("vcenterName") if isinstance(infra, dict) else infra
        fields.append({"name": "infraReference", "value": name, "secret": False})
    properties: list[dict] = []
    for key, value in (spec.get("properties") or {}).items():
        _flatten(value, path_join("properties", key), key, secrets, properties)
    nodes = []
    spec_nodes = spec.get("nodes") or []
    roles = {role.name: role.title for role in product_type.node_roles} if product_type else {}
    for node in product.nodes.all():
        given = spec_nodes[node.position] if node.position < len(spec_nodes) else {}
        deployment = given.get("deployment") or {}
        nics = given.get("nics") or [{}]
        placement = [
            deployment.get(k) for k in ("vcenterName", "datacenterName", "clusterName", "resourcePool", "vmFolder")
        ]
        nodes.append(
            {
                "node": node,
                "role": roles.get(node.role, node.role),
                "ip": node.ip_address or nics[0].get("ipAddress") or "DHCP",
                "network": nics[0].get("networkName", ""),
                "placement": " / ".join(p for p in placement if p),
                "datastores": ", ".join(deployment.get("datastoreNames") or []),
                "deployment_option": given.get("deploymentOption", ""),
                "root_password": "rootPassword" in given,
            }
        )
    integrations = [
        {
            "ref": i.get("ref"),
            "id": i.get("integrationId", ""),
            "username": i.get("integrationUsername", ""),
            "password": bool(i.get("integrationPassword")),
        }
        for i in spec.get("integrations") or []
    ]
    return {
        "product": product,
        "title": product_type.title if product_type else product.product_type,
        "deployable": not busy and states.product_deployable(product),
        "fields": fields,
        "properties": properties,
        "nodes": nodes,
        "integrations": integrations,
        "references": list(product.component_references.all()),
    }


def _detail_context(environment: Environment, **extra) -> dict:
    tasks = task_list(target_type="environment", target_name=environment.environment_id)
    products = list(environment.products.all())
    busy = states.environment_busy(environment)
    return {
        "environment": environment,
        "deployable": states.environment_deployable(environment, products),
        "products": [_product_view(p, busy=busy) for p in products],
        "tasks": tasks[:RECENT_TASKS],
        **extra,
    }


@login_required
@require_GET
def environment_detail(request, environment_id: str):
    environment = _environment(environment_id)
    return render(request, "environments/environment_detail.html", _detail_context(environment))


@login_required
@require_POST
def environment_validate(request, environment_id: str):
    """Check the stored definition against the world as it is now (the inventory may have changed)."""
    environment = _environment(environment_id)
    report = services.environment_validate(spec=services.environment_export(environment_id=environment_id))
    if request.htmx:
        return render(
            request, "environments/environment_detail.html#report", {"environment": environment, "report": report}
        )
    return render(request, "environments/environment_detail.html", _detail_context(environment, report=report))


@login_required
@require_GET
def environment_export(request, environment_id: str):
    spec = found_or_404(services.environment_export, environment_id=environment_id)
    response = HttpResponse(json.dumps(spec, indent=2, ensure_ascii=False) + "\n", content_type="application/json")
    response["Content-Disposition"] = f'attachment; filename="{environment_id}.json"'
    return response


@login_required
@require_POST
def environment_deploy(request, environment_id: str):
    """Deploy what is not deployed yet (one product when the form names it); show the task."""
    environment = _environment(environment_id)
    product_id = request.POST.get("product")
    try:
        task = services.environment_deploy(
            environment_id=environment.environment_id,
            product_ids=[product_id] if product_id else None,
            user=request.user,
        )
    except ServiceError as exc:
        messages.error(request, exc.message)
        return redirect("environment-detail", environment_id=environment.environment_id)
    return redirect("task-detail", task_id=task.pk)


@login_required
@require_http_methods(["GET", "POST"])
def environment_delete(request, environment_id: str, product_id: str | None = None):
    """Confirm, then delete the environment (or one product): its VMs first, then its records."""
    environment = _environment(environment_id)
    product = None
    if product_id is not None:
        product = environment.products.filter(product_id=product_id).first()
        if product is None:
            raise Http404(f"environment {environment_id} has no product '{product_id}'")
    if request.method == "POST":
        try:
            if product is None:
                task = services.environment_delete(environment_id=environment.environment_id, user=request.user)
            else:
                task = services.product_delete(
                    environment_id=environment.environment_id, product_id=product.product_id, user=request.user
                )
        except ServiceError as exc:
            messages.error(request, exc.message)
            return redirect("environment-detail", environment_id=environment.environment_id)
        return redirect("task-detail", task_id=task.pk)
    vms = selectors.nodes_with_vm(
        environment_id=environment.environment_id, product_id=product.product_id if product else None
    )
    return render(
        request,
        "environments/environment_delete.html",
        {"environment": environment, "product": product, "vms": list(vms)},
    )


# -- import --


@login_required
@require_http_methods(["GET", "POST"])
def environment_import(request):
    """Store a pasted or uploaded definition. A refused one comes back with its failures, its text kept
    for correcting, and its secrets shown as "********" (sealed in the session for the next try)."""
    context: dict = {}
    if request.method == "POST":
        form = ImportForm(request.POST, request.FILES)
        if form.is_valid():
            data = form.cleaned_data
            spec = data["spec"]
            import_secrets_restore(spec, request.session.get(IMPORT_SECRETS) or {})
            action = "VALIDATE" if request.POST.get("action") == "validate" else "CREATE"
            try:
                # The definition's own checks only; the detail page's Validate adds the deployment pre-checks.
                environment, report = services.environment_submit(
                    spec=spec,
                    action=action,
                    replace_existing=data["replaceExisting"],
                    ignore_validation=data["ignoreValidation"],
                    prechecks=False,
                    user=request.user,
                )
            except ServiceError as exc:
                context.update(refused=exc.message, failures=_failures(exc), report=exc.extra.get("validation"))
            else:
                if environment is not None:
                    request.session.pop(IMPORT_SECRETS, None)
                    failing = sum(1 for c in report["checks"] if c["status"] == "FAIL")
                    messages.success(request, f"Environment {environment.environment_id} imported.")
                    if failing:
                        messages.warning(
                            request,
                            f"It was stored with {failing} failing check(s) (ignoreValidation): "
                            "validate it on its page.",
                        )
                    return redirect("environment-detail", environment_id=environment.environment_id)
                context["report"] = report
            text, sealed = import_secrets_hide(
                json.loads(data["text"]), data["text"], request.session.get(IMPORT_SECRETS) or {}
            )
            request.session[IMPORT_SECRETS] = sealed
            shown = request.POST.copy()  # shown again for correcting (an uploaded file's text too)
            shown["text"] = text
            form.data = shown
            context["kept_secrets"] = len(sealed)
    else:
        form = ImportForm()
    return render(request, "environments/environment_import.html", {"form": form, **context})


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
    environment = _environment(environment_id)
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

"""Pages of environments: the list, an environment's page (validate on demand, export, delete), JSON
import (the product wizard's pages are environments/wizard/views.py).

The wizard's state lives in the session (environments/wizard/); each step is one URL. Every check is
environment_validate's or environment_submit's: the pages only show where a failure belongs.
"""

import json

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from environments import selectors, services
from environments.deploy import states
from environments.forms import ImportForm, import_secrets_hide, import_secrets_restore
from environments.models import Environment, Product
from lifecycle.engine.selectors import last_tasks, task_list
from lifecycle.errors import ServiceError
from lifecycle.pages import found_or_404
from lifecycle.secrets import path_join
from products.types import product_secrets, product_type_get

RECENT_TASKS = 10
STORED_SECRET = "stored secret"
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

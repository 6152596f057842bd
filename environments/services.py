"""Changes to environments: store a definition (create or replace), validate, delete, export.

A definition is checked by environments.spec (one report row per check) and stored with every secret
kept as a stored-secret reference, so that exports and task requests never carry one in clear text.
"""
from __future__ import annotations

import copy
import re
from typing import Any

from django.db import transaction

from environments.models import ComponentReference, Environment, EnvironmentState, Node, Product
from environments.spec import SpecChecker, secret_paths
from lifecycle.crypto import SECRET_PLACEHOLDER
from lifecycle.errors import Conflict, NotAvailable, NotFound, ValidationFailed
from lifecycle.models import Task
from lifecycle.selectors import tasks_unfinished_on
from lifecycle.services import secret_is_ref, secret_store, task_create
from products.types import product_type_get

ACTIONS = ("CREATE", "VALIDATE", "DEPLOY", "IMPORT")


def target_key(environment_id: str) -> str:
    return f"environment:{environment_id}"


def environment_validate(*, spec: Any) -> dict:
    """The full report for a definition; stores nothing."""
    existing = _environment_id_of(spec)
    return SpecChecker(spec, environment_id=existing).run().report()


def _environment_id_of(spec: Any) -> str | None:
    """When the spec names a stored environment, its own addresses and secrets count as its own."""
    env_id = spec.get("environmentId") if isinstance(spec, dict) else None
    return env_id if isinstance(env_id, str) and Environment.objects.filter(environment_id=env_id).exists() else None


def _refused(checker: SpecChecker, headline: str) -> ValidationFailed:
    errors: dict[str, list[str]] = {}
    for check in checker.checks:
        if check.status == "FAIL":
            errors.setdefault(check.path, []).append(check.message)
    first = next(c for c in checker.checks if c.status == "FAIL")
    return ValidationFailed(f"{headline}: {first.path}: {first.message}" if first.path else f"{headline}: {first.message}",
                            errors=errors, extra={"validation": checker.report()})


def environment_submit(*, spec: Any, action: str = "CREATE", replace_existing: bool = False,
                       ignore_validation: bool = False, user=None) -> tuple[Environment | None, dict]:
    """What POST /environments?action=… does: VALIDATE reports, CREATE stores, DEPLOY and IMPORT refuse
    (they come with the deployment release) after the same checks."""
    action = (action or "CREATE").upper()
    if action not in ACTIONS:
        raise ValidationFailed.field("action", f"must be one of {', '.join(ACTIONS)}, not '{action}'")
    if action == "VALIDATE":
        return None, environment_validate(spec=spec)
    if action in ("DEPLOY", "IMPORT"):
        checker = SpecChecker(spec, environment_id=_environment_id_of(spec)).run()
        if not checker.valid and not ignore_validation:
            raise _refused(checker, "the definition is not valid")
        raise NotAvailable(
            f"action={action} is not available in this release: deployments come with the next one. "
            "Nothing was stored; store the definition with action=CREATE and deploy it later.",
            extra={"validation": checker.report()},
        )
    return environment_create(spec=spec, replace_existing=replace_existing, ignore_validation=ignore_validation,
                              user=user)


def environment_create(*, spec: Any, replace_existing: bool = False, ignore_validation: bool = False,
                       user=None) -> tuple[Environment, dict]:
    """Store a definition. An existing environmentId is refused unless replace_existing is set."""
    existing_id = _environment_id_of(spec)
    if existing_id and not replace_existing:
        raise ValidationFailed.field(
            "environmentId", f"an environment '{existing_id}' exists already; set replaceExisting to replace its "
                             "definition (nothing is ever overwritten silently)")
    checker = SpecChecker(spec, environment_id=existing_id).run()
    if not checker.schema_valid or (not checker.valid and not ignore_validation):
        raise _refused(checker, "the definition is not valid")
    with transaction.atomic():
        environment = None
        if existing_id:
            environment = Environment.objects.select_for_update().get(environment_id=existing_id)
            _replace_allowed(environment)
        old_products = {p.product_id: p.spec for p in environment.products.all()} if environment else {}
        products = [_secrets_stored(copy.deepcopy(p), spec["environmentId"], old_products.get(p["productId"]), i)
                    for i, p in enumerate(spec["products"])]
        if environment is None:
            environment = Environment(environment_id=spec["environmentId"],
                                      created_by=user if user is not None and user.is_authenticated else None)
        environment.environment_name = spec["environmentName"]
        environment.properties = spec.get("properties", {})
        environment.state = EnvironmentState.DEFINED
        environment.save()
        environment.products.all().delete()
        for position, product in enumerate(products):
            _product_store(environment, product, position)
    return environment, checker.report()


def _replace_allowed(environment: Environment) -> None:
    running = tasks_unfinished_on(target_key=target_key(environment.environment_id)).first()
    if running:
        raise Conflict(f"task {running.pk} ({running.operation}) is running on {environment.environment_id}; "
                       "replace the definition when it has ended")
    if environment.state != EnvironmentState.DEFINED:
        raise Conflict(f"environment {environment.environment_id} is {environment.get_state_display().lower()}: "
                       "only a definition that was never deployed can be replaced")


def _secrets_stored(product: dict, environment_id: str, old: dict | None, index: int) -> dict:
    """Every literal secret becomes a stored secret reference; the placeholder keeps the old reference."""
    old_values = dict(secret_paths(old)) if old else {}
    for path, value in secret_paths(product):
        if not isinstance(value, str) or value == "" or secret_is_ref(value):
            continue
        if value == SECRET_PLACEHOLDER:
            previous = old_values.get(path)
            if not secret_is_ref(previous):
                raise ValidationFailed.field(f"products[{index}].{path}",
                                             f"'{SECRET_PLACEHOLDER}' keeps a stored secret, but there is none here")
            _path_set(product, path, previous)
        else:
            _path_set(product, path, secret_store(value, label=f"{environment_id}/{product['productId']}/{path}"))
    return product


_TOKEN = re.compile(r"([^.\[\]]+)|\[(\d+)\]")


def _path_set(obj: Any, path: str, value: Any) -> None:
    keys = [int(index) if index else name for name, index in _TOKEN.findall(path)]
    for key in keys[:-1]:
        obj = obj[key]
    obj[keys[-1]] = value


def _product_store(environment: Environment, spec: dict, position: int) -> Product:
    product_type = product_type_get(spec["productType"])
    product = Product.objects.create(environment=environment, product_id=spec["productId"],
                                     product_type=spec["productType"], version=spec["version"], position=position,
                                     spec=spec)
    Node.objects.bulk_create(
        Node(product=product, node_id=node.get("nodeId") or node["vmName"], role=product_type.role_of(node),
             is_primary=bool(node.get("isPrimary")), host_name=node["hostName"], vm_name=node["vmName"], position=i)
        for i, node in enumerate(spec["nodes"])
    )
    references = {}
    infra = spec.get("infraReference")
    if infra:
        references[infra.get("vcenterName") if isinstance(infra, dict) else infra] = "infraReference"
    for i, node in enumerate(spec["nodes"]):
        references.setdefault(node["deployment"]["vcenterName"], f"nodes[{i}].deployment.vcenterName")
    from datacenters.models import DatacenterComponent

    refs = [i.get("ref") for i in spec.get("integrations", [])]
    components = set(DatacenterComponent.objects.filter(component_name__in=refs).values_list("component_name", flat=True))
    for i, ref in enumerate(refs):
        if ref in components:
            references.setdefault(ref, f"integrations[{i}].ref")
    ComponentReference.objects.bulk_create(
        ComponentReference(product=product, component_name=name, usage=usage) for name, usage in references.items()
    )
    return product


def environment_export(*, environment_id: str) -> dict:
    """The definition as JSON that can be imported again (secrets as stored references)."""
    environment = _environment(environment_id)
    spec = {"environmentName": environment.environment_name, "environmentId": environment.environment_id}
    if environment.properties:
        spec["properties"] = environment.properties
    spec["products"] = [p.spec for p in environment.products.all()]
    return spec


def environment_delete(*, environment_id: str, user=None) -> Task:
    """Remove an environment (a task: a deployed one's VMs are removed first, by a later release)."""
    environment = _environment(environment_id)
    if environment.state not in (EnvironmentState.DEFINED,):
        raise NotAvailable(f"environment {environment_id} is {environment.get_state_display().lower()}; deleting "
                           "deployed environments (and their VMs) comes with the deployment release")
    return task_create(operation="environment.delete", target_type="environment", target_name=environment_id,
                       target_key=target_key(environment_id), request={"environmentId": environment_id}, user=user)


def environment_remove(*, environment_id: str) -> None:
    """The last action of a delete: remove the records."""
    with transaction.atomic():
        environment = Environment.objects.select_for_update().filter(environment_id=environment_id).first()
        if environment is None:
            raise Conflict(f"environment {environment_id} no longer exists")
        environment.delete()


def _environment(environment_id: str) -> Environment:
    environment = Environment.objects.filter(environment_id=environment_id).first()
    if environment is None:
        raise NotFound(f"no environment '{environment_id}'")
    return environment

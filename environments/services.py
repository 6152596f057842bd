"""Changes to environments: store a definition (create or replace), validate, delete, export.

A definition is checked by environments.checks (one report row per check) and stored with every secret
kept as a stored-secret reference, so that exports and task requests never carry one in clear text.
"""

from __future__ import annotations

import copy
from typing import Any

from django.contrib.auth.models import AnonymousUser, User
from django.db import transaction

from environments.checks import SpecChecker
from environments.deploy import states
from environments.deploy.prechecks import prechecks_run
from environments.models import ComponentReference, Environment, EnvironmentState, Node, Product
from environments.selectors import node_keys_with_vm, nodes_with_vm
from lifecycle.engine.models import Status, Task
from lifecycle.engine.operations import operation_get
from lifecycle.engine.selectors import tasks_unfinished_on
from lifecycle.engine.services import task_create
from lifecycle.errors import Conflict, NotAvailable, NotFound, ValidationFailed
from lifecycle.secrets import PLACEHOLDER, path_set, secret_is_ref, secret_store
from products.types import product_secrets, product_type_get

ACTIONS = ("CREATE", "VALIDATE", "DEPLOY", "IMPORT")


def target_key(environment_id: str) -> str:
    return f"environment:{environment_id}"


def environment_validate(*, spec: Any, prechecks: bool = True) -> dict:
    """The full report for a definition; stores nothing. When the definition itself is valid, the
    deployment pre-checks (vCenter, datastores, DNS, addresses: environments.deploy.prechecks) are added."""
    existing = _environment_id_of(spec)
    checker = SpecChecker(spec, environment_id=existing).run()
    if prechecks and checker.valid:
        deployed = node_keys_with_vm(environment_id=existing) if existing else set()
        checker.checks.extend(prechecks_run(spec, skip=lambda ref: (ref.product_id, ref.node_id) in deployed))
    return checker.report()


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
    return ValidationFailed(
        f"{headline}: {first.path}: {first.message}" if first.path else f"{headline}: {first.message}",
        errors=errors,
        extra={"validation": checker.report()},
    )


def environment_submit(
    *,
    spec: Any,
    action: str = "CREATE",
    replace_existing: bool = False,
    ignore_validation: bool = False,
    prechecks: bool = True,
    user: User | AnonymousUser | None = None,
) -> tuple[Environment | None, dict]:
    """What POST /environments?action=… does: VALIDATE reports (with the deployment pre-checks unless
    `prechecks` is False), CREATE stores, DEPLOY stores and starts a deployment task (its id is the
    report's taskId), IMPORT refuses (not in this release) after the same checks."""
    action = (action or "CREATE").upper()
    if action not in ACTIONS:
        raise ValidationFailed.field("action", f"must be one of {', '.join(ACTIONS)}, not '{action}'")
    if action == "VALIDATE":
        return None, environment_validate(spec=spec, prechecks=prechecks)
    if action == "IMPORT":
        checker = SpecChecker(spec, environment_id=_environment_id_of(spec)).run()
        if not checker.valid and not ignore_validation:
            raise _refused(checker, "the definition is not valid")
        raise NotAvailable(
            "action=IMPORT (registering an existing deployment) is not available in this release. Nothing was stored.",
            extra={"validation": checker.report()},
        )
    if action == "DEPLOY":
        # Store (or replace a never-deployed definition), then deploy, in one transaction: no task
        # without its definition, no definition left half-stored by a refused deploy.
        with transaction.atomic():
            environment, report = environment_create(
                spec=spec, replace_existing=replace_existing, ignore_validation=ignore_validation, user=user
            )
            task = environment_deploy(environment_id=environment.environment_id, user=user)
        return environment, {**report, "taskId": task.pk}
    return environment_create(
        spec=spec, replace_existing=replace_existing, ignore_validation=ignore_validation, user=user
    )


def environment_create(
    *,
    spec: Any,
    replace_existing: bool = False,
    ignore_validation: bool = False,
    user: User | AnonymousUser | None = None,
) -> tuple[Environment, dict]:
    """Store a definition. An existing environmentId is refused unless replace_existing is set."""
    existing_id = _environment_id_of(spec)
    if existing_id and not replace_existing:
        raise ValidationFailed.field(
            "environmentId",
            f"an environment '{existing_id}' exists already; set replaceExisting to replace its "
            "definition (nothing is ever overwritten silently)",
        )
    checker = SpecChecker(spec, environment_id=existing_id).run()
    if not checker.schema_valid or (not checker.valid and not ignore_validation):
        raise _refused(checker, "the definition is not valid")
    with transaction.atomic():
        environment = None
        if existing_id:
            environment = Environment.objects.select_for_update().get(environment_id=existing_id)
            _replace_allowed(environment)
        old_products = {p.product_id: p.spec for p in environment.products.all()} if environment else {}
        products = [
            _secrets_stored(copy.deepcopy(p), spec["environmentId"], old_products.get(p["productId"]), i)
            for i, p in enumerate(spec["products"])
        ]
        if environment is None:
            environment = Environment(
                environment_id=spec["environmentId"],
                created_by=user if user is not None and user.is_authenticated else None,
            )
        environment.environment_name = spec["environmentName"]
        environment.properties = spec.get("properties", {})
        if environment.pk is None:
            environment.save()  # a new environment is DEFINED; a replaced one was (see _replace_allowed)
        else:
            environment.save(update_fields=["environment_name", "properties", "updated_at"])
        environment.products.all().delete()
        for position, product in enumerate(products):
            _product_store(environment, product, position)
    return environment, checker.report()


def _replace_allowed(environment: Environment) -> None:
    running = tasks_unfinished_on(target_key=target_key(environment.environment_id)).first()
    if running:
        raise Conflict(
            f"task {running.pk} ({running.operation}) is running on {environment.environment_id}; "
            "replace the definition when it has ended"
        )
    if not states.environment_replaceable(environment):
        raise Conflict(
            f"environment {environment.environment_id} is {environment.get_state_display().lower()}: "
            "only a definition that was never deployed can be replaced"
        )


def _secrets_stored(product: dict, environment_id: str, old: dict | None, index: int) -> dict:
    """Every literal secret becomes a stored secret reference; the placeholder keeps the old reference."""
    old_values = dict(product_secrets(old)) if old else {}
    for path, value in product_secrets(product):
        if not isinstance(value, str) or value == "" or secret_is_ref(value):
            continue
        if value == PLACEHOLDER:
            previous = old_values.get(path)
            if not secret_is_ref(previous):
                raise ValidationFailed.field(
                    f"products[{index}].{path}", f"'{PLACEHOLDER}' keeps a stored secret, but there is none here"
                )
            path_set(product, path, previous)
        else:
            path_set(product, path, secret_store(value, label=f"{environment_id}/{product['productId']}/{path}"))
    return product


def _product_store(environment: Environment, spec: dict, position: int) -> Product:
    product_type = product_type_get(spec["productType"])
    assert product_type is not None, spec["productType"]  # a checked definition names a known type
    product = Product.objects.create(
        environment=environment,
        product_id=spec["productId"],
        product_type=spec["productType"],
        version=spec["version"],
        position=position,
        spec=spec,
    )
    Node.objects.bulk_create(
        Node(
            product=product,
            node_id=node.get("nodeId") or node["vmName"],
            role=product_type.role_of(node),
            is_primary=bool(node.get("isPrimary")),
            host_name=node["hostName"],
            vm_name=node["vmName"],
            position=i,
        )
        for i, node in enumerate(spec["nodes"])
    )
    references: dict[Any, str] = {}  # component name → the JSON path that names it
    infra = spec.get("infraReference")
    if infra:
        references[infra.get("vcenterName") if isinstance(infra, dict) else infra] = "infraReference"
    for i, node in enumerate(spec["nodes"]):
        references.setdefault(node["deployment"]["vcenterName"], f"nodes[{i}].deployment.vcenterName")
    from datacenters.models import DatacenterComponent

    refs = [i.get("ref") for i in spec.get("integrations", [])]
    components = set(
        DatacenterComponent.objects.filter(component_name__in=refs).values_list("component_name", flat=True)
    )
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
    spec: dict[str, Any] = {
        "environmentName": environment.environment_name,
        "environmentId": environment.environment_id,
    }
    if environment.properties:
        spec["properties"] = environment.properties
    spec["products"] = [p.spec for p in environment.products.all()]
    return spec


def _idle(environment: Environment, doing: str) -> None:
    running = tasks_unfinished_on(target_key=target_key(environment.environment_id)).first()
    if running:
        raise Conflict(
            f"task {running.pk} ({running.operation}) is running on {environment.environment_id}; "
            f"{doing} when it has ended"
        )


def _vm_items(*, environment_id: str, product_id: str | None = None) -> list[str]:
    """The nodes with a VM of ours, as task items "productId/nodeId"."""
    return [
        f"{n.product.product_id}/{n.node_id}"
        for n in nodes_with_vm(environment_id=environment_id, product_id=product_id)
    ]


def environment_deploy(
    *, environment_id: str, product_ids: list[str] | None = None, user: User | AnonymousUser | None = None
) -> Task:
    """Deploy the products of a stored environment that are not deployed yet (DEFINED or FAILED)."""
    with transaction.atomic():
        environment = _environment(environment_id, for_update=True)
        _idle(environment, "deploy it")
        if environment.state == EnvironmentState.DELETING:
            raise Conflict(f"environment {environment_id} is being deleted")
        products = list(environment.products.all())
        unknown = sorted(set(product_ids or []) - {p.product_id for p in products})
        if unknown:
            raise ValidationFailed.field("productIds", f"environment {environment_id} has no product {unknown[0]}")
        chosen = states.products_deployable(p for p in products if product_ids is None or p.product_id in product_ids)
        if not chosen:
            raise Conflict(f"nothing to deploy in {environment_id}: its products are deployed already")
        definition = environment_export(environment_id=environment_id)
        ids = [p.product_id for p in chosen]
        states.products_transition(environment_id=environment_id, event="deploy", product_ids=ids)
        states.environment_transition(environment_id=environment_id, event="deploy")
        return _environment_task(
            "environment.deploy", environment_id, {"productIds": ids, "definition": definition}, user=user
        )


def _environment_task(operation: str, environment_id: str, request: dict, *, user: User | AnonymousUser | None) -> Task:
    """A task of this operation on the environment (its request names the environment first)."""
    return task_create(
        operation=operation,
        target_type="environment",
        target_name=environment_id,
        target_key=target_key(environment_id),
        request={"environmentId": environment_id, **request},
        user=user,
    )


def deployment_input_update(*, task: Task, request: dict) -> dict:
    """A restart's corrected input: the environment's definition with the bad values fixed. The same
    products and nodes; it is checked like a new one and stored, and the restart deploys it."""
    definition = request.get("definition", request) if isinstance(request, dict) else request
    environment_id = task.request["environmentId"]
    if not isinstance(definition, dict) or definition.get("environmentId") != environment_id:
        raise ValidationFailed.field("environmentId", f"the corrected definition must be that of {environment_id}")
    checker = SpecChecker(definition, environment_id=environment_id).run()
    if not checker.valid:
        raise _refused(checker, "the corrected definition is not valid")
    with transaction.atomic():
        environment = Environment.objects.select_for_update().get(environment_id=environment_id)
        stored = {p.product_id: p for p in environment.products.all()}
        given = {p["productId"]: p for p in definition["products"]}
        if set(stored) != set(given):
            raise ValidationFailed.field(
                "products",
                "a restart cannot add or remove products: "
                f"the definition has {sorted(given)}, the environment {sorted(stored)}",
            )
        for index, (product_id, spec) in enumerate(given.items()):
            product = stored[product_id]
            nodes = {n.node_id: n for n in product.nodes.all()}
            ids = [n.get("nodeId") or n["vmName"] for n in spec["nodes"]]
            if set(ids) != set(nodes):
                raise ValidationFailed.field(f"products[{index}].nodes", "a restart cannot add or remove nodes")
            old_nodes = {n.get("nodeId") or n["vmName"]: n for n in product.spec["nodes"]}
            for position, (node_spec, node_id) in enumerate(zip(spec["nodes"], ids, strict=True)):
                node = nodes[node_id]
                if node.instance_uuid:  # its VM exists: where and what it is cannot change by a restart
                    old = old_nodes[node_id]
                    for key in ("vmName", "deployment", "nics", "deploymentOption"):
                        if node_spec.get(key) != old.get(key):
                            raise ValidationFailed.field(
                                f"products[{index}].nodes[{position}].{key}",
                                f"node {node_id} has a VM already ({node.vm_moref}); its {key} cannot change on "
                                "a restart (delete the product and deploy it again to move it)",
                            )
                node.host_name, node.vm_name = node_spec["hostName"], node_spec["vmName"]
                node.save(update_fields=["host_name", "vm_name", "updated_at"])
            product.spec = _secrets_stored(copy.deepcopy(spec), environment_id, product.spec, index)
            product.version = spec["version"]
            product.save(update_fields=["spec", "version"])
        environment.environment_name = definition["environmentName"]
        environment.properties = definition.get("properties", {})
        environment.save(update_fields=["environment_name", "properties", "updated_at"])
    return {
        "environmentId": environment_id,
        "productIds": task.request.get("productIds"),
        "definition": environment_export(environment_id=environment_id),
    }


def _failed_unless_success(task: Task) -> None:
    """A task that did not succeed leaves what it was doing (products and environment DEPLOYING or
    DELETING) FAILED; the nodes keep what they recorded. Idempotent: the sweep may call it again."""
    if task.status == Status.SUCCESS:
        return
    environment_id = task.request["environmentId"]
    states.products_transition(environment_id=environment_id, event="failed", required=False)
    states.environment_transition(environment_id=environment_id, event="failed", required=False)


def deployment_finished(*, task: Task) -> None:
    """A deploy ended. Success was recorded by its last actions (product_finish, deployment_finish)."""
    _failed_unless_success(task)


def deployment_restarted(*, task: Task) -> None:
    """A deployment runs again: its failed products (and the environment) are deploying again."""
    environment_id = task.request["environmentId"]
    states.products_transition(
        environment_id=environment_id, event="redeploy", product_ids=task.request["productIds"], required=False
    )
    states.environment_transition(environment_id=environment_id, event="redeploy")


def delete_restarted(*, task: Task) -> None:
    """A delete runs again: what it deletes is being deleted again."""
    environment_id = task.request["environmentId"]
    if task.operation == "product.delete":
        states.products_transition(
            environment_id=environment_id, event="delete", product_ids=[task.request["productId"]]
        )
    else:
        states.products_transition(environment_id=environment_id, event="delete")
        states.environment_transition(environment_id=environment_id, event="delete")


def delete_finished(*, task: Task) -> None:
    _failed_unless_success(task)  # some VMs may be gone already


def environments_settle() -> list[str]:
    """The orphan sweep's hook: an environment (or product) still DEPLOYING or DELETING whose latest task
    has ended is settled as that task's ending hook would have (when that hook failed, say). Returns the
    ids of the environments it looked at."""
    ids = set(Environment.objects.filter(state__in=states.BUSY).values_list("environment_id", flat=True))
    ids |= set(Product.objects.filter(state__in=states.BUSY).values_list("environment__environment_id", flat=True))
    settled = []
    for environment_id in sorted(ids):
        with transaction.atomic():  # the environment's row held: a restart waits, or is seen running
            if not Environment.objects.select_for_update().filter(environment_id=environment_id).exists():
                continue
            task = Task.objects.filter(target_key=target_key(environment_id)).order_by("-created_at", "-pk").first()
            if task is None or task.status in Status.unfinished():
                continue
            finished = operation_get(task.operation).finished
            if finished is not None:
                finished(task=task)
                settled.append(environment_id)
    return settled


def environment_delete(*, environment_id: str, user: User | AnonymousUser | None = None) -> Task:
    """Remove an environment: a task that powers off and destroys the VMs this system made (found by
    their recorded instance UUID), then removes the records. Refused while another task runs on it."""
    with transaction.atomic():
        environment = _environment(environment_id, for_update=True)
        _idle(environment, "delete it")
        vms = _vm_items(environment_id=environment_id)
        states.environment_transition(environment_id=environment_id, event="delete")
        states.products_transition(environment_id=environment_id, event="delete")
        return _environment_task("environment.delete", environment_id, {"vms": vms}, user=user)


def product_delete(*, environment_id: str, product_id: str, user: User | AnonymousUser | None = None) -> Task:
    """Remove one product: its VMs (by recorded instance UUID), then its records. Refused while another
    task runs on the environment, or when another product integrates with it."""
    with transaction.atomic():
        environment = _environment(environment_id, for_update=True)
        product = environment.products.filter(product_id=product_id).first()
        if product is None:
            raise NotFound(f"environment {environment_id} has no product '{product_id}'")
        _idle(environment, "delete the product")
        users = [
            p.product_id
            for p in environment.products.exclude(pk=product.pk)
            if any(i.get("ref") == product_id for i in p.spec.get("integrations") or [])
        ]
        if users:
            raise Conflict(f"product {product_id} is integrated with {', '.join(users)}; remove that integration first")
        vms = _vm_items(environment_id=environment_id, product_id=product_id)
        states.products_transition(environment_id=environment_id, event="delete", product_ids=[product_id])
        return _environment_task("product.delete", environment_id, {"productId": product_id, "vms": vms}, user=user)


def product_remove(*, environment_id: str, product_id: str) -> None:
    """The last action of a product delete: remove its records; the environment's state follows."""
    with transaction.atomic():
        product = (
            Product.objects.select_for_update()
            .filter(environment__environment_id=environment_id, product_id=product_id)
            .first()
        )
        if product is None:
            raise Conflict(f"environment {environment_id} no longer has a product {product_id}")
        left = nodes_with_vm(environment_id=environment_id, product_id=product_id).count()
        if left:
            raise Conflict(f"{left} VM(s) of product {product_id} are still recorded; they were not removed")
        product.delete()
    states.environment_settle(environment_id=environment_id)  # no product left: DEFINED


def environment_remove(*, environment_id: str) -> None:
    """The last action of a delete: remove the records."""
    with transaction.atomic():
        environment = Environment.objects.select_for_update().filter(environment_id=environment_id).first()
        if environment is None:
            raise Conflict(f"environment {environment_id} no longer exists")
        left = nodes_with_vm(environment_id=environment_id).count()
        if left:
            raise Conflict(f"{left} VM(s) of {environment_id} are still recorded; they were not removed")
        environment.delete()


def _environment(environment_id: str, *, for_update: bool = False) -> Environment:
    """The stored environment (its row locked until the transaction ends when for_update), or NotFound."""
    rows = Environment.objects.select_for_update() if for_update else Environment.objects
    environment = rows.filter(environment_id=environment_id).first()
    if environment is None:
        raise NotFound(f"no environment '{environment_id}'")
    return environment

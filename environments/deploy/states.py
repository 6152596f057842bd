"""The one writer of deployment state: ``Environment.state``, ``Product.state``, and a node's deploy state
and VM fields. The legal transitions are the tables below (from-state, event, to-state); every write is
a conditional update on the row's current state, so a refused or raced event changes nothing.

The questions the pages, the API and the services ask ("is it busy?", "may it be deployed?") are
answered here from the same tables.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from django.utils import timezone

from environments.models import Environment, EnvironmentState, Node, NodeState, Product
from lifecycle.errors import Conflict

E, N = EnvironmentState, NodeState
_ALL = tuple(state.value for state in E)

# An environment. deploy: the user deploys what is not deployed yet; redeploy: a failed or cancelled
# deploy task is restarted; failed: a deploy or delete task ended without success; delete: the user
# deletes it (allowed from any state once no task runs on it, so a stuck one can be removed);
# products_*: it is settled from its products' states (see environment_settle).
ENVIRONMENT_TRANSITIONS: tuple[tuple[str, str, str], ...] = (
    (E.DEFINED, "deploy", E.DEPLOYING),
    (E.FAILED, "deploy", E.DEPLOYING),
    *((state, "redeploy", E.DEPLOYING) for state in (E.DEFINED, E.FAILED, E.DEPLOYED, E.DEPLOYING)),
    (E.DEPLOYING, "failed", E.FAILED),
    (E.DELETING, "failed", E.FAILED),
    *((state, "delete", E.DELETING) for state in _ALL),
    *(
        (state, event, to)
        for state in (E.DEFINED, E.DEPLOYING, E.DEPLOYED, E.FAILED)
        for event, to in (
            ("products_deployed", E.DEPLOYED),
            ("products_partly_deployed", E.FAILED),
            ("products_undeployed", E.DEFINED),
        )
    ),
)

# A product. deployed: its last deployment step (product_finish) is done, again on a restart.
PRODUCT_TRANSITIONS: tuple[tuple[str, str, str], ...] = (
    (E.DEFINED, "deploy", E.DEPLOYING),
    (E.FAILED, "deploy", E.DEPLOYING),
    (E.FAILED, "redeploy", E.DEPLOYING),
    (E.DEPLOYING, "deployed", E.DEPLOYED),
    (E.DEPLOYED, "deployed", E.DEPLOYED),
    (E.DEPLOYING, "failed", E.FAILED),
    (E.DELETING, "failed", E.FAILED),
    *((state, "delete", E.DELETING) for state in _ALL),
)

# A node, as far as a deployment got with it (a restart may run a step again, so a step is legal from
# the states after it too). Forgetting the VM (gone, or half-made) and destroying it are legal from any state.
_VM = (N.IMPORTED, N.STARTED, N.READY, N.SET_UP)
NODE_TRANSITIONS: tuple[tuple[str, str, str], ...] = (
    (N.DEFINED, "vm_recorded", N.IMPORTING),
    (N.DELETED, "vm_recorded", N.IMPORTING),
    (N.IMPORTING, "vm_imported", N.IMPORTED),
    *((state, "guest_up", N.STARTED) for state in _VM),
    *((state, "appliance_answered", N.READY) for state in (N.STARTED, N.READY, N.SET_UP)),
    *((state, "appliance_set_up", N.SET_UP) for state in (N.STARTED, N.READY, N.SET_UP)),
    *((state, "vm_forgotten", N.DEFINED) for state in N.values),
    *((state, "vm_destroyed", N.DELETED) for state in N.values),
)


class TransitionRefused(Conflict):
    """An event the object's current state does not allow; nothing was written."""


@dataclass(frozen=True)
class _Machine:
    kind: str
    froms: dict[str, frozenset[str]]
    to: dict[str, str]

    @classmethod
    def of(cls, kind: str, table: Iterable[tuple[str, str, str]]) -> _Machine:
        froms: dict[str, set[str]] = {}
        to: dict[str, str] = {}
        for state, event, target in table:
            if to.setdefault(event, target) != target:
                raise ValueError(f"{kind} event {event} leads to two states")
            froms.setdefault(event, set()).add(state)
        return cls(kind, {event: frozenset(states) for event, states in froms.items()}, to)

    def allows(self, state: str, event: str) -> bool:
        return state in self.froms[event]

    def refused(self, name: str, state: str | None, event: str) -> TransitionRefused:
        if state is None:
            return TransitionRefused(f"{self.kind} {name} no longer exists: it cannot take the event '{event}'")
        return TransitionRefused(
            f"{self.kind} {name} is {state}: the event '{event}' is not allowed from there "
            f"(only from {', '.join(sorted(self.froms[event]))})"
        )


ENVIRONMENT = _Machine.of("environment", ENVIRONMENT_TRANSITIONS)
PRODUCT = _Machine.of("product", PRODUCT_TRANSITIONS)
NODE = _Machine.of("node", NODE_TRANSITIONS)


# --- the questions ---------------------------------------------------------------------------------


BUSY = (E.DEPLOYING, E.DELETING)  # a deploy or a delete is under way (or ended without settling it yet)


def environment_busy(environment: Environment) -> bool:
    return environment.state in BUSY


def environment_replaceable(environment: Environment) -> bool:
    """Its definition may be replaced: it was never deployed."""
    return environment.state == E.DEFINED


def product_deployable(product: Product) -> bool:
    """The product may be deployed: never deployed, or failed."""
    return PRODUCT.allows(product.state, "deploy")


def products_deployable(products: Iterable[Product]) -> list[Product]:
    return [p for p in products if product_deployable(p)]


def environment_deployable(environment: Environment, products: Iterable[Product]) -> bool:
    """The page's Deploy button: nothing under way, and a product to deploy."""
    return not environment_busy(environment) and bool(products_deployable(products))


# --- environments and products -----------------------------------------------------------------------


def environment_transition(*, environment_id: str, event: str, required: bool = True) -> bool:
    """Apply `event` to the environment. Refused (TransitionRefused) when its state does not allow it,
    unless not `required`: then it only applies where it is legal, and says whether it did."""
    applied = Environment.objects.filter(environment_id=environment_id, state__in=ENVIRONMENT.froms[event]).update(
        state=ENVIRONMENT.to[event], updated_at=timezone.now()
    )
    if not applied and required:
        state = Environment.objects.filter(environment_id=environment_id).values_list("state", flat=True).first()
        raise ENVIRONMENT.refused(environment_id, state, event)
    return bool(applied)


def products_transition(
    *, environment_id: str, event: str, product_ids: Iterable[str] | None = None, required: bool = True
) -> int:
    """Apply `event` to the environment's products (those named, or all). Refused, with nothing written,
    when one of them does not allow it, unless not `required`: then only those that allow it change.
    Returns how many changed."""
    products = Product.objects.filter(environment__environment_id=environment_id)
    if product_ids is not None:
        products = products.filter(product_id__in=list(product_ids))
    if required:
        illegal = products.exclude(state__in=PRODUCT.froms[event]).values_list("product_id", "state").first()
        if illegal:
            raise PRODUCT.refused(f"{environment_id}/{illegal[0]}", illegal[1], event)
    return products.filter(state__in=PRODUCT.froms[event]).update(state=PRODUCT.to[event])


def environment_settle(*, environment_id: str) -> str:
    """The environment's state from its products': DEPLOYED when all are, FAILED when some are (or some
    failed), else DEFINED. Returns the state it has now."""
    states = set(Product.objects.filter(environment__environment_id=environment_id).values_list("state", flat=True))
    if states == {E.DEPLOYED}:
        event = "products_deployed"
    elif E.FAILED in states or E.DEPLOYED in states:
        event = "products_partly_deployed"
    else:
        event = "products_undeployed"
    environment_transition(environment_id=environment_id, event=event)
    return ENVIRONMENT.to[event]


# --- nodes ---------------------------------------------------------------------------------------------


def _node_event(node: Node, event: str, **values) -> None:
    """Apply `event` to the node, with the VM fields it records; the node instance follows."""
    values = {**values, "deploy_state": NODE.to[event], "updated_at": timezone.now()}
    if not Node.objects.filter(pk=node.pk, deploy_state__in=NODE.froms[event]).update(**values):
        row = (
            Node.objects.filter(pk=node.pk)
            .values_list("product__environment__environment_id", "product__product_id", "deploy_state")
            .first()
        )
        name = f"{row[0]}/{row[1]}/{node.node_id}" if row else node.node_id
        raise NODE.refused(name, row[2] if row else None, event)
    for key, value in values.items():
        setattr(node, key, value)


def _node_fields(node: Node, **values) -> None:
    """VM fields that change without a change of deploy state (power, certificates)."""
    values = {**values, "updated_at": timezone.now()}
    Node.objects.filter(pk=node.pk).update(**values)
    for key, value in values.items():
        setattr(node, key, value)


def vm_recorded(node: Node, *, moref: str, instance_uuid: str, vcenter_name: str) -> None:
    """The import made the node's VM (powered off; its upload may not be complete): it is ours from now on."""
    _node_event(
        node,
        "vm_recorded",
        vm_moref=moref,
        instance_uuid=instance_uuid,
        vcenter_name=vcenter_name,
        power_state="poweredOff",
    )


def vm_imported(node: Node) -> None:
    _node_event(node, "vm_imported")


def vm_forgotten(node: Node) -> None:
    """The node's VM is gone (removed, or never completed): nothing of it stays recorded."""
    _node_event(node, "vm_forgotten", vm_moref="", instance_uuid="", power_state="", ip_address="")


def vm_destroyed(node: Node) -> None:
    """A delete destroyed the node's VM (or found it gone)."""
    _node_event(node, "vm_destroyed", vm_moref="", instance_uuid="", power_state="", ip_address="")


def vm_powered_on(node: Node, *, moref: str) -> None:
    _node_fields(node, vm_moref=moref, power_state="poweredOn")


def guest_up(node: Node, *, ip_address: str, power_state: str) -> None:
    """VMware Tools run in the guest and it reports its IP."""
    _node_event(node, "guest_up", ip_address=ip_address, power_state=power_state)


def appliance_answered(node: Node) -> None:
    _node_event(node, "appliance_answered")


def appliance_set_up(node: Node) -> None:
    _node_event(node, "appliance_set_up")


def certificates_kept(node: Node, certificates: dict) -> None:
    """The appliance certificates trusted on first use (port → PEM)."""
    _node_fields(node, certificates=certificates)

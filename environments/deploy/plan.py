"""A definition as the nodes a deployment runs for: node references and an operation's fan-out items.

Pure functions of the request and its definition, with the product types as their only reference:
a task's plan (lifecycle.engine.operations.Operation.plan, through ``for_each``) imports no vCenter or
appliance client.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from products.types import product_type_get
from products.types.base import ProductType


@dataclass(frozen=True)
class NodeRef:
    """One node of one product of a definition, with where it sits in the JSON."""

    product: dict
    product_index: int
    node: dict
    node_index: int
    product_type: ProductType

    @property
    def product_id(self) -> str:
        return self.product["productId"]

    @property
    def node_id(self) -> str:
        return self.node.get("nodeId") or self.node["vmName"]

    @property
    def item(self) -> str:
        """The action item that names this node on a task: "productId/nodeId"."""
        return f"{self.product_id}/{self.node_id}"

    @property
    def path(self) -> str:
        return f"products[{self.product_index}].nodes[{self.node_index}]"

    @property
    def is_primary(self) -> bool:
        primary_roles = {r.name for r in self.product_type.node_roles if r.primary}
        return self.product_type.role_of(self.node) in primary_roles

    @property
    def role(self) -> str:
        return self.product_type.role_of(self.node)

    @property
    def deployment(self) -> dict:
        return self.node["deployment"]


def products_to_deploy(definition: dict, product_ids: list[str] | None) -> list[tuple[int, dict]]:
    return [
        (i, p) for i, p in enumerate(definition["products"]) if product_ids is None or p["productId"] in product_ids
    ]


def nodes_of(definition: dict, product_ids: list[str] | None = None) -> list[NodeRef]:
    """Every node of the products being deployed, in definition order."""
    refs = []
    for p, product in products_to_deploy(definition, product_ids):
        product_type = product_type_get(product["productType"])
        assert product_type is not None, product["productType"]  # a checked definition names a known type
        for n, node in enumerate(product["nodes"]):
            refs.append(NodeRef(product, p, node, n, product_type))
    return refs


def node_get(definition: dict, item: str) -> NodeRef:
    for ref in nodes_of(definition):
        if ref.item == item:
            return ref
    raise LookupError(f"the definition has no node {item}")


# --- which nodes an action runs for (the operation's for_each) ----------------------------------------


def nodes_for(*, primary: bool | None = None, step: str | None = None) -> Callable[[dict], list[str]]:
    """An operation's for_each: the nodes being deployed ("productId/nodeId"), only the primaries or only
    the others, and only those whose product type's appliance API has `step` (ready, setup)."""

    def items(request: dict) -> list[str]:
        return [
            ref.item
            for ref in nodes_of(request["definition"], request.get("productIds"))
            if (primary is None or ref.is_primary == primary)
            and (step is None or step in ref.product_type.appliance_steps)
        ]

    return items


def items_products(request: dict) -> list[str]:
    return [
        p["productId"]
        for p in request["definition"]["products"]
        if request.get("productIds") is None or p["productId"] in request["productIds"]
    ]


def items_vms(request: dict) -> list[str]:
    """Nodes with a VM of ours to destroy (recorded when the delete was asked for)."""
    return list(request.get("vms", []))

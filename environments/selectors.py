"""Reads of environments and their products."""

from django.db.models import Prefetch

from environments.models import ComponentReference, Environment, Node, Product
from lifecycle.errors import NotFound


def products_using_component(*, component_name: str) -> list[str]:
    """'environmentId/productId' of every product that refers to the component, sorted."""
    rows = ComponentReference.objects.filter(component_name=component_name).values_list(
        "product__environment__environment_id", "product__product_id"
    )
    return sorted({f"{env}/{product}" for env, product in rows})


def environment_list():
    return Environment.objects.prefetch_related(
        Prefetch("products", queryset=Product.objects.prefetch_related("nodes").order_by("position"))
    ).order_by("environment_id")


def environment_get(*, environment_id: str):
    environment = environment_list().filter(environment_id=environment_id).first()
    if environment is None:
        raise NotFound(f"no environment '{environment_id}'")
    return environment


def product_get(*, environment_id: str, product_id: str):
    from environments.models import Product

    product = (
        Product.objects.select_related("environment")
        .prefetch_related("nodes")
        .filter(environment__environment_id=environment_id, product_id=product_id)
        .first()
    )
    if product is None:
        raise NotFound(f"no product '{product_id}' in environment '{environment_id}'")
    return product


def nodes_with_vm(*, environment_id: str, product_id: str | None = None):
    """The nodes that have a VM this system deployed (a recorded instance UUID), in definition order."""
    nodes = Node.objects.filter(product__environment__environment_id=environment_id).exclude(instance_uuid="")
    if product_id is not None:
        nodes = nodes.filter(product__product_id=product_id)
    return nodes.select_related("product").order_by("product__position", "position")


def node_keys_with_vm(*, environment_id: str) -> set[tuple[str, str]]:
    """(productId, nodeId) of the nodes with a VM of ours: the pre-checks leave their name and IP alone."""
    return set(nodes_with_vm(environment_id=environment_id).values_list("product__product_id", "node_id"))

"""Reads of environments and their products."""
from django.db.models import Prefetch

from environments.models import ComponentReference, Environment, Product
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
    product = (Product.objects.select_related("environment").prefetch_related("nodes")
               .filter(environment__environment_id=environment_id, product_id=product_id).first())
    if product is None:
        raise NotFound(f"no product '{product_id}' in environment '{environment_id}'")
    return product

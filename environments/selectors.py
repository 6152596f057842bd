"""Reads of environments and their products."""
from environments.models import ComponentReference


def products_using_component(*, component_name: str) -> list[str]:
    """'environmentId/productId' of every product that refers to the component, sorted."""
    rows = ComponentReference.objects.filter(component_name=component_name).values_list(
        "product__environment__environment_id", "product__product_id"
    )
    return sorted({f"{env}/{product}" for env, product in rows})

"""The registry of product types. Each module of this package declares one type; adding a product
type is adding one module here."""

import importlib
import pkgutil
from typing import Any

from products.types.base import _TYPES, PRODUCT_SECRETS, ProductType, product_type_register  # noqa: F401

for _module in pkgutil.iter_modules(__path__):
    if _module.name != "base":
        importlib.import_module(f"{__name__}.{_module.name}")


def product_types() -> list[ProductType]:
    return sorted(_TYPES.values(), key=lambda t: t.code)


def product_type_get(code: str | None) -> ProductType | None:
    return _TYPES.get(code) if code else None


def product_type_codes() -> list[str]:
    return sorted(_TYPES)


def appliance_ports() -> list[int]:
    """Every port an appliance of any type listens on (overrides applied), in order."""
    return sorted({t.port(name) for t in _TYPES.values() for name in t.ports})


def product_secrets(product: Any) -> list[tuple[str, Any]]:
    """(JSON path inside the product, value) of every secret a product spec carries, as its type
    declares them; of a spec of no known type, the fields every product has."""
    from lifecycle.secrets import secret_values

    if not isinstance(product, dict):
        return []
    code = product.get("productType")
    product_type = _TYPES.get(code) if isinstance(code, str) else None
    return secret_values(product, product_type.secret_paths(product) if product_type else PRODUCT_SECRETS)

"""The registry of product types. Each module of this package declares one type; adding a product
type is adding one module here."""
import importlib
import pkgutil

from products.types.base import _TYPES, ProductType, product_type_register  # noqa: F401

for _module in pkgutil.iter_modules(__path__):
    if _module.name != "base":
        importlib.import_module(f"{__name__}.{_module.name}")


def product_types() -> list[ProductType]:
    return sorted(_TYPES.values(), key=lambda t: t.code)


def product_type_get(code: str) -> ProductType | None:
    return _TYPES.get(code)


def product_type_codes() -> list[str]:
    return sorted(_TYPES)


def appliance_ports() -> list[int]:
    """Every port an appliance of any type listens on (overrides applied), in order."""
    return sorted({t.port(name) for t in _TYPES.values() for name in t.ports})

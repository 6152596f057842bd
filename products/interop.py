"""The interop table: which versions of each product type may be deployed, and upgraded to which.

Kept as data: the built-in table ships as ``products/interop.json``; an imported bundle (the newest
InteropBundle row) replaces it as a whole.
"""

import json
from pathlib import Path

from django.contrib.auth.models import AnonymousUser, User

from lifecycle.errors import ValidationFailed
from products.models import InteropBundle
from products.types import product_type_codes

BUILT_IN = Path(__file__).with_name("interop.json")
ANY = "*"


def interop_current() -> dict:
    bundle = InteropBundle.objects.first()
    if bundle is not None:
        return {"name": bundle.name, "products": bundle.content["products"], "importedAt": bundle.imported_at}
    return json.loads(BUILT_IN.read_text())


def interop_deployable(*, product_type: str, version: str) -> tuple[bool, list[str] | str]:
    """(may this version be deployed, the versions that may) — "*" means any version."""
    entry = interop_current()["products"].get(product_type)
    if entry is None:
        return False, []
    allowed = entry.get("deploy", [])
    if allowed == ANY:
        return True, ANY
    return version in allowed, list(allowed)


def interop_upgrades(*, product_type: str, version: str) -> list[str]:
    entry = interop_current()["products"].get(product_type) or {}
    return list((entry.get("upgrades") or {}).get(version, []))


def interop_check(content) -> dict:
    """Check a bundle's shape; the errors name the JSON path."""
    errors: dict[str, list[str]] = {}
    if not isinstance(content, dict):
        raise ValidationFailed('an interop bundle is a JSON object with "name" and "products"')
    if not isinstance(content.get("name"), str) or not content.get("name"):
        errors["name"] = ["required: a name for this bundle"]
    products = content.get("products")
    if not isinstance(products, dict) or not products:
        errors["products"] = ["required: an object of product type → {deploy, upgrades}"]
        products = {}
    known = set(product_type_codes())
    for code, entry in products.items():
        path = f"products.{code}"
        if code not in known:
            errors[path] = [f"unknown product type (known: {', '.join(sorted(known))})"]
            continue
        if not isinstance(entry, dict):
            errors[path] = ['must be an object with "deploy" and "upgrades"']
            continue
        deploy = entry.get("deploy")
        if deploy != ANY and (not isinstance(deploy, list) or not all(isinstance(v, str) and v for v in deploy)):
            errors[f"{path}.deploy"] = ['must be a list of version strings, or "*" for any version']
        upgrades = entry.get("upgrades", {})
        if not isinstance(upgrades, dict) or not all(
            isinstance(targets, list) and all(isinstance(v, str) for v in targets) for targets in upgrades.values()
        ):
            errors[f"{path}.upgrades"] = ["must map a version to the list of versions it may be upgraded to"]
    if errors:
        path, problems = next(iter(errors.items()))
        raise ValidationFailed(f"{path}: {problems[0]}", errors=errors)
    return content


def interop_import(*, content, user: User | AnonymousUser | None = None) -> InteropBundle:
    content = interop_check(content)
    return InteropBundle.objects.create(
        name=content["name"],
        content={"products": content["products"]},
        imported_by=user.get_username() if user is not None and user.is_authenticated else "",
    )

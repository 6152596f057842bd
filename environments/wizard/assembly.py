"""The product spec a wizard's kept input makes, as the API takes it: secrets opened (to submit) or
masked (to show), and the whole environment with the new product last."""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from environments.wizard.steps import PLACEMENT_FIELDS, PRODUCT_FIELDS, SEALED, masked, unseal
from lifecycle.secrets import MASK, path_set
from products.types import product_secrets
from products.types.base import BOOLEAN


class ProductAssembly:
    """The part of `Wizard` (session.py) that assembles: it reads the wizard's state, forms and rows."""

    if TYPE_CHECKING:  # what it reads of the Wizard it is part of
        state: dict[str, Any]
        _integration_refs: list[str]

        @property
        def new(self) -> bool: ...
        def exported(self) -> dict: ...
        def form(self, step: str) -> Any: ...
        def rows(self) -> list[dict]: ...
        def node_formset(self) -> Any: ...
        def integration_forms(self) -> list[Any]: ...

    def _values(self, form, kept: dict | None, opened: Callable[[str], str]) -> dict:
        if form is None:
            return {}
        form.is_valid()
        values = dict(form.cleaned_data)
        sealed = (kept or {}).get(SEALED, {})
        for name in form.secret_fields:
            if not values.get(name) and name in sealed:
                values[name] = opened(sealed[name])
        for key, token in sealed.items():
            name, _, map_key = key.partition("=")
            if map_key and isinstance(values.get(name), dict) and values[name].get(map_key) == MASK:
                values[name][map_key] = opened(token)
        return values

    def values(self, step: str, opened: Callable[[str], str] = unseal):
        """A step's cleaned values, secrets opened (or masked); a step not visited gives its defaults."""
        if step == "nodes":
            rows = self.rows()
            formset = self.node_formset()
            return [self._values(form, rows[i], opened) for i, form in enumerate(formset.forms)]
        if step == "integrations":
            kept_all = self.state["data"].get("integrations") or {}
            return {form.ref: self._values(form, kept_all.get(form.ref), opened) for form in self.integration_forms()}
        return self._values(self.form(step), self.state["data"].get(step), opened)

    def product(self, *, reveal: bool) -> dict:
        """The product as the API takes it; with reveal=False every secret shows as "********"."""
        opened = unseal if reveal else masked
        chosen = self.values("product", opened)
        placement = self.values("placement", opened)
        spec: dict[str, Any] = {}
        for key in PRODUCT_FIELDS:
            _put(spec, key, chosen.get(key))
        if placement.get("infraReference") and placement.get("vcenterName"):
            spec["infraReference"] = {"vcenterName": placement["vcenterName"]}
        spec["properties"] = self._properties(opened)
        integrations = []
        self._integration_refs = []
        for ref, values in self.values("integrations", opened).items():
            if not values.get("use"):
                continue
            integration = {"integrationId": values.get("integrationId") or ref, "ref": ref}
            _put(integration, "integrationUsername", values.get("integrationUsername"))
            _put(integration, "integrationPassword", values.get("integrationPassword"))
            integrations.append(integration)
            self._integration_refs.append(ref)
        _put(spec, "integrations", integrations)
        deployment: dict[str, Any] = {}
        for key in PLACEMENT_FIELDS:
            _put(deployment, key, placement.get(key))
        deployment["datastoreNames"] = [placement["datastoreName"]] if placement.get("datastoreName") else []
        spec["nodes"] = [self._node(values, deployment) for values in self.values("nodes", opened)]
        if not reveal:
            _mask(spec)
        return spec

    def _properties(self, opened) -> dict:
        form = self.form("properties")
        if form is None:
            return {}
        values = self._values(form, self.state["data"].get("properties"), opened)
        result: dict[str, Any] = {}
        for name, prop in form.declared.items():
            value = values.get(name)
            if prop.type == BOOLEAN:
                value = bool(value)
            elif value in (None, "", [], {}):
                continue
            target = result
            *parents, last = name.split(".")
            for parent in parents:
                target = target.setdefault(parent, {})
            target[last] = value
        return result

    @staticmethod
    def _node(values: dict, deployment: dict) -> dict:
        node: dict[str, Any] = {}
        _put(node, "nodeId", values.get("nodeId"))
        node["isPrimary"] = bool(values.get("isPrimary"))
        for key in ("hostName", "vmName", "rootPassword"):
            _put(node, key, values.get(key))
        node["deployment"] = dict(deployment, datastoreNames=list(deployment["datastoreNames"]))
        nic: dict[str, Any] = {}
        _put(nic, "ipAddress", values.get("ipAddress"))
        _put(nic, "networkName", values.get("networkName"))
        node["nics"] = [nic]
        for key in ("deploymentOption", "cpuNum", "ramMemory"):
            _put(node, key, values.get(key))
        return node

    def environment_spec(self) -> tuple[dict, int]:
        """The whole environment with the new product last, and that product's index."""
        product = self.product(reveal=True)
        if self.new:
            environment = self.values("environment")
            spec: dict[str, Any] = {}
            _put(spec, "environmentName", environment.get("environmentName"))
            _put(spec, "environmentId", environment.get("environmentId"))
            spec["products"] = [product]
            return spec, 0
        exported = self.exported()
        return {**exported, "products": [*exported["products"], product]}, len(exported["products"])


def _put(obj: dict, key: str, value: Any) -> None:
    if value not in (None, "", [], {}):
        obj[key] = value


def _mask(product: dict) -> None:
    """Every value the service would keep as a secret shows as "********"."""
    for path, value in product_secrets(product):
        if value not in (None, ""):
            path_set(product, path, MASK)

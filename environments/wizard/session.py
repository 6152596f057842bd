"""An open product wizard in the session: its life there, its steps, its forms bound to what was kept,
and keeping what the browser sent. What the kept input makes and how failures come back are the
mixins of assembly.py and failures.py."""

from __future__ import annotations

import secrets
import time
from typing import Any

from django.forms import Form
from django.urls import reverse

from datacenters.models import DatacenterComponent
from environments.services import environment_export
from environments.wizard import forms
from environments.wizard.assembly import ProductAssembly
from environments.wizard.failures import FailurePlacement
from environments.wizard.options import inventory_options, vcenter_options, version_options
from environments.wizard.steps import SEALED, STEPS, kept_from_post, kept_split, seal
from lifecycle.secrets import MASK, path_join
from products.selectors import repository_file_for
from products.types import product_secrets, product_type_get
from products.types.base import MAP, ProductType

SESSION_KEY = "environment_wizards"
MAX_OPEN = 8  # wizards kept per session; the oldest is dropped beyond that
MAX_NODES = 64


class Wizard(ProductAssembly, FailurePlacement):
    """One open product wizard of a session: for a new environment, or to add a product to one."""

    def __init__(self, session, wizard_id: str, state: dict):
        self.session = session
        self.id = wizard_id
        self.state = state
        self._exported: dict | None = None
        self._integration_refs: list[str] = []

    # -- its life in the session --

    @classmethod
    def start(cls, session, *, environment_id: str | None = None) -> Wizard:
        wizards = dict(session.get(SESSION_KEY) or {})
        while len(wizards) >= MAX_OPEN:
            wizards.pop(min(wizards, key=lambda key: wizards[key]["started"]))
        wizard_id = secrets.token_urlsafe(9)
        state: dict[str, Any] = {
            "environmentId": environment_id,
            "new": environment_id is None,
            "started": time.time(),
            "data": {},
            "errors": {},
            "rest": [],
            "report": None,
        }
        wizards[wizard_id] = state
        session[SESSION_KEY] = wizards
        return cls(session, wizard_id, state)

    @classmethod
    def load(cls, session, wizard_id: str) -> Wizard | None:
        state = (session.get(SESSION_KEY) or {}).get(wizard_id)
        return cls(session, wizard_id, state) if state is not None else None

    def save(self) -> None:
        wizards = dict(self.session.get(SESSION_KEY) or {})
        wizards[self.id] = self.state
        self.session[SESSION_KEY] = wizards

    def discard(self) -> None:
        wizards = dict(self.session.get(SESSION_KEY) or {})
        wizards.pop(self.id, None)
        self.session[SESSION_KEY] = wizards

    # -- what it is about --

    @property
    def new(self) -> bool:
        return self.state["new"]

    @property
    def environment_id(self) -> str:
        if self.new:
            return (self.state["data"].get("environment") or {}).get("environmentId", "")
        return self.state["environmentId"]

    @property
    def steps(self) -> list[tuple[str, str]]:
        return [step for step in STEPS if step[0] != "environment" or self.new]

    def step_after(self, step: str, offset: int = 1) -> str:
        names = [name for name, _ in self.steps]
        return names[max(0, min(len(names) - 1, names.index(step) + offset))]

    @property
    def product_type(self) -> ProductType | None:
        return product_type_get((self.state["data"].get("product") or {}).get("productType") or "")

    def deployment_options(self) -> list[tuple[str, str]]:
        """(id, label) of the deployment options of the OVA the chosen type and version deploy from."""
        chosen = self.state["data"].get("product") or {}
        package = repository_file_for(product_type=chosen.get("productType") or "", version=chosen.get("version") or "")
        if package is None:
            return []
        return [
            (o["id"], f"{o['id']} — {o['label']}" if o.get("label") and o["label"] != o["id"] else o["id"])
            for o in package.deployment_options
        ]

    def exported(self) -> dict:
        """The stored environment this wizard adds to (raises NotFound when it is gone)."""
        if self._exported is None:
            self._exported = environment_export(environment_id=self.state["environmentId"])
        return self._exported

    def other_products(self) -> list[dict]:
        return [] if self.new else self.exported()["products"]

    # -- the forms of the steps, bound to what was kept --

    def form(self, step: str):
        """The step's form (a formset for nodes, a list of forms for integrations), always bound: to the
        input kept for it, or to its initial values when the step was not visited yet."""
        if step == "nodes":
            return self.node_formset()
        if step == "integrations":
            return self.integration_forms()
        kept = self.state["data"].get(step)
        data, sealed = kept_split(kept)
        kwargs: dict[str, Any] = {"kept": set(sealed)}
        initial = None
        form_class: type[Form]
        if step == "environment":
            form_class = forms.EnvironmentForm
        elif step == "product":
            form_class = forms.ProductForm
            kwargs["versions"] = [v for v, _ in version_options(data.get("productType", ""))]
        elif step == "placement":
            form_class = forms.PlacementForm
            if kept is None:
                data = initial = self.placement_initial()
            kwargs["options"] = self.placement_options(data)
        elif step == "properties":
            if self.product_type is None:
                return None
            form_class = forms.properties_form_class(self.product_type)
        else:
            raise LookupError(step)
        if kept is None:
            data = form_class(initial=initial, **kwargs).as_data()
        return form_class(data=data, **kwargs)

    def placement(self) -> dict:
        kept = self.state["data"].get("placement")
        return kept_split(kept)[0] if kept is not None else self.placement_initial()

    def placement_initial(self) -> dict:
        """A fresh placement: the first of everything the inventory offers."""
        chosen: dict[str, Any] = {"infraReference": "on"}
        vcenters = vcenter_options()
        chosen["vcenterName"] = vcenters[0][0] if vcenters else ""
        for name, (kind, _, _) in forms.PLACEMENT_OPTIONS.items():
            options = inventory_options(
                kind, **{k: chosen.get(k, "") for k in ("vcenterName", "datacenterName", "clusterName")}
            )
            chosen[name] = options[0][0] if options else ""
        return chosen

    def placement_options(self, chosen: dict) -> dict[str, list[tuple[str, str]]]:
        given = {k: chosen.get(k) or "" for k in ("vcenterName", "datacenterName", "clusterName")}
        options = {"vcenterName": vcenter_options()}
        for name, (kind, _, _) in forms.PLACEMENT_OPTIONS.items():
            options[name] = inventory_options(kind, **given)
        return options

    def networks(self) -> list[tuple[str, str]]:
        placement = self.placement()
        return inventory_options(
            "networks",
            vcenterName=placement.get("vcenterName") or "",
            datacenterName=placement.get("datacenterName") or "",
        )

    def rows(self) -> list[dict]:
        rows = self.state["data"].get("nodes")
        return [dict(row) for row in rows] if rows is not None else [self.default_row([])]

    def default_row(self, rows: list[dict]) -> dict:
        taken = {row.get("nodeId") for row in rows}
        number = len(rows) + 1
        while f"node{number}" in taken:
            number += 1
        row = {"nodeId": f"node{number}"}
        if rows and rows[-1].get("networkName"):
            row["networkName"] = rows[-1]["networkName"]  # nodes of a product mostly share a port group
        product_type = self.product_type
        if not rows and (product_type is None or any(role.primary for role in product_type.node_roles)):
            row["isPrimary"] = "on"
        if product_type is not None and product_type.code == "VCD":
            wanted = "primary" if not rows else "cell"
            offered = [option for option, _ in self.deployment_options()]
            row["deploymentOption"] = next(
                (o for o in offered if o.startswith(wanted)), "primary-small" if not rows else "cell"
            )
        return row

    def node_formset(self):
        rows = self.rows()
        data = {f"{forms.NODES_PREFIX}-TOTAL_FORMS": str(len(rows)), f"{forms.NODES_PREFIX}-INITIAL_FORMS": "0"}
        for index, row in enumerate(rows):
            for name, value in row.items():
                if name != SEALED:
                    data[f"{forms.NODES_PREFIX}-{index}-{name}"] = value
        return forms.NodeFormSetClass(
            data=data,
            prefix=forms.NODES_PREFIX,
            kept_rows=[set(row.get(SEALED, {})) for row in rows],
            form_kwargs={
                "product_type": self.product_type,
                "networks": self.networks(),
                "deployment_options": self.deployment_options(),
                "vcenter_name": self.placement().get("vcenterName") or "",
                "refresh_url": reverse("environment-wizard", args=[self.id, "nodes"]),
            },
        )

    def integration_candidates(self) -> list[tuple[str, str]]:
        """(ref, what it is) of everything the product type may be connected to: other products of the
        environment first, then registered components."""
        product_type = self.product_type
        if product_type is None:
            return []
        allowed = {integration.target: integration for integration in product_type.integrations}
        found: dict[str, str] = {}
        for product in self.other_products():
            if product.get("productType") in allowed:
                target = allowed[product["productType"]]
                found.setdefault(
                    product["productId"], f"{target.title} — product {product['productId']} of this environment"
                )
        components = DatacenterComponent.objects.filter(component_type__in=list(allowed)).order_by("component_name")
        for component in components:
            target = allowed[component.component_type]
            found.setdefault(
                component.component_name,
                f"{target.title} — registered {component.get_component_type_display()} {component.fqdn}",
            )
        return list(found.items())

    def integration_forms(self) -> list[forms.IntegrationForm]:
        kept_all = self.state["data"].get("integrations") or {}
        result = []
        for index, (ref, title) in enumerate(self.integration_candidates()):
            kept = kept_all.get(ref)
            data, sealed = kept_split(kept)
            kwargs: dict[str, Any] = {"prefix": f"int{index}", "ref": ref, "title": title, "kept": set(sealed)}
            if kept is None:
                prefixed = forms.IntegrationForm(**kwargs).as_data()
            else:
                prefixed = {f"int{index}-{name}": value for name, value in data.items()}
            result.append(forms.IntegrationForm(data=prefixed, **kwargs))
        return result

    # -- keeping what the browser sent --

    def keep(self, step: str, post) -> None:
        """Keep a step's input as sent (secrets sealed); its earlier failures and the report are stale now."""
        data = self.state["data"]
        if step == "nodes":
            data["nodes"] = self._rows_from(post)
        elif step == "integrations":
            kept_all = dict(data.get("integrations") or {})
            for form in self.integration_forms():
                kept_all[form.ref] = kept_from_post(form, post, kept_all.get(form.ref))
            data["integrations"] = kept_all
        else:
            form = self.form(step)
            if form is None:
                return
            before = data.get(step)
            kept = kept_from_post(form, post, before)
            if step == "properties":
                self._seal_map_secrets(form, kept)
            if step == "product" and (before or {}).get("productType") != kept.get("productType"):
                for other in ("properties", "integrations"):  # another type declares other ones
                    data.pop(other, None)
                    self.state["errors"].pop(other, None)
                for row in data.get("nodes") or []:  # deployment options are the OVA's own
                    row.pop("deploymentOption", None)
            data[step] = kept
        self.state["errors"].pop(step, None)
        self.state["report"] = None
        self.state["rest"] = []

    def _rows_from(self, post) -> list[dict]:
        try:
            total = min(int(post.get(f"{forms.NODES_PREFIX}-TOTAL_FORMS", "0")), MAX_NODES)
        except ValueError:
            total = 0
        before = self.rows()
        rows = []
        for index in range(total):
            form = forms.NodeForm(
                prefix=f"{forms.NODES_PREFIX}-{index}",
                product_type=self.product_type,
                deployment_options=self.deployment_options(),
            )
            rows.append(kept_from_post(form, post, before[index] if index < len(before) else None))
        return rows

    def rows_change(self, change: str) -> None:
        """Add a node row, or remove one ("remove-<index>")."""
        rows = self.rows()
        if change == "add" and len(rows) < MAX_NODES:
            rows.append(self.default_row(rows))
        elif change.startswith("remove-"):
            try:
                rows.pop(int(change[len("remove-") :]))
            except (ValueError, IndexError):
                pass
        self.state["data"]["nodes"] = rows

    def _map_secret_keys(self, name: str, keys: list[str]) -> set[str]:
        """Which keys of a MAP property hold secrets (e.g. the OVF properties an OVA marks as passwords)."""
        product_type = self.product_type
        if product_type is None or not keys:
            return set()
        version = (self.state["data"].get("product") or {}).get("version") or ""
        trial = {"productType": product_type.code, "version": version, "properties": {name: {key: "x" for key in keys}}}
        found = {path for path, _ in product_secrets(trial)}
        return {key for key in keys if path_join(f"properties.{name}", key) in found}

    def _seal_map_secrets(self, form, kept: dict) -> None:
        sealed = kept.setdefault(SEALED, {})
        for name, prop in form.declared.items():
            if prop.type != MAP or not kept.get(name):
                continue
            lines = kept[name].splitlines()
            keys = [line.partition("=")[0].strip() for line in lines if "=" in line]
            secret_keys = self._map_secret_keys(name, keys)
            shown = []
            for line in lines:
                key, sep, value = line.partition("=")
                key, value = key.strip(), value.strip()
                if sep and key in secret_keys and value:
                    if value != MASK:
                        sealed[f"{name}={key}"] = seal(value)
                    line = f"{key}={MASK}"
                shown.append(line)
            kept[name] = "\n".join(shown)
            for stale in [k for k in sealed if k.startswith(f"{name}=") and k[len(name) + 1 :] not in secret_keys]:
                del sealed[stale]
        if not sealed:
            kept.pop(SEALED)

    def steps_unreadable(self) -> list[str]:
        """Steps whose input cannot be read (a number that is not one, a malformed key=value line)."""
        bad = []
        for step, _ in self.steps:
            if step == "review" or step not in self.state["data"]:
                continue
            form = self.form(step)
            if step == "nodes":
                if any(f.errors for f in form.forms):
                    bad.append(step)
            elif step == "integrations":
                if any(f.errors for f in form):
                    bad.append(step)
            elif form is not None and form.errors:
                bad.append(step)
        return bad

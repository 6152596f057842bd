"""The product wizard: its steps, its state in the session, and the product spec it assembles.

Each step's input is kept as the browser sent it, so moving back and forth shows it again. Secrets are
sealed with the project's Fernet key before they reach the session (whose rows are only signed), and
pages only ever show "********". Nothing here decides what is valid: the whole environment goes through
environment_validate / environment_submit, and each failure inside the new product is mapped back, by
its JSON path, onto the step and field it came from.
"""
from __future__ import annotations

import re
import secrets
import time
from typing import Any, Callable

from django.urls import reverse

from datacenters import selectors as datacenter_selectors
from datacenters.models import ComponentType, DatacenterComponent, InventoryKind, InventoryObject
from environments import forms
from environments.services import environment_export
from environments.spec import secret_paths
from lifecycle.crypto import SecretUnreadable, secret_decrypt, secret_encrypt
from lifecycle.errors import ServiceError
from products.selectors import repository_file_for, repository_versions
from products.types import product_type_get
from products.types.base import BOOLEAN, MAP, ProductType

SESSION_KEY = "environment_wizards"
MAX_OPEN = 8  # wizards kept per session; the oldest is dropped beyond that
MASK = forms.MASK
SEALED = "__sealed__"  # inside a step's kept data: field → sealed secret
ALL = "__all__"  # a failure of a step (or a node, an integration) as a whole
MAX_NODES = 64

STEPS = (
    ("environment", "Environment"),
    ("product", "Type and version"),
    ("placement", "Placement"),
    ("nodes", "Nodes"),
    ("properties", "Properties"),
    ("integrations", "Integrations"),
    ("review", "Review"),
)
STEP_TITLES = dict(STEPS)
PRODUCT_FIELDS = ("productType", "productId", "version", "buildNumber", "license", "adminPassword")
PLACEMENT_FIELDS = ("vcenterName", "datacenterName", "clusterName", "resourcePool", "vmFolder")
NODE_FIELDS = tuple(forms.NodeForm.base_fields)
INTEGRATION_FIELDS = tuple(forms.IntegrationForm.base_fields)
# Options endpoints: kind → the field whose current value the answer keeps selected.
OPTION_FIELDS = {"versions": "version", "datacenters": "datacenterName", "clusters": "clusterName",
                 "resource-pools": "resourcePool", "folders": "vmFolder", "datastores": "datastoreName",
                 "networks": "networkName"}


def seal(value: str) -> str:
    return secret_encrypt(value)


def unseal(token: str) -> str:
    try:
        return secret_decrypt(token)
    except SecretUnreadable:
        return ""  # the key changed under an open wizard: as if nothing had been typed


def masked(token: str) -> str:
    return MASK


def _put(obj: dict, key: str, value: Any) -> None:
    if value not in (None, "", [], {}):
        obj[key] = value


# -- what the inventory and the repository offer --

def vcenter_options() -> list[tuple[str, str]]:
    vcenters = DatacenterComponent.objects.filter(component_type=ComponentType.VCENTER).order_by("component_name")
    return [(c.component_name, f"{c.component_name} ({c.fqdn})") for c in vcenters]


def _by_name(objects, label: Callable[[InventoryObject], str] = lambda o: o.name) -> list[tuple[str, str]]:
    """Options named as the spec names them; an object whose name is not unique here goes by its path."""
    objects = list(objects)
    counts: dict[str, int] = {}
    for obj in objects:
        counts[obj.name] = counts.get(obj.name, 0) + 1
    return [(obj.name if counts[obj.name] == 1 else obj.path, label(obj)) for obj in objects]


def inventory_options(kind: str, *, vcenterName: str = "", datacenterName: str = "",  # noqa: N803 (API names)
                      clusterName: str = "") -> list[tuple[str, str]]:
    """(value, label) of the inventory objects a placement select offers, read from the discovered inventory."""
    if not vcenterName:
        return []
    objects = InventoryObject.objects.filter(component__component_name=vcenterName,
                                             component__component_type=ComponentType.VCENTER).order_by("path")
    if kind == "datacenters":
        return _by_name(objects.filter(kind=InventoryKind.DATACENTER))
    if not datacenterName:
        return []
    objects = objects.filter(datacenter=datacenterName)
    if kind == "clusters":
        return _by_name(objects.filter(kind=InventoryKind.CLUSTER))
    if kind == "resource-pools":
        cluster = objects.filter(kind=InventoryKind.CLUSTER).filter(name=clusterName).first() or \
            objects.filter(kind=InventoryKind.CLUSTER, path=clusterName).first()
        if cluster is None:
            return []
        under = cluster.path + "/"
        return _by_name(objects.filter(kind=InventoryKind.RESOURCE_POOL, path__startswith=under),
                        lambda o: o.path[len(under):])
    if kind == "folders":
        root = f"/{datacenterName}/"
        return _by_name(objects.filter(kind=InventoryKind.FOLDER),
                        lambda o: o.path[len(root):] if o.path.startswith(root) else o.path)
    if kind == "datastores":
        def label(o):
            free = o.properties.get("freeSpace")
            return f"{o.name} ({free / 2**30:,.0f} GiB free)" if isinstance(free, (int, float)) else o.name
        return _by_name(objects.filter(kind=InventoryKind.DATASTORE), label)
    if kind == "networks":
        return _by_name(o for o in objects.filter(kind=InventoryKind.NETWORK) if not o.properties.get("uplink"))
    raise LookupError(kind)


def version_options(product_type: str) -> list[tuple[str, str]]:
    if not product_type_get(product_type or ""):
        return []
    return [(v, v) for v in repository_versions(product_type=product_type)]


def port_group_settings(vcenter_name: str, network_name: str) -> dict | None:
    if not vcenter_name or not network_name:
        return None
    return datacenter_selectors.port_group_settings(component_name=vcenter_name, port_group_name=network_name)


class Wizard:
    """One open product wizard of a session: for a new environment, or to add a product to one."""

    def __init__(self, session, wizard_id: str, state: dict):
        self.session = session
        self.id = wizard_id
        self.state = state
        self._exported: dict | None = None
        self._integration_refs: list[str] = []

    # -- its life in the session --

    @classmethod
    def start(cls, session, *, environment_id: str | None = None) -> "Wizard":
        wizards = dict(session.get(SESSION_KEY) or {})
        while len(wizards) >= MAX_OPEN:
            wizards.pop(min(wizards, key=lambda key: wizards[key]["started"]))
        wizard_id = secrets.token_urlsafe(9)
        state = {"environmentId": environment_id, "new": environment_id is None, "started": time.time(),
                 "data": {}, "errors": {}, "rest": [], "report": None}
        wizards[wizard_id] = state
        session[SESSION_KEY] = wizards
        return cls(session, wizard_id, state)

    @classmethod
    def load(cls, session, wizard_id: str) -> "Wizard | None":
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
        return [(o["id"], f"{o['id']} — {o['label']}" if o.get("label") and o["label"] != o["id"] else o["id"])
                for o in package.deployment_options]

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
        data, sealed = _split(kept)
        kwargs: dict[str, Any] = {"kept": set(sealed)}
        initial = None
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
        return _split(kept)[0] if kept is not None else self.placement_initial()

    def placement_initial(self) -> dict:
        """A fresh placement: the first of everything the inventory offers."""
        chosen: dict[str, Any] = {"infraReference": "on"}
        vcenters = vcenter_options()
        chosen["vcenterName"] = vcenters[0][0] if vcenters else ""
        for name, (kind, _, _) in forms.PLACEMENT_OPTIONS.items():
            options = inventory_options(kind, **{k: chosen.get(k, "") for k in
                                                 ("vcenterName", "datacenterName", "clusterName")})
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
        return inventory_options("networks", vcenterName=placement.get("vcenterName") or "",
                                 datacenterName=placement.get("datacenterName") or "")

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
            row["deploymentOption"] = next((o for o in offered if o.startswith(wanted)),
                                           "primary-small" if not rows else "cell")
        return row

    def node_formset(self):
        rows = self.rows()
        data = {f"{forms.NODES_PREFIX}-TOTAL_FORMS": str(len(rows)), f"{forms.NODES_PREFIX}-INITIAL_FORMS": "0"}
        for index, row in enumerate(rows):
            for name, value in row.items():
                if name != SEALED:
                    data[f"{forms.NODES_PREFIX}-{index}-{name}"] = value
        return forms.NodeFormSetClass(
            data=data, prefix=forms.NODES_PREFIX, kept_rows=[set(row.get(SEALED, {})) for row in rows],
            form_kwargs={"product_type": self.product_type, "networks": self.networks(),
                         "deployment_options": self.deployment_options(),
                         "vcenter_name": self.placement().get("vcenterName") or "",
                         "refresh_url": reverse("environment-wizard", args=[self.id, "nodes"])})

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
                found.setdefault(product["productId"], f"{target.title} — product {product['productId']} of this "
                                                       f"environment")
        components = DatacenterComponent.objects.filter(component_type__in=list(allowed)).order_by("component_name")
        for component in components:
            target = allowed[component.component_type]
            found.setdefault(component.component_name, f"{target.title} — registered "
                                                       f"{component.get_component_type_display()} {component.fqdn}")
        return list(found.items())

    def integration_forms(self) -> list[forms.IntegrationForm]:
        kept_all = self.state["data"].get("integrations") or {}
        result = []
        for index, (ref, title) in enumerate(self.integration_candidates()):
            kept = kept_all.get(ref)
            data, sealed = _split(kept)
            kwargs = {"prefix": f"int{index}", "ref": ref, "title": title, "kept": set(sealed)}
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
            for index, form in enumerate(self.integration_forms()):
                kept_all[form.ref] = _kept(form, post, kept_all.get(form.ref))
            data["integrations"] = kept_all
        else:
            form = self.form(step)
            if form is None:
                return
            before = data.get(step)
            kept = _kept(form, post, before)
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
            form = forms.NodeForm(prefix=f"{forms.NODES_PREFIX}-{index}", product_type=self.product_type,
                                  deployment_options=self.deployment_options())
            rows.append(_kept(form, post, before[index] if index < len(before) else None))
        return rows

    def rows_change(self, change: str) -> None:
        """Add a node row, or remove one ("remove-<index>")."""
        rows = self.rows()
        if change == "add" and len(rows) < MAX_NODES:
            rows.append(self.default_row(rows))
        elif change.startswith("remove-"):
            try:
                rows.pop(int(change[len("remove-"):]))
            except (ValueError, IndexError):
                pass
        self.state["data"]["nodes"] = rows

    def _map_secret_keys(self, name: str, keys: list[str]) -> set[str]:
        """Which keys of a MAP property hold secrets (e.g. an OVA's *password* OVF properties)."""
        product_type = self.product_type
        if product_type is None or not keys:
            return set()
        trial = {"productType": product_type.code, "properties": {name: {key: "x" for key in keys}}}
        paths = {path for path, _ in secret_paths(trial)}
        return {key for key in keys if f"properties.{name}.{key}" in paths}

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
            for stale in [k for k in sealed if k.startswith(f"{name}=") and k[len(name) + 1:] not in secret_keys]:
                del sealed[stale]
        if not sealed:
            kept.pop(SEALED)

    # -- the product it makes --

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

    # -- failures back onto the fields --

    def take_report(self, report: dict, index: int) -> None:
        self.state["report"] = report
        failures = [(c["path"], c["message"]) for c in report["checks"] if c["status"] == "FAIL"]
        self._place(failures, index)

    def take_error(self, error: ServiceError, index: int) -> None:
        report = error.extra.get("validation")
        self.state["report"] = report
        failures = [(path, message) for path, messages in error.errors.items() for message in messages]
        if not failures:
            failures = [("", error.message)]
        self._place(failures, index)

    def _place(self, failures: list[tuple[str, str]], index: int) -> None:
        errors: dict[str, dict[str, list[str]]] = {}
        rest = []
        for path, message in failures:
            where = self._where(path, index)
            if where is None:
                rest.append([path, message])
                continue
            step, key, shown = where
            bucket = errors.setdefault(step, {}).setdefault(key, [])
            text = f"{shown}: {message}" if shown else message
            if text not in bucket:
                bucket.append(text)
        self.state["errors"] = errors
        self.state["rest"] = rest

    def _where(self, path: str, index: int) -> tuple[str, str, str] | None:
        """(step, field key, the part of the path the field does not name) of a failure's JSON path."""
        if self.new and path in ("environmentId", "environmentName"):
            return "environment", path, ""
        match = re.fullmatch(rf"products\[{index}\](?:\.(.+))?", path)
        if not match:
            return None
        inner = match.group(1) or ""
        if inner in PRODUCT_FIELDS:
            return "product", inner, ""
        if inner == "":
            return "product", ALL, ""
        if inner.startswith("infraReference"):
            return "placement", "vcenterName", ""
        if inner == "properties" or inner.startswith("properties."):
            form = self.form("properties")
            name = inner[len("properties."):] if inner != "properties" else ""
            while name and (form is None or name not in form.fields):
                name = name.rpartition(".")[0]
            if name:
                return "properties", name, inner[len("properties.") + len(name) + 1:]
            return "properties", ALL, inner
        if inner == "nodes":
            return "nodes", ALL, ""
        node = re.fullmatch(r"nodes\[(\d+)\](?:\.(.+))?", inner)
        if node:
            number, rest = node.group(1), node.group(2) or ""
            if rest.startswith("deployment.datastoreNames"):
                return "placement", "datastoreName", ""
            if rest.startswith("deployment"):
                field = rest[len("deployment."):]
                return ("placement", field, "") if field in PLACEMENT_FIELDS else ("placement", ALL, rest)
            nic = re.fullmatch(r"nics\[0\]\.(ipAddress|networkName)", rest)
            if nic:
                return "nodes", f"{number}.{nic.group(1)}", ""
            if rest in NODE_FIELDS:
                return "nodes", f"{number}.{rest}", ""
            return "nodes", f"{number}.{ALL}", rest
        if inner == "integrations":
            return "integrations", ALL, ""
        integration = re.fullmatch(r"integrations\[(\d+)\](?:\.(.+))?", inner)
        if integration and int(integration.group(1)) < len(self._integration_refs):
            ref = self._integration_refs[int(integration.group(1))]
            field = integration.group(2) or ""
            if field == "ref":
                field = "use"
            return ("integrations", f"{ref}.{field}", "") if field in INTEGRATION_FIELDS else \
                ("integrations", f"{ref}.{ALL}", field)
        return None

    def step_failures(self, step: str) -> dict[str, list[str]]:
        return self.state["errors"].get(step, {})

    def failure_summary(self) -> list[dict]:
        """The failures placed on fields, for the review page: which step, which field, what."""
        rows = self.rows()
        summary = []
        for step, _ in self.steps:
            for key, messages in self.step_failures(step).items():
                where = "" if key == ALL else key
                if step == "nodes" and "." in key:
                    number, field = key.split(".", 1)
                    node_id = rows[int(number)].get("nodeId") if int(number) < len(rows) else ""
                    where = (node_id or f"node {int(number) + 1}") + ("" if field == ALL else f" · {field}")
                elif step == "integrations" and "." in key:
                    ref, field = key.split(".", 1)
                    where = ref + ("" if field == ALL else f" · {field}")
                for message in messages:
                    summary.append({"step": step, "title": STEP_TITLES[step], "where": where, "message": message})
        return summary


def _split(kept: dict | None) -> tuple[dict, dict]:
    """(the input as sent, the sealed secrets) of a step's kept data."""
    if kept is None:
        return {}, {}
    data = {key: value for key, value in kept.items() if key != SEALED}
    return data, dict(kept.get(SEALED, {}))


def _kept(form, post, before: dict | None) -> dict:
    """A form's input from a POST as it is kept: every field as sent, secrets sealed (a blank password
    input keeps the secret typed before)."""
    sealed = dict((before or {}).get(SEALED, {}))
    kept: dict[str, Any] = {}
    for name in form.fields:
        key = form.add_prefix(name)
        if key not in post:
            continue
        value = post.get(key)
        if name in form.secret_fields:
            if value:
                sealed[name] = seal(value)
            continue
        kept[name] = value
    if sealed:
        kept[SEALED] = sealed
    return kept


def _mask(product: dict) -> None:
    """Every value the service would keep as a secret shows as "********"."""
    for path, value in secret_paths(product):
        if value not in (None, ""):
            forms.path_set(product, path, MASK)

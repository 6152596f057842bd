"""The checker's failures put back onto the wizard's steps and fields, by their JSON paths inside the new
product (products[index]...); what no field names is kept apart ("rest") for the review page."""

from __future__ import annotations

import re
from typing import TYPE_CHECKING, Any

from environments.wizard.steps import (
    ALL,
    INTEGRATION_FIELDS,
    NODE_FIELDS,
    PLACEMENT_FIELDS,
    PRODUCT_FIELDS,
    STEP_TITLES,
)
from lifecycle.errors import ServiceError


class FailurePlacement:
    """The part of `Wizard` (session.py) that places failures: it reads the wizard's steps, forms and rows,
    and the integrations the last assembly listed (ProductAssembly)."""

    if TYPE_CHECKING:  # what it reads of the Wizard it is part of
        state: dict[str, Any]
        _integration_refs: list[str]

        @property
        def new(self) -> bool: ...
        @property
        def steps(self) -> list[tuple[str, str]]: ...
        def form(self, step: str) -> Any: ...
        def rows(self) -> list[dict]: ...

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
            name = inner[len("properties.") :] if inner != "properties" else ""
            while name and (form is None or name not in form.fields):
                name = name.rpartition(".")[0]
            if name:
                return "properties", name, inner[len("properties.") + len(name) + 1 :]
            return "properties", ALL, inner
        if inner == "nodes":
            return "nodes", ALL, ""
        node = re.fullmatch(r"nodes\[(\d+)\](?:\.(.+))?", inner)
        if node:
            number, rest = node.group(1), node.group(2) or ""
            if rest.startswith("deployment.datastoreNames"):
                return "placement", "datastoreName", ""
            if rest.startswith("deployment"):
                field = rest[len("deployment.") :]
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
            return (
                ("integrations", f"{ref}.{field}", "")
                if field in INTEGRATION_FIELDS
                else ("integrations", f"{ref}.{ALL}", field)
            )
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

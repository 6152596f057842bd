"""Checking an environment definition before it is stored or deployed: one report row per check,
each naming the JSON path it is about.

- report.py: the rows (Check) and what they add up to;
- fields.py: the checks of one field (an object with known keys, a string, a secret) that both kinds use;
- shape.py: the definition's own shape (fields, types, patterns, counts), as the product types declare;
- world.py: what it names exists here and its addresses are free (components, inventory, port group
  settings, stored secrets, the repository, the interop table).
Nothing here talks to vCenter: the deployment's pre-checks (environments/deploy/prechecks.py) do.
"""

from __future__ import annotations

import re
from typing import Any

from datacenters.models import DatacenterComponent, InventoryObject
from environments.checks.report import Check
from environments.checks.shape import ENVIRONMENT_FIELDS, ShapeChecks
from environments.checks.world import WorldChecks
from environments.models import ENVIRONMENT_ID_RE


class SpecChecker(ShapeChecks, WorldChecks):
    """Runs every check of one environment definition; ``checks`` is the report."""

    def __init__(self, spec: Any, *, environment_id: str | None = None):
        self.spec = spec
        self.checks: list[Check] = []
        self._environment_id = environment_id  # when replacing: the environment whose own IPs do not count
        self._components: dict[str, DatacenterComponent | None] = {}
        self._inventory: dict[str, list[InventoryObject]] = {}

    def run(self) -> SpecChecker:
        spec = self.spec
        if not isinstance(spec, dict):
            self.fail("schema", "", "the environment spec must be a JSON object")
            return self
        before = len(self.checks)
        for key in sorted(set(spec) - ENVIRONMENT_FIELDS):
            self.fail("schema", key, "unknown field")
        self._string(spec, "environmentName", "environmentName", required=True)
        if self._string(spec, "environmentId", "environmentId", required=True):
            if not re.fullmatch(ENVIRONMENT_ID_RE.strip("^$"), spec["environmentId"]):
                self.fail(
                    "schema",
                    "environmentId",
                    "use 1–64 letters, digits, '.', '_' and '-', starting with a letter or digit",
                )
        if "properties" in spec and not isinstance(spec["properties"], dict):
            self.fail("schema", "properties", "must be an object")
        products = spec.get("products")
        if not isinstance(products, list) or not products:
            self.fail("schema", "products", "required: a list of at least one product")
            return self
        if len(self.checks) == before:
            self.passed("schema", "", "environment fields are well formed")
        seen_ids: dict[str, int] = {}
        for index, product in enumerate(products):
            self._product(product, f"products[{index}]", seen_ids)
        self._addresses_unique(products)
        self._integrations(products)
        return self

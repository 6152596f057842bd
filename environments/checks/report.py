"""The report of a definition's checks: one row per check, each naming the JSON path it is about.
The deployment's pre-checks (environments/deploy/prechecks.py) report in the same rows."""

from __future__ import annotations

from dataclasses import asdict, dataclass

PASS, FAIL, WARN = "PASS", "FAIL", "WARN"
# The checks whose failures mean a definition cannot be stored at all (others may be overridden).
SHAPE_CHECKS = ("schema", "property", "nodes")


@dataclass
class Check:
    check: str  # what kind of rule: schema, property, nodes, placement, network, repository, interop, integration
    status: str  # PASS, FAIL or WARN
    path: str  # JSON path in the spec
    message: str

    def to_dict(self) -> dict:
        return asdict(self)


class CheckReport:
    """The rows so far of one definition's checks, and what they add up to."""

    checks: list[Check]

    def fail(self, check: str, path: str, message: str) -> None:
        self.checks.append(Check(check, FAIL, path, message))

    def passed(self, check: str, path: str, message: str) -> None:
        self.checks.append(Check(check, PASS, path, message))

    @property
    def valid(self) -> bool:
        return not any(c.status == FAIL for c in self.checks)

    @property
    def schema_valid(self) -> bool:
        """Whether the spec has the shape we can store (other failures may be overridden)."""
        return not any(c.status == FAIL and c.check in SHAPE_CHECKS for c in self.checks)

    def report(self) -> dict:
        return {"valid": self.valid, "checks": [c.to_dict() for c in self.checks]}

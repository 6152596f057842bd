"""`lcm environment …` (alias `env`): environment definitions — check, store, look at, export and delete them."""

from __future__ import annotations

import json
import os
import sys
from pathlib import Path

from lcm.client import Client, quote_name
from lcm.commands.task import task_accepted, task_options_add
from lcm.errors import EXIT_FAILED, EXIT_OK, EXIT_REFUSED, ApiError, UsageError
from lcm.output import delete_confirmed, fields, fmt_time, json_printed, list_printed, print_json, table
from lcm.spec import spec_read

# How the API shows a stored secret inside a definition (the server's lifecycle.secrets.REF_PREFIX); the CLI
# reads only the API, so it knows the form as the API answers it, not from the server's code.
SECRET_REF_PREFIX = "ref:password:"
STATUS_ORDER = {"FAIL": 0, "WARN": 1, "PASS": 2}
# Failures of these checks mean the definition cannot be stored at all; the others --ignore-validation may override.
SHAPE_CHECKS = ("schema", "property", "nodes")


# --- the validation report ---


def report_rows(checks: list[dict], *, statuses: tuple[str, ...] = ("FAIL", "WARN", "PASS")) -> list[list]:
    """STATUS, CHECK, PATH, MESSAGE: failures first, then warnings, each in the server's order."""
    chosen = [c for c in checks if c.get("status") in statuses]
    chosen.sort(key=lambda c: STATUS_ORDER.get(c.get("status", ""), 3))
    return [[c.get("status"), c.get("check"), c.get("path"), c.get("message")] for c in chosen]


def _count(n: int, word: str) -> str:
    return f"{n} {word}{'' if n == 1 else 's'}"


def _report_summary(report: dict) -> str:
    checks = report.get("checks") or []
    by = {s: sum(1 for c in checks if c.get("status") == s) for s in STATUS_ORDER}
    return f"{_count(by['FAIL'], 'check')} failed, {by['WARN']} with a warning, {by['PASS']} passed"


def _post_spec(client: Client, spec: dict, params: dict) -> tuple[dict | None, ApiError | None, dict | None]:
    """POST /environments → (answer, refusal, the validation report sent with the refusal)."""
    try:
        return client.post("environments", spec, params=params), None, None
    except ApiError as exc:
        report = exc.body.get("validation")
        return None, exc, report if isinstance(report, dict) else None


def _refused(exc: ApiError, report: dict | None, *, ignoring: bool = False, ignorable: bool = True) -> int:
    """A refused definition: the failing rows with their paths on stderr, and what to do about them."""
    failed = [c for c in (report or {}).get("checks") or [] if c.get("status") == "FAIL"]
    if exc.status != 400 or not failed:
        if any("replaceExisting" in p for problems in exc.errors.values() for p in problems):
            exc.remediation = (
                "pass --replace-existing to replace the stored definition (only one that was never deployed)"
            )
        raise exc
    err = sys.stderr
    print(f"error: the definition is not valid ({_count(len(failed), 'check')} failed); nothing was stored", file=err)
    table(["STATUS", "CHECK", "PATH", "MESSAGE"], report_rows(failed, statuses=("FAIL",)), err, indent="  ")
    if not ignorable or any(c.get("check") in SHAPE_CHECKS for c in failed):
        hint = "fix the paths above and run the command again"
        if ignoring:
            hint += " (--ignore-validation never stores a definition that is not well formed)"
    else:
        hint = (
            "the definition is well formed: fix what it refers to (inventory, port groups, repository, interop), "
            "or pass --ignore-validation to store it as it is"
        )
    print(f"hint: {hint}", file=err)
    return exc.exit_code


# --- the commands ---


def _nodes_total(environment: dict) -> int:
    return sum(p.get("nodeCount") or len(p.get("nodes") or []) for p in environment.get("products") or [])


def cmd_list(args, client: Client) -> int:
    count, environments = client.list("environments")
    if list_printed(
        count,
        environments,
        as_json=args.json,
        empty="No environments defined. Store one with `lcm environment create -f spec.json`.",
    ):
        return EXIT_OK
    table(
        ["ENVIRONMENT", "NAME", "STATE", "NODES", "UPDATED", "PRODUCTS"],
        [
            [
                e.get("environmentId"),
                e.get("environmentName"),
                e.get("environmentState"),
                _nodes_total(e),
                fmt_time(e.get("updatedAt")),
                [f"{p.get('productId')} ({p.get('productType')} {p.get('version')})" for p in e.get("products") or []],
            ]
            for e in environments
        ],
    )
    return EXIT_OK


def _placement(node: dict) -> str:
    deployment = node.get("deployment")
    deployment = deployment if isinstance(deployment, dict) else {}
    return "/".join(str(deployment[k]) for k in ("vcenterName", "datacenterName", "clusterName") if deployment.get(k))


def _node_rows(product: dict) -> list[list]:
    """One row per node of the definition; the role is the server's (recorded per node when stored)."""
    recorded = {n.get("nodeId"): n for n in product.get("deployedNodes") or []}
    rows = []
    for node in product.get("nodes") or []:
        if not isinstance(node, dict):
            continue
        node_id = node.get("nodeId") or node.get("vmName")
        known = recorded.get(node_id, {})
        nics = [n for n in node.get("nics") or [] if isinstance(n, dict)]
        rows.append(
            [
                node_id,
                known.get("role"),
                node.get("hostName"),
                node.get("vmName"),
                [n.get("ipAddress") for n in nics if n.get("ipAddress")] or known.get("ipAddress"),
                _placement(node),
                known.get("nodeState"),
                f"{known['vmMoref']} {known.get('powerState') or ''}".strip() if known.get("vmMoref") else "",
                known.get("instanceUuid") or "",
            ]
        )
    return rows


NODE_HEADERS = ["NODE", "ROLE", "HOST NAME", "VM NAME", "IP ADDRESS", "PLACEMENT", "STATE", "VM", "INSTANCE UUID"]


def cmd_get(args, client: Client) -> int:
    e = client.get(f"environments/{quote_name(args.id)}")
    if json_printed(e, as_json=args.json):
        return EXIT_OK
    products = e.get("products") or []
    fields(
        [
            ("Environment", e.get("environmentId")),
            ("Name", e.get("environmentName")),
            ("State", e.get("environmentState")),
            ("Properties", [f"{k}={_value(v)}" for k, v in (e.get("properties") or {}).items()]),
            ("Created", fmt_time(e.get("createdAt"))),
            ("Updated", fmt_time(e.get("updatedAt"))),
        ]
    )
    if not products:
        return EXIT_OK
    print()
    table(
        ["PRODUCT", "TYPE", "VERSION", "STATE", "NODES"],
        [
            [
                p.get("productId"),
                p.get("productType"),
                p.get("version"),
                p.get("productState"),
                len(p.get("nodes") or []),
            ]
            for p in products
        ],
    )
    for p in products:
        rows = _node_rows(p)
        if rows:
            print(f"\nNodes of {p.get('productId')}")
            table(NODE_HEADERS, rows, indent="  ")
    return EXIT_OK


def _value(value) -> str:
    if isinstance(value, str) and value.startswith(SECRET_REF_PREFIX):
        return "(stored secret)"
    if isinstance(value, (dict, list)):
        return json.dumps(value, ensure_ascii=False)
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


def _flatten(values: dict, prefix: str = "") -> list[tuple[str, str]]:
    out = []
    for key, value in values.items():
        if isinstance(value, dict) and value:
            out.extend(_flatten(value, f"{prefix}{key}."))
        else:
            out.append((f"{prefix}{key}", _value(value)))
    return out


def cmd_product_get(args, client: Client) -> int:
    p = client.get(f"environments/{quote_name(args.id)}/products/{quote_name(args.product_id)}")
    if json_printed(p, as_json=args.json):
        return EXIT_OK
    infra = p.get("infraReference")
    fields(
        [
            ("Product", p.get("productId")),
            ("Environment", args.id),
            ("Type", p.get("productType")),
            ("Version", f"{p.get('version')} (build {p['buildNumber']})" if p.get("buildNumber") else p.get("version")),
            ("State", p.get("productState")),
            ("Infrastructure", infra.get("vcenterName") if isinstance(infra, dict) else infra),
            ("Admin password", _value(p["adminPassword"]) if p.get("adminPassword") else None),
            ("License", p.get("license")),
            ("Certificates", sorted(p.get("certificate") or {}) if isinstance(p.get("certificate"), dict) else None),
            ("Tags", p.get("tags")),
        ]
    )
    properties = _flatten(p.get("properties") or {}) if isinstance(p.get("properties"), dict) else []
    if properties:
        print("\nProperties")
        table(["NAME", "VALUE"], properties, indent="  ")
    integrations = [i for i in p.get("integrations") or [] if isinstance(i, dict)]
    if integrations:
        print("\nIntegrations")
        table(
            ["ID", "REF", "USERNAME", "PASSWORD"],
            [
                [
                    i.get("integrationId"),
                    i.get("ref"),
                    i.get("integrationUsername"),
                    _value(i["integrationPassword"]) if i.get("integrationPassword") else "",
                ]
                for i in integrations
            ],
            indent="  ",
        )
    rows = _node_rows(p)
    if rows:
        print("\nNodes")
        table(NODE_HEADERS, rows, indent="  ")
    return EXIT_OK


def cmd_validate(args, client: Client) -> int:
    params = {"action": "VALIDATE"}
    if args.no_prechecks:
        params["prechecks"] = "false"
    report = client.post("environments", spec_read(args.file), params=params)
    valid = bool(report.get("valid"))
    if args.json:
        print_json(report)
        return EXIT_OK if valid else EXIT_REFUSED
    table(["STATUS", "CHECK", "PATH", "MESSAGE"], report_rows(report.get("checks") or []))
    summary = _report_summary(report)
    if valid:
        print(f"\nThe definition is valid ({summary}).")
        return EXIT_OK
    print()
    print(f"error: the definition is not valid ({summary}); the FAIL rows name the paths to fix", file=sys.stderr)
    return EXIT_REFUSED


def _params(args) -> dict:
    params = {}
    if getattr(args, "replace_existing", False):
        params["replaceExisting"] = "true"
    if getattr(args, "ignore_validation", False):
        params["ignoreValidation"] = "true"
    return params


def cmd_create(args, client: Client) -> int:
    e, error, report = _post_spec(client, spec_read(args.file), _params(args))
    if error:
        return _refused(error, report, ignoring=args.ignore_validation)
    assert e is not None  # the definition was accepted
    if json_printed(e, as_json=args.json):
        return EXIT_OK
    report = e.get("validation") or {}
    products = e.get("products") or []
    nodes = sum(len(p.get("nodes") or []) for p in products)
    print(
        f"Stored the definition of environment {e.get('environmentId')} ({e.get('environmentName')}): "
        f"{_count(len(products), 'product')}, {_count(nodes, 'node')}; state {e.get('environmentState')}."
    )
    concerns = report_rows(report.get("checks") or [], statuses=("FAIL", "WARN"))
    if concerns:  # failures only with --ignore-validation
        print(f"warning: stored although {_report_summary(report)}:", file=sys.stderr)
        table(["STATUS", "CHECK", "PATH", "MESSAGE"], concerns, sys.stderr, indent="  ")
    print(f"Show it with `lcm environment get {e.get('environmentId')}`.")
    return EXIT_OK


def cmd_deploy(args, client: Client) -> int:
    """Deploy a definition from a file (stored first), or a stored environment by its ID."""
    if bool(args.file) == bool(args.id):
        raise UsageError("name a stored environment (ID) or a definition (-f FILE), not both or neither")
    if args.id:
        body = {"productIds": args.product} if args.product else {}
        accepted = client.post(f"environments/{quote_name(args.id)}/deploy", body)
        return task_accepted(client, accepted, what=f"deploy {args.id}", wait=args.wait, as_json=args.json)
    if args.product:
        raise UsageError("--product goes with a stored environment's ID; a file deploys all its products")
    answer, error, report = _post_spec(client, spec_read(args.file), {"action": "DEPLOY", **_params(args)})
    if error:
        return _refused(error, report, ignoring=args.ignore_validation)
    assert answer is not None  # the definition was accepted
    environment = answer.get("environment") or {}
    return task_accepted(
        client,
        answer,
        what=f"deploy {environment.get('environmentId', 'the environment')}",
        wait=args.wait,
        as_json=args.json,
    )


def cmd_product_delete(args, client: Client) -> int:
    what = f"product {args.product_id} of {args.id} and its VMs"
    if not delete_confirmed(what, yes=args.yes):
        return EXIT_FAILED
    accepted = client.delete(f"environments/{quote_name(args.id)}/products/{quote_name(args.product_id)}")
    return task_accepted(client, accepted, what=f"delete {what}", wait=args.wait, as_json=args.json)


def _write_new(path: Path, text: str, *, force: bool) -> None:
    """Write a file that must not exist yet (or any file, with --force)."""
    flags = os.O_WRONLY | os.O_CREAT | (os.O_TRUNC if force else os.O_EXCL)
    try:
        fd = os.open(path, flags, 0o644)
    except FileExistsError:
        raise UsageError(
            f"{path} exists already; it was not overwritten",
            remediation="pass --force to overwrite it, or name another file with -o",
        ) from None
    except OSError as exc:
        raise UsageError(f"cannot write {path}: {exc.strerror}") from None
    with os.fdopen(fd, "w", encoding="utf-8") as stream:
        stream.write(text)


def cmd_export(args, client: Client) -> int:
    definition = client.get(f"environments/{quote_name(args.id)}/export")
    if not args.output or args.output == "-":
        print_json(definition)
        return EXIT_OK
    path = Path(args.output)
    _write_new(path, json.dumps(definition, indent=2, ensure_ascii=False) + "\n", force=args.force)
    if args.json:
        print_json({"environmentId": args.id, "file": str(path)})
    else:
        print(
            f"Exported the definition of {args.id} to {path} (secrets as stored references).\n"
            f"Store it again with `lcm environment create -f {path} --replace-existing`."
        )
    return EXIT_OK


def cmd_delete(args, client: Client) -> int:
    if not delete_confirmed(f"the environment {args.id} and the VMs deployed for it", yes=args.yes):
        return EXIT_FAILED
    accepted = client.delete(f"environments/{quote_name(args.id)}")
    return task_accepted(client, accepted, what=f"delete environment {args.id}", wait=args.wait, as_json=args.json)


def add_parser(commands, common) -> None:
    env = commands.add_parser(
        "environment", aliases=["env"], help="environments: validate, store, deploy, delete", parents=[common]
    )
    sub = env.add_subparsers(dest="environment_command", metavar="COMMAND", required=True)

    p = sub.add_parser("list", help="the stored environments", parents=[common])
    p.set_defaults(func=cmd_list)

    p = sub.add_parser("get", help="one environment: its products and their nodes", parents=[common])
    p.add_argument("id", metavar="ID", help="the environmentId")
    p.set_defaults(func=cmd_get)

    p = sub.add_parser("validate", help="check a definition without storing it (exit 0 valid, 2 not)", parents=[common])
    p.add_argument("-f", "--file", required=True, metavar="FILE", help="the definition (JSON; '-' reads stdin)")
    p.add_argument(
        "--no-prechecks",
        action="store_true",
        help="check the definition only, without asking vCenter, DNS and the network",
    )
    p.set_defaults(func=cmd_validate)

    p = sub.add_parser("create", help="store a definition (checked first)", parents=[common])
    p.add_argument("-f", "--file", required=True, metavar="FILE", help="the definition (JSON; '-' reads stdin)")
    p.add_argument(
        "--replace-existing",
        action="store_true",
        help="replace the definition of an existing environmentId (never deployed)",
    )
    p.add_argument(
        "--ignore-validation",
        action="store_true",
        help="store a well-formed definition even though checks of what it refers to fail",
    )
    p.set_defaults(func=cmd_create)

    p = sub.add_parser(
        "deploy", help="deploy a definition (-f FILE, stored first) or a stored environment (ID)", parents=[common]
    )
    p.add_argument("id", metavar="ID", nargs="?", help="a stored environment: deploy what is not deployed yet")
    p.add_argument("-f", "--file", metavar="FILE", help="the definition (JSON; '-' reads stdin)")
    p.add_argument("--product", action="append", metavar="PRODUCT_ID", help="with ID: only this product (repeatable)")
    p.add_argument(
        "--replace-existing",
        action="store_true",
        help="with -f: replace the definition of an existing, never deployed environmentId",
    )
    p.add_argument(
        "--ignore-validation",
        action="store_true",
        help="with -f: deploy although checks of what the definition refers to fail",
    )
    task_options_add(p)
    p.set_defaults(func=cmd_deploy)

    p = sub.add_parser(
        "export", help="the definition as JSON to store again (secrets as stored references)", parents=[common]
    )
    p.add_argument("id", metavar="ID")
    p.add_argument("-o", "--output", metavar="FILE", help="write it to FILE instead of stdout")
    p.add_argument("--force", action="store_true", help="overwrite FILE if it exists")
    p.set_defaults(func=cmd_export)

    p = sub.add_parser(
        "delete", help="destroy an environment's VMs (only those it deployed), then its definition", parents=[common]
    )
    p.add_argument("id", metavar="ID")
    task_options_add(p, confirm=True)
    p.set_defaults(func=cmd_delete)

    product = sub.add_parser("product", help="the products of an environment", parents=[common])
    psub = product.add_subparsers(dest="product_command", metavar="COMMAND", required=True)
    p = psub.add_parser("get", help="one product: its fields, properties, integrations and nodes", parents=[common])
    p.add_argument("id", metavar="ID", help="the environmentId")
    p.add_argument("product_id", metavar="PRODUCT_ID")
    p.set_defaults(func=cmd_product_get)
    p = psub.add_parser(
        "delete", help="destroy a product's VMs (only those it deployed), then its definition", parents=[common]
    )
    p.add_argument("id", metavar="ID", help="the environmentId")
    p.add_argument("product_id", metavar="PRODUCT_ID")
    task_options_add(p, confirm=True)
    p.set_defaults(func=cmd_product_delete)

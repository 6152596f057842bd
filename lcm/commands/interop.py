"""`lcm interop …`: the interop table (which versions may be deployed, and upgraded to which) and importing a bundle."""

from __future__ import annotations

from lcm.client import Client
from lcm.errors import EXIT_OK, UsageError
from lcm.output import fields, fmt_time, json_printed, table
from lcm.spec import spec_read

ANY = "*"


def _deployable(entry: dict) -> str | list:
    deploy = entry.get("deploy")
    return "any version" if deploy == ANY else list(deploy or [])


def _rows(products: dict) -> list[list]:
    """One row per product type, then one more per upgrade path beyond the first (type and versions left blank)."""
    rows = []
    for code, entry in products.items():
        entry = entry if isinstance(entry, dict) else {}
        upgrades = entry.get("upgrades")
        upgrades = upgrades if isinstance(upgrades, dict) else {}
        paths = [f"{source} → {', '.join(targets)}" for source, targets in upgrades.items() if targets] or ["none"]
        rows.append([code, _deployable(entry), paths[0]])
        rows.extend(["", "", path] for path in paths[1:])
    return rows


def cmd_show(args, client: Client) -> int:
    interop = client.get("interop")
    products = interop.get("products") or {}
    if args.product_type:
        if args.product_type not in products:
            raise UsageError(
                f"the interop table has no product type {args.product_type}",
                remediation=f"it has: {', '.join(products) or 'none'}",
            )
        products = {args.product_type: products[args.product_type]}
        interop = {**interop, "products": products}
    if json_printed(interop, as_json=args.json):
        return EXIT_OK
    fields(
        [
            ("Interop table", interop.get("name")),
            ("Imported", fmt_time(interop.get("importedAt")) or "never (the table built into this release)"),
        ]
    )
    print()
    table(["TYPE", "DEPLOYABLE VERSIONS", "UPGRADE PATHS"], _rows(products))
    return EXIT_OK


def cmd_import(args, client: Client) -> int:
    bundle = spec_read(args.file)
    answer = client.post("interop", bundle)
    if json_printed(answer, as_json=args.json):
        return EXIT_OK
    products = bundle.get("products")
    products = products if isinstance(products, dict) else {}
    print(
        f"Imported the interop bundle '{answer.get('name')}' at {fmt_time(answer.get('importedAt'))}: "
        f"it replaces the whole table ({len(products)} product type{'' if len(products) == 1 else 's'}).\n"
        "Definitions are checked against it from now on; see it with `lcm interop show`."
    )
    return EXIT_OK


def add_parser(commands, common) -> None:
    interop = commands.add_parser("interop", help="the versions that may be deployed and upgraded", parents=[common])
    sub = interop.add_subparsers(dest="interop_command", metavar="COMMAND", required=True)

    p = sub.add_parser("show", help="the interop table in use", parents=[common])
    p.add_argument("--product-type", type=str.upper, metavar="TYPE", help="only this product type, e.g. VCD")
    p.set_defaults(func=cmd_show)

    p = sub.add_parser("import", help="replace the interop table with a bundle file", parents=[common])
    p.add_argument(
        "-f",
        "--file",
        required=True,
        metavar="FILE",
        help='the bundle: {"name": …, "products": {TYPE: {"deploy": […], "upgrades": {…}}}} (JSON; \'-\' reads stdin)',
    )
    p.set_defaults(func=cmd_import)

"""`lcm repository …`: the product binaries the server's repository holds, and scanning it again."""

from __future__ import annotations

from lcm.client import Client
from lcm.commands.task import task_accepted, task_options_add
from lcm.errors import EXIT_OK
from lcm.output import list_printed, table

STATUSES = ("OK", "BROKEN")


def size_text(value) -> str:
    """1536 → '1.5 KiB'."""
    try:
        size = float(value)
    except (TypeError, ValueError):
        return ""
    for unit in ("B", "KiB", "MiB", "GiB"):
        if size < 1024 or unit == "GiB":
            return f"{size:.0f} {unit}" if unit == "B" else f"{size:,.1f} {unit}"
        size /= 1024
    return ""


def _descriptor_counts(item: dict) -> list:
    """Deployment options, networks, properties, manifest: what an OVA/OVF declares; blank for an upgrade package."""
    if item.get("kind") == "UPGRADE":
        return ["", "", "", ""]
    return [
        len(item.get("deploymentOptions") or []),
        len(item.get("networks") or []),
        len(item.get("properties") or []),
        "verified" if item.get("manifestVerified") else "none",
    ]


def cmd_list(args, client: Client) -> int:
    params = {}
    if args.product_type:
        params["productType"] = args.product_type.upper()
    if args.status:
        params["status"] = args.status
    count, files = client.list("repository", **params)
    if list_printed(
        count,
        files,
        as_json=args.json,
        empty="The repository lists no files"
        + (" of that kind" if params else "")
        + ". Put OVAs in its product directories and run `lcm repository scan --wait`.",
    ):
        return EXIT_OK
    usable = [f for f in files if f.get("status") == "OK"]
    broken = [f for f in files if f.get("status") != "OK"]
    if usable:
        table(
            ["TYPE", "VERSION", "BUILD", "KIND", "SIZE", "OPTIONS", "NETWORKS", "PROPERTIES", "MANIFEST", "FILE"],
            [
                [
                    f.get("productType"),
                    f.get("version"),
                    f.get("build"),
                    f.get("kind"),
                    size_text(f.get("size")),
                    *_descriptor_counts(f),
                    f.get("path"),
                ]
                for f in usable
            ],
        )
    if broken:
        if usable:
            print()
        print(f"Broken ({len(broken)}):")
        table(
            ["TYPE", "FILE", "PROBLEM"],
            [[f.get("productType"), f.get("path"), f.get("problem")] for f in broken],
            indent="  ",
        )
    return EXIT_OK


def cmd_scan(args, client: Client) -> int:
    accepted = client.post("repository/scan")
    return task_accepted(client, accepted, what="scan the repository", wait=args.wait, as_json=args.json)


def add_parser(commands, common) -> None:
    repo = commands.add_parser(
        "repository", aliases=["repo"], help="the product binaries the server can deploy", parents=[common]
    )
    sub = repo.add_subparsers(dest="repository_command", metavar="COMMAND", required=True)

    p = sub.add_parser("list", help="what the last scan found: usable files, then broken ones", parents=[common])
    p.add_argument("--product-type", metavar="TYPE", help="VCD, USAGE_METER, VROPS_TENANT_APP, RABBITMQ, OVA_APPLIANCE")
    p.add_argument("--status", choices=STATUSES, help="OK (usable) or BROKEN")
    p.set_defaults(func=cmd_list)

    p = sub.add_parser(
        "scan", help="read the repository directory again (unchanged files are not re-read)", parents=[common]
    )
    task_options_add(p)
    p.set_defaults(func=cmd_scan)

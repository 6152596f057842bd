"""`lcm datacenter …` (registered vCenter Servers and what was discovered in them) and `lcm certificate probe`."""
from __future__ import annotations

import copy
import sys

from lcm.client import Client, quote_name
from lcm.errors import EXIT_FAILED, EXIT_OK, EXIT_REFUSED, ApiError, CliError, UsageError
from lcm.output import fields, fmt_time, gib, print_json, table
from lcm.spec import spec_read
from lcm.tasks import task_accepted

THUMBPRINT_PATH = "content.certificate.thumbprint"
INVENTORY = [  # (content key, singular, plural)
    ("datacenters", "datacenter", "datacenters"),
    ("clusters", "cluster", "clusters"),
    ("hosts", "host", "hosts"),
    ("resourcePools", "resource pool", "resource pools"),
    ("datastores", "datastore", "datastores"),
    ("networks", "network", "networks"),
    ("distributedSwitches", "distributed switch", "distributed switches"),
    ("folders", "folder", "folders"),
]


def _spec_prepare(args) -> dict:
    spec = spec_read(args.file)
    if getattr(args, "accept_certificate", None):
        spec = copy.deepcopy(spec)
        content = spec.setdefault("content", {})
        if not isinstance(content, dict):
            raise UsageError("content in the spec must be an object")
        certificate = content.setdefault("certificate", {})
        if not isinstance(certificate, dict):
            raise UsageError("content.certificate in the spec must be an object")
        certificate["thumbprint"] = args.accept_certificate.strip()
    return spec


def certificate_print(cert: dict, *, stream=None, indent: str = "") -> None:
    fields([
        ("Thumbprint", cert.get("thumbprint")),
        ("Subject", cert.get("subject")),
        ("Issuer", cert.get("issuer")),
        ("Valid from", fmt_time(cert.get("validFrom"))),
        ("Valid to", fmt_time(cert.get("validTo"))),
    ], stream, indent=indent)


def _thumbprint_refusal(client: Client, error: ApiError, spec: dict) -> bool:
    """A spec refused only for its certificate: show what the server presents and how to accept it."""
    if error.status != 400 or set(error.errors) != {THUMBPRINT_PATH}:
        return False
    err = sys.stderr
    print(f"error: {error.message}", file=err)
    fqdn, port = spec.get("fqdn"), spec.get("port") or 443
    try:
        cert = client.post("certificates/probe", {"fqdn": fqdn, "port": port})
    except CliError as exc:
        print(f"(the certificate of {fqdn}:{port} could not be read: {exc.message})", file=err)
        return True
    print(f"\n{fqdn}:{port} presents this certificate:", file=err)
    certificate_print(cert, stream=err, indent="  ")
    thumbprint = cert.get("thumbprint", "")
    print("\nIf you trust it, either add it to the spec:\n"
          f'  "content": {{"certificate": {{"thumbprint": "{thumbprint}"}}}}\n'
          "or run the command again with:\n"
          f"  --accept-certificate {thumbprint}", file=err)
    return True


def _submit(client: Client, args, method: str, path: str, *, params: dict | None = None, what: str) -> int:
    spec = _spec_prepare(args)
    try:
        if method == "PUT":
            accepted = client.put(path, spec)
        else:
            accepted = client.post(path, spec, params=params)
    except ApiError as exc:
        if _thumbprint_refusal(client, exc, spec):
            return EXIT_REFUSED
        raise
    return task_accepted(client, accepted, what=what, wait=args.wait, as_json=args.json)


# --- the commands ---


def _counts(content: dict) -> list[str]:
    """'1 datacenter', '3 hosts' …: from the lists of a full component, or the total a list result carries."""
    out = []
    for key, one, many in INVENTORY:
        value = content.get(key)
        n = len(value) if isinstance(value, list) else value if isinstance(value, int) else None
        if n:
            out.append(f"{n} {one if n == 1 else many}")
    total = content.get("inventoryCount")
    if not out and isinstance(total, int):
        out.append(f"{total} object{'' if total == 1 else 's'}")
    return out


def cmd_list(args, client: Client) -> int:
    count, components = client.list("datacenters")
    if args.json:
        print_json({"count": count, "results": components})
        return EXIT_OK
    if not components:
        print("No datacenter components registered. Add one with `lcm datacenter register -f spec.json`.")
        return EXIT_OK
    table(
        ["NAME", "TYPE", "ADDRESS", "VERSION", "PURPOSE", "DISCOVERED", "INVENTORY"],
        [[c.get("componentName"), c.get("datacenterComponentType"), f"{c.get('fqdn')}:{c.get('port', 443)}",
          " ".join(filter(None, [c.get("version"), f"({c['build']})" if c.get("build") else ""])),
          c.get("purpose"), fmt_time(c.get("discoveredAt")), ", ".join(_counts(c.get("content") or {}))]
         for c in components],
    )
    return EXIT_OK


def cmd_get(args, client: Client) -> int:
    c = client.get(f"datacenters/{quote_name(args.name)}")
    if args.json:
        print_json(c)
        return EXIT_OK
    content = c.get("content") or {}
    fields([
        ("Name", c.get("componentName")),
        ("Type", c.get("datacenterComponentType")),
        ("Address", f"{c.get('fqdn')}:{c.get('port', 443)}"),
        ("Username", c.get("username")),
        ("Purpose", c.get("purpose")),
        ("Tags", c.get("tags")),
        ("Version", " ".join(filter(None, [c.get("version"), f"(build {c['build']})" if c.get("build") else ""]))),
        ("Discovered", fmt_time(c.get("discoveredAt")) or "never"),
    ])
    if isinstance(content.get("certificate"), dict):
        print("\nCertificate")
        certificate_print(content["certificate"], indent="  ")
    counts = _counts(content)
    if counts:
        print(f"\nInventory: {', '.join(counts)}")
    datastores = [d for d in content.get("datastores") or [] if isinstance(d, dict)]
    if datastores:
        print("\nDatastores")
        table(["NAME", "CAPACITY GiB", "FREE GiB", "PATH"],
              [[d.get("name"), gib(d.get("capacity")), gib(d.get("freeSpace")), d.get("path")] for d in datastores], indent="  ")
    for key, title in (("networks", "Networks"), ("clusters", "Clusters")):
        items = [i for i in content.get(key) or [] if isinstance(i, dict)]
        if items:
            print(f"\n{title}")
            table(["NAME", "PATH"], [[i.get("name"), i.get("path")] for i in items], indent="  ")
    return EXIT_OK


def cmd_register(args, client: Client) -> int:
    return _submit(client, args, "POST", "datacenters", what="register a datacenter component")


def cmd_validate(args, client: Client) -> int:
    return _submit(client, args, "POST", "datacenters", params={"action": "VALIDATE"},
                   what="validate a datacenter component spec (nothing is saved)")


def cmd_update(args, client: Client) -> int:
    return _submit(client, args, "PUT", f"datacenters/{quote_name(args.name)}", what=f"update {args.name}")


def cmd_discover(args, client: Client) -> int:
    accepted = client.post(f"datacenters/{quote_name(args.name)}/discover")
    return task_accepted(client, accepted, what=f"discover the inventory of {args.name}", wait=args.wait, as_json=args.json)


def cmd_delete(args, client: Client) -> int:
    if not args.yes:
        if not sys.stdin.isatty():
            raise UsageError(f"not deleting {args.name} without confirmation", hint="pass --yes to delete without asking")
        answer = input(f"Delete the datacenter component {args.name}? [y/N] ")
        if answer.strip().lower() not in ("y", "yes"):
            print("Not deleted.")
            return EXIT_FAILED
    accepted = client.delete(f"datacenters/{quote_name(args.name)}")
    return task_accepted(client, accepted, what=f"delete {args.name}", wait=args.wait, as_json=args.json)


def cmd_certificate_probe(args, client: Client) -> int:
    cert = client.post("certificates/probe", {"fqdn": args.fqdn, "port": args.port})
    if args.json:
        print_json(cert)
        return EXIT_OK
    print(f"{args.fqdn}:{args.port} presents:")
    certificate_print(cert, indent="  ")
    print(f"\nTo trust it, put the thumbprint in the spec as {THUMBPRINT_PATH}, or pass "
          f"--accept-certificate {cert.get('thumbprint')} to `lcm datacenter register`.")
    return EXIT_OK


def add_parser(commands, common) -> None:
    dc = commands.add_parser("datacenter", aliases=["dc"], help="register and inspect vCenter Servers", parents=[common])
    sub = dc.add_subparsers(dest="datacenter_command", metavar="COMMAND", required=True)

    p = sub.add_parser("list", help="the registered components", parents=[common])
    p.set_defaults(func=cmd_list)

    p = sub.add_parser("get", help="one component: its fields, certificate and inventory", parents=[common])
    p.add_argument("name", metavar="NAME")
    p.set_defaults(func=cmd_get)

    for name, func, help_ in (
        ("register", cmd_register, "register a component from a spec file"),
        ("validate", cmd_validate, "check a spec against the server and vCenter without saving anything"),
        ("update", cmd_update, "change a registered component (a full spec)"),
    ):
        p = sub.add_parser(name, help=help_, parents=[common])
        if name == "update":
            p.add_argument("name", metavar="NAME")
        p.add_argument("-f", "--file", required=True, metavar="FILE", help="the spec (JSON; '-' reads stdin)")
        p.add_argument("--accept-certificate", metavar="THUMBPRINT",
                       help=f"trust this certificate: sets {THUMBPRINT_PATH} (must be what the server presents)")
        p.add_argument("--wait", action="store_true", help="follow the task until it ends (like `lcm task watch`)")
        p.set_defaults(func=func)

    p = sub.add_parser("discover", help="read the component's inventory again", parents=[common])
    p.add_argument("name", metavar="NAME")
    p.add_argument("--wait", action="store_true", help="follow the task until it ends")
    p.set_defaults(func=cmd_discover)

    p = sub.add_parser("delete", help="remove a registered component", parents=[common])
    p.add_argument("name", metavar="NAME")
    p.add_argument("--yes", "-y", action="store_true", help="do not ask for confirmation")
    p.add_argument("--wait", action="store_true", help="follow the task until it ends")
    p.set_defaults(func=cmd_delete)

    cert = commands.add_parser("certificate", help="look at a server's TLS certificate", parents=[common])
    csub = cert.add_subparsers(dest="certificate_command", metavar="COMMAND", required=True)
    p = csub.add_parser("probe", help="the certificate a server presents (read by the lifecycle manager)",
                        parents=[common])
    p.add_argument("fqdn", metavar="FQDN")
    p.add_argument("--port", type=int, default=443, help="default 443")
    p.set_defaults(func=cmd_certificate_probe)

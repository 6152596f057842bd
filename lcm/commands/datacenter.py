"""`lcm datacenter …` (registered vCenter Servers, NSX-T Managers and vRealize Operations Managers, what
was discovered in them, and the IPv4 settings of a vCenter's port groups) and `lcm certificate probe`."""

from __future__ import annotations

import argparse
import copy
import sys

from lcm.client import Client, quote_name
from lcm.commands.task import task_accepted, task_options_add
from lcm.errors import EXIT_FAILED, EXIT_OK, EXIT_REFUSED, ApiError, CliError, UsageError
from lcm.output import delete_confirmed, fields, fmt_time, gib, json_printed, list_printed, table
from lcm.spec import spec_read

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
    fields(
        [
            ("Thumbprint", cert.get("thumbprint")),
            ("Subject", cert.get("subject")),
            ("Issuer", cert.get("issuer")),
            ("Valid from", fmt_time(cert.get("validFrom"))),
            ("Valid to", fmt_time(cert.get("validTo"))),
        ],
        stream,
        indent=indent,
    )


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
    print(
        "\nIf you trust it, either add it to the spec:\n"
        f'  "content": {{"certificate": {{"thumbprint": "{thumbprint}"}}}}\n'
        "or run the command again with:\n"
        f"  --accept-certificate {thumbprint}",
        file=err,
    )
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
    if list_printed(
        count,
        components,
        as_json=args.json,
        empty="No datacenter components registered. Add one with `lcm datacenter register -f spec.json`.",
    ):
        return EXIT_OK
    table(
        ["NAME", "TYPE", "ADDRESS", "VERSION", "PURPOSE", "DISCOVERED", "INVENTORY"],
        [
            [
                c.get("componentName"),
                c.get("datacenterComponentType"),
                f"{c.get('fqdn')}:{c.get('port', 443)}",
                " ".join(filter(None, [c.get("version"), f"({c['build']})" if c.get("build") else ""])),
                c.get("purpose"),
                fmt_time(c.get("discoveredAt")),
                ", ".join(_counts(c.get("content") or {})),
            ]
            for c in components
        ],
    )
    return EXIT_OK


def cmd_get(args, client: Client) -> int:
    c = client.get(f"datacenters/{quote_name(args.name)}")
    if json_printed(c, as_json=args.json):
        return EXIT_OK
    content = c.get("content") or {}
    fields(
        [
            ("Name", c.get("componentName")),
            ("Type", c.get("datacenterComponentType")),
            ("Address", f"{c.get('fqdn')}:{c.get('port', 443)}"),
            ("Username", c.get("username")),
            ("Purpose", c.get("purpose")),
            ("Tags", c.get("tags")),
            ("Version", " ".join(filter(None, [c.get("version"), f"(build {c['build']})" if c.get("build") else ""]))),
            ("Discovered", fmt_time(c.get("discoveredAt")) or "never"),
        ]
    )
    about = (c.get("properties") or {}).get("about") or {}
    if c.get("datacenterComponentType") in ("NSXT", "VROPS") and about:
        print("\nIdentity")
        fields(
            [
                ("Product", about.get("fullName")),
                ("Host name", about.get("hostname")),
                ("Node UUID", about.get("nodeUuid")),
                ("Cluster ID", about.get("clusterId")),
                ("Cluster status", about.get("clusterStatus")),
                ("Node status", about.get("nodeStatus")),
            ],
            indent="  ",
        )
    if isinstance(content.get("certificate"), dict):
        print("\nCertificate")
        certificate_print(content["certificate"], indent="  ")
    counts = _counts(content)
    if counts:
        print(f"\nInventory: {', '.join(counts)}")
    datastores = [d for d in content.get("datastores") or [] if isinstance(d, dict)]
    if datastores:
        print("\nDatastores")
        table(
            ["NAME", "CAPACITY GiB", "FREE GiB", "PATH"],
            [[d.get("name"), gib(d.get("capacity")), gib(d.get("freeSpace")), d.get("path")] for d in datastores],
            indent="  ",
        )
    for key, title in (("networks", "Networks"), ("clusters", "Clusters")):
        items = [i for i in content.get(key) or [] if isinstance(i, dict)]
        if items:
            print(f"\n{title}")
            table(["NAME", "PATH"], [[i.get("name"), i.get("path")] for i in items], indent="  ")
    return EXIT_OK


def cmd_register(args, client: Client) -> int:
    return _submit(client, args, "POST", "datacenters", what="register a datacenter component")


def cmd_validate(args, client: Client) -> int:
    return _submit(
        client,
        args,
        "POST",
        "datacenters",
        params={"action": "VALIDATE"},
        what="validate a datacenter component spec (nothing is saved)",
    )


def cmd_update(args, client: Client) -> int:
    return _submit(client, args, "PUT", f"datacenters/{quote_name(args.name)}", what=f"update {args.name}")


def cmd_discover(args, client: Client) -> int:
    accepted = client.post(f"datacenters/{quote_name(args.name)}/discover")
    return task_accepted(
        client, accepted, what=f"discover the inventory of {args.name}", wait=args.wait, as_json=args.json
    )


def cmd_delete(args, client: Client) -> int:
    if not delete_confirmed(f"the datacenter component {args.name}", yes=args.yes):
        return EXIT_FAILED
    accepted = client.delete(f"datacenters/{quote_name(args.name)}")
    return task_accepted(client, accepted, what=f"delete {args.name}", wait=args.wait, as_json=args.json)


# --- port groups: `lcm datacenter network list|set|unset` ---


def _mask_cell(entry: dict) -> str:
    if not entry.get("prefixLength"):
        return ""
    return f"/{entry['prefixLength']} ({entry.get('subnetMask')})"


def _split(value: str) -> list[str]:
    return [item.strip() for item in value.replace(" ", ",").split(",") if item.strip()]


def cmd_network_list(args, client: Client) -> int:
    component = client.get(f"datacenters/{quote_name(args.name)}")
    networks = [n for n in (component.get("content") or {}).get("networks") or [] if isinstance(n, dict)]
    if json_printed(networks, as_json=args.json):
        return EXIT_OK
    if component.get("datacenterComponentType") not in (None, "VCENTER"):
        print(f"{args.name} is a {component.get('datacenterComponentType')} component: it has no port groups.")
        return EXIT_OK
    if not networks:
        print(f"No port groups discovered in {args.name}. Run `lcm datacenter discover {args.name}` first.")
        return EXIT_OK
    table(
        ["PORT GROUP", "DATACENTER", "VLAN", "DHCP", "GATEWAY", "SUBNET", "DNS", "NTP", "DOMAIN", "SEARCH", "NOTE"],
        [
            [
                n.get("portGroupName"),
                n.get("datacenter"),
                n.get("vlan"),
                n.get("useDhcp") if n.get("configured") else None,
                n.get("gateway"),
                _mask_cell(n),
                n.get("dns"),
                n.get("ntp"),
                n.get("domainName"),
                n.get("searchPath"),
                "not found in the last discovery"
                if n.get("foundInLastDiscovery") is False
                else ("" if n.get("configured") else "no IPv4 settings"),
            ]
            for n in networks
        ],
    )
    return EXIT_OK


def cmd_network_set(args, client: Client) -> int:
    """Change the given settings of a port group; the others keep their values (the API's PUT replaces)."""
    path = f"datacenters/{quote_name(args.name)}/networks/{quote_name(args.port_group)}"
    current = client.get(path)
    settings = {
        key: current.get(key)
        for key in ("useDhcp", "gateway", "prefixLength", "domainName", "searchPath", "dns", "ntp")
    }
    if args.dhcp is not None:
        settings["useDhcp"] = args.dhcp
    if args.gateway is not None:
        settings["gateway"] = args.gateway or None
    if args.mask is not None:
        mask = args.mask.strip()
        settings.pop("prefixLength", None)
        if mask.lstrip("/").isdigit():
            settings["prefixLength"] = int(mask.lstrip("/"))
        elif mask:
            settings["subnetMask"] = mask
    for key, value in (("dns", args.dns), ("ntp", args.ntp), ("searchPath", args.search_path)):
        if value is not None:
            settings[key] = _split(value)
    if args.domain is not None:
        settings["domainName"] = args.domain or None
    entry = client.put(path, settings)
    if json_printed(entry, as_json=args.json):
        return EXIT_OK
    print(f"Saved the IPv4 settings of {args.port_group} on {args.name}:")
    _network_print(entry)
    return EXIT_OK


def _network_print(entry: dict) -> None:
    fields(
        [
            ("DHCP", entry.get("useDhcp")),
            ("Gateway", entry.get("gateway")),
            ("Subnet", _mask_cell(entry)),
            ("DNS", entry.get("dns")),
            ("NTP", entry.get("ntp")),
            ("Domain", entry.get("domainName")),
            ("Search path", entry.get("searchPath")),
            ("Note", "not found in the last discovery" if entry.get("foundInLastDiscovery") is False else None),
        ],
        indent="  ",
    )


def cmd_network_unset(args, client: Client) -> int:
    client.delete(f"datacenters/{quote_name(args.name)}/networks/{quote_name(args.port_group)}")
    if not args.json:
        print(f"Removed the IPv4 settings of {args.port_group} on {args.name}.")
    return EXIT_OK


def cmd_certificate_probe(args, client: Client) -> int:
    cert = client.post("certificates/probe", {"fqdn": args.fqdn, "port": args.port})
    if json_printed(cert, as_json=args.json):
        return EXIT_OK
    print(f"{args.fqdn}:{args.port} presents:")
    certificate_print(cert, indent="  ")
    print(
        f"\nTo trust it, put the thumbprint in the spec as {THUMBPRINT_PATH}, or pass "
        f"--accept-certificate {cert.get('thumbprint')} to `lcm datacenter register`."
    )
    return EXIT_OK


def add_parser(commands, common) -> None:
    dc = commands.add_parser(
        "datacenter",
        aliases=["dc"],
        parents=[common],
        help="register and inspect vCenter Servers, NSX-T Managers and vRealize Operations Managers",
    )
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
        p.add_argument(
            "--accept-certificate",
            metavar="THUMBPRINT",
            help=f"trust this certificate: sets {THUMBPRINT_PATH} (must be what the server presents)",
        )
        task_options_add(p, wait_help="follow the task until it ends (like `lcm task watch`)")
        p.set_defaults(func=func)

    p = sub.add_parser(
        "discover", help="read the component's inventory (vCenter) or version and identity again", parents=[common]
    )
    p.add_argument("name", metavar="NAME")
    task_options_add(p)
    p.set_defaults(func=cmd_discover)

    p = sub.add_parser("delete", help="remove a registered component", parents=[common])
    p.add_argument("name", metavar="NAME")
    task_options_add(p, confirm=True)
    p.set_defaults(func=cmd_delete)

    net = sub.add_parser(
        "network", aliases=["net"], help="the IPv4 settings of a vCenter's port groups", parents=[common]
    )
    nsub = net.add_subparsers(dest="network_command", metavar="COMMAND", required=True)
    p = nsub.add_parser("list", help="the port groups of a vCenter with their IPv4 settings", parents=[common])
    p.add_argument("name", metavar="NAME")
    p.set_defaults(func=cmd_network_list)

    p = nsub.add_parser(
        "set",
        parents=[common],
        help="set IPv4 settings of a port group (options left out keep their values)",
        description="Set the IPv4 settings of a port group. Options left out keep their current values; "
        "an empty value clears one (--dns '').",
    )
    p.add_argument("name", metavar="NAME")
    p.add_argument("port_group", metavar="PORTGROUP")
    p.add_argument("--gateway", metavar="IP")
    p.add_argument("--mask", metavar="MASK", help="subnet mask (255.255.255.0) or prefix length (24 or /24)")
    p.add_argument("--dns", metavar="IP,IP", help="DNS servers, comma separated, in order")
    p.add_argument("--ntp", metavar="HOST,HOST", help="NTP servers (names or addresses), comma separated")
    p.add_argument("--domain", metavar="DOMAIN", help="the domain name")
    p.add_argument("--search-path", metavar="DOMAIN,DOMAIN", help="DNS search domains, comma separated, in order")
    p.add_argument(
        "--dhcp",
        action=argparse.BooleanOptionalAction,
        default=None,
        help="addresses come from DHCP (then the static settings are optional); --no-dhcp for static",
    )
    p.set_defaults(func=cmd_network_set)

    p = nsub.add_parser("unset", help="forget the IPv4 settings of a port group", parents=[common])
    p.add_argument("name", metavar="NAME")
    p.add_argument("port_group", metavar="PORTGROUP")
    p.set_defaults(func=cmd_network_unset)

    cert = commands.add_parser("certificate", help="look at a server's TLS certificate", parents=[common])
    csub = cert.add_subparsers(dest="certificate_command", metavar="COMMAND", required=True)
    p = csub.add_parser(
        "probe", help="the certificate a server presents (read by the lifecycle manager)", parents=[common]
    )
    p.add_argument("fqdn", metavar="FQDN")
    p.add_argument("--port", type=int, default=443, help="default 443")
    p.set_defaults(func=cmd_certificate_probe)

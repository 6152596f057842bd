"""The `lcm` command: argument parsing, the global options, login/logout/about, and turning every
expected failure into a message and an exit code (never a stack trace)."""

from __future__ import annotations

import argparse
import getpass
import os
import sys
import warnings
from pathlib import Path

from lcm import __version__
from lcm.client import Client, server_normalize
from lcm.commands import datacenter, environment, interop, repository, task
from lcm.config import config_load, config_path, config_save
from lcm.errors import EXIT_OK, EXIT_REFUSED, CliError, UsageError
from lcm.output import fields, fmt_time, print_json

EPILOG = """\
The server comes from --server, else $LCM_SERVER, else the last `lcm login`; the token from $LCM_TOKEN,
else the one `lcm login` saved in $LCM_CONFIG (default ~/.config/lcm/config.json).

Exit codes: 0 done; 1 a task failed or was cancelled, or the server failed; 2 the request or the
command line was refused (fix the input); 3 the server could not be reached.
"""


def _common_options(parser: argparse.ArgumentParser, *, defaults: bool) -> None:
    """Global options, accepted before and after the command (`lcm --json task list`, `lcm task list --json`)."""
    d = (lambda v: v) if defaults else (lambda v: argparse.SUPPRESS)
    g = parser.add_argument_group("global options")
    g.add_argument(
        "--server", metavar="URL", default=d(None), help="the lifecycle manager, e.g. https://lcm.example.com"
    )
    g.add_argument("--json", action="store_true", default=d(False), help="print the API's JSON (for scripts)")
    g.add_argument(
        "--ca-file", metavar="PEM", default=d(None), help="trust the server's certificate as signed by this CA"
    )
    g.add_argument(
        "--insecure",
        action="store_true",
        default=d(False),
        help="do not verify the server's TLS certificate (testing only)",
    )


def parser_build() -> argparse.ArgumentParser:
    common = argparse.ArgumentParser(add_help=False)
    _common_options(common, defaults=False)
    parser = argparse.ArgumentParser(
        prog="lcm",
        description="Command-line client of the Provider Lifecycle Manager (talks to its REST API).",
        epilog=EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("--version", action="version", version=f"lcm {__version__}")
    _common_options(parser, defaults=True)
    commands = parser.add_subparsers(dest="command", metavar="COMMAND", required=True)

    p = commands.add_parser("login", help="log in and keep a token for the next commands", parents=[common])
    p.add_argument("--username", "-u", help="asked for when not given")
    p.add_argument("--password-stdin", action="store_true", help="read the password from stdin instead of asking")
    p.set_defaults(func=cmd_login, needs_login=False)

    p = commands.add_parser("logout", help="forget the saved token", parents=[common])
    p.set_defaults(func=cmd_logout, needs_login=False)

    p = commands.add_parser("about", help="the server's name and versions", parents=[common])
    p.set_defaults(func=cmd_about)

    datacenter.add_parser(commands, common)
    environment.add_parser(commands, common)
    interop.add_parser(commands, common)
    repository.add_parser(commands, common)
    task.add_parser(commands, common)
    return parser


# --- connecting ---


def _verify(args, config: dict, server: str) -> bool | str:
    if args.insecure:
        import urllib3

        urllib3.disable_warnings(urllib3.exceptions.InsecureRequestWarning)
        print("warning: the server's TLS certificate is not verified (--insecure)", file=sys.stderr)
        return False
    ca_file = args.ca_file or (config.get("caFile") if config.get("server") == server else None)
    if ca_file:
        if not Path(ca_file).is_file():
            raise UsageError(f"the CA file {ca_file} does not exist")
        return str(Path(ca_file).resolve())
    return True


def _server(args, config: dict) -> str:
    server = args.server or os.environ.get("LCM_SERVER") or config.get("server")
    if not server:
        raise UsageError(
            "no server given", remediation="pass --server URL, set LCM_SERVER, or run `lcm login --server URL`"
        )
    return server_normalize(server)


def client_make(args) -> Client:
    config = config_load()
    server = _server(args, config)
    token, source = os.environ.get("LCM_TOKEN"), "LCM_TOKEN"
    if not token and config.get("token"):
        # A saved token goes only to the server it was issued by.
        if config.get("server") == server:
            token, source = config["token"], "config"
        else:
            raise UsageError(
                f"not logged in to {server} (the saved login is for {config.get('server')})",
                remediation=f"run `lcm login --server {server}`",
            )
    return Client(server, token=token, token_source=source, verify=_verify(args, config, server))


# --- the commands kept here ---


def cmd_login(args, _client: None) -> int:
    config = config_load()
    server = _server(args, config)
    username = args.username or os.environ.get("LCM_USERNAME")
    try:
        if not username:
            username = input("Username: ").strip()
        if args.password_stdin:
            password = sys.stdin.readline().rstrip("\r\n")
        else:
            with warnings.catch_warnings():
                warnings.simplefilter("error", getpass.GetPassWarning)  # never echo a password
                password = getpass.getpass(f"Password for {username} at {server}: ")
    except getpass.GetPassWarning:
        raise UsageError(
            "no terminal to ask for the password on", remediation="pipe it in with --password-stdin"
        ) from None
    except EOFError:
        raise UsageError("no username or password given") from None
    if not username or not password:
        raise UsageError("a username and a password are needed")
    client = Client(server, verify=_verify(args, config, server))
    answer = client.post("auth/token", {"username": username, "password": password}, auth=False)
    saved = {"server": server, "username": username, "token": answer["token"], "expiresAt": answer.get("expiresAt")}
    if args.ca_file:
        saved["caFile"] = str(Path(args.ca_file).resolve())
    path = config_save(saved)
    if args.json:  # the token stays in the file: it is a secret
        print_json({"server": server, "username": username, "expiresAt": answer.get("expiresAt"), "config": str(path)})
    else:
        print(f"Logged in to {server} as {username}; the token is valid until {fmt_time(answer.get('expiresAt'))}.")
    return EXIT_OK


def cmd_logout(args, _client: None) -> int:
    path = config_path()
    config = config_load(path)
    if not config.get("token"):
        print("Not logged in.")
        return EXIT_OK
    server, token = config.get("server", ""), config["token"]
    revoked = True
    try:
        Client(server, token=token, verify=_verify(args, config, server)).delete("auth/token")
    except CliError as exc:
        revoked = False
        print(
            f"warning: the server did not revoke the token ({exc}); it stays valid until "
            f"{fmt_time(config.get('expiresAt'))}",
            file=sys.stderr,
        )
    config.pop("token", None)
    config.pop("expiresAt", None)
    config_save(config, path)
    print(f"Logged out of {server}: the token was {'revoked and ' if revoked else ''}removed from {path}.")
    return EXIT_OK


def cmd_about(args, client: Client) -> int:
    about = client.get("about")
    if args.json:
        print_json(about)
        return EXIT_OK
    fields(
        [
            ("Server", client.server),
            ("Name", about.get("name")),
            ("Version", about.get("version")),
            ("API", about.get("apiVersion")),
            ("Django", about.get("django")),
            ("This CLI", f"lcm {__version__}"),
        ]
    )
    return EXIT_OK


# --- the entry point ---


def error_print(error: CliError) -> None:
    err = sys.stderr
    print(f"error: {error.message}", file=err)
    for path, problems in error.errors.items():
        for problem in problems:
            line = f"{path}: {problem}" if path else problem
            if line != error.message:  # the API's message often repeats the first field error
                print(f"  {line}", file=err)
    if error.remediation:
        print(f"hint: {error.remediation}", file=err)


def main(argv: list[str] | None = None) -> int:
    parser = parser_build()
    try:
        args = parser.parse_args(argv)
    except SystemExit as exc:  # --help, --version, or a usage error argparse has already explained
        return exc.code if isinstance(exc.code, int) else EXIT_REFUSED
    try:
        client = client_make(args) if getattr(args, "needs_login", True) else None
        return args.func(args, client)
    except CliError as error:
        error_print(error)
        return error.exit_code
    except KeyboardInterrupt:
        print(
            "\ninterrupted"
            + (
                " (the task goes on on the server)"
                if args.command in ("task", "datacenter", "dc", "environment", "env", "repository", "repo")
                else ""
            ),
            file=sys.stderr,
        )
        return 130
    except BrokenPipeError:  # `lcm task list | head`
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
        return EXIT_OK


if __name__ == "__main__":
    sys.exit(main())

"""HTTP to the REST API: one `requests` session, and every failure turned into a `CliError`."""

from __future__ import annotations

import socket
import ssl
from typing import Any
from urllib.parse import quote, urlsplit

import requests

from lcm import __version__
from lcm.errors import ApiError, Unreachable, UsageError

API_PREFIX = "/api/v1/"
TIMEOUT = (10, 60)  # seconds: connect, read


def server_normalize(url: str) -> str:
    """'lcm.example.com' → 'https://lcm.example.com'; a trailing '/' or '/api/v1' is dropped."""
    url = url.strip().rstrip("/")
    if not url:
        raise UsageError("the server URL is empty")
    if "://" not in url:
        url = "https://" + url
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.netloc:
        raise UsageError(f"{url} is not a server URL; use http(s)://host[:port]")
    if url.endswith("/api/v1"):
        url = url[: -len("/api/v1")]
    return url


def quote_name(name: str) -> str:
    return quote(name, safe="")


def _reason(exc: BaseException) -> str:
    """What went wrong underneath requests/urllib3's wrappers, in a few words."""
    seen: set[int] = set()
    stack: list[Any] = [exc]
    while stack:
        error = stack.pop()
        if not isinstance(error, BaseException) or id(error) in seen:
            continue
        seen.add(id(error))
        if isinstance(error, ConnectionRefusedError):
            return "connection refused"
        if isinstance(error, socket.gaierror):
            return "the host name does not resolve"
        if isinstance(error, ssl.SSLCertVerificationError):
            return f"its TLS certificate is not trusted ({error.verify_message})"
        if isinstance(error, (socket.timeout, TimeoutError)):
            return "no answer (timed out)"
        if isinstance(error, ConnectionResetError):
            return "the connection was reset"
        if isinstance(error, OSError) and error.strerror:
            return error.strerror[0].lower() + error.strerror[1:]
        stack.extend([error.__cause__, error.__context__, getattr(error, "reason", None)])
        stack.extend(arg for arg in error.args if isinstance(arg, BaseException))
    return "the connection failed"


def _errors_normalize(errors: Any) -> dict[str, list[str]]:
    if not isinstance(errors, dict):
        return {}
    return {str(k): [str(p) for p in (v if isinstance(v, list) else [v])] for k, v in errors.items()}


class Client:
    def __init__(
        self,
        server: str,
        *,
        token: str | None = None,
        token_source: str = "",
        verify: bool | str = True,
        timeout: tuple[float, float] = TIMEOUT,
    ):
        self.server = server_normalize(server)
        self.token = token
        self.token_source = token_source  # how the user gets a new one: "LCM_TOKEN" or "" (lcm login)
        self.timeout = timeout
        # Passed with every request: requests lets $REQUESTS_CA_BUNDLE override a session's `verify`.
        self.verify = verify
        self.session = requests.Session()
        self.session.headers.update({"User-Agent": f"lcm/{__version__}", "Accept": "application/json"})

    def url(self, path: str) -> str:
        return self.server + API_PREFIX + path.lstrip("/")

    def login_hint(self) -> str:
        if self.token_source == "LCM_TOKEN":
            return "LCM_TOKEN holds a token the server does not accept; set a valid one or unset it and run `lcm login`"
        return f"run `lcm login --server {self.server}` to log in again"

    def request(
        self, method: str, path: str, *, params: dict | None = None, json: Any = None, auth: bool = True
    ) -> Any:
        headers = {}
        if auth:
            if not self.token:
                raise UsageError(
                    f"not logged in to {self.server}", remediation=f"run `lcm login --server {self.server}`"
                )
            headers["Authorization"] = f"Bearer {self.token}"
        url = self.url(path)
        try:
            response = self.session.request(
                method, url, params=params, json=json, headers=headers, timeout=self.timeout, verify=self.verify
            )
        except requests.exceptions.SSLError as exc:
            raise Unreachable(
                f"cannot reach {self.server}: {_reason(exc)}",
                remediation="pass --ca-file with the certificate of the CA that signed it (or --insecure to skip the check)",
            ) from None
        except requests.Timeout:
            raise Unreachable(f"cannot reach {self.server}: no answer within {self.timeout[1]:g} s") from None
        except requests.ConnectionError as exc:
            raise Unreachable(f"cannot reach {self.server}: {_reason(exc)}") from None
        except OSError as exc:  # requests checks the CA bundle path ($REQUESTS_CA_BUNDLE, --ca-file) itself
            raise UsageError(
                f"cannot check {self.server}'s TLS certificate: {exc}",
                remediation="fix --ca-file or $REQUESTS_CA_BUNDLE",
            ) from None
        return self._answer(response)

    def _answer(self, response: requests.Response) -> Any:
        status = response.status_code
        try:
            body = response.json() if response.content else None
        except ValueError:
            body = ...
        if 200 <= status < 300:
            if body is ...:
                raise ApiError(
                    f"{response.url} answered with something that is not JSON; is {self.server} the Provider Lifecycle Manager?",
                    status=502,
                )
            return body
        if status in (502, 503, 504):
            raise Unreachable(f"cannot reach {self.server}: it is unavailable (HTTP {status} {response.reason})")
        if isinstance(body, dict) and "message" in body:
            message, errors = str(body["message"]), _errors_normalize(body.get("errors"))
        elif status == 404:
            message, errors = f"{response.url} does not exist; is {self.server} the Provider Lifecycle Manager?", {}
        else:
            message, errors = f"HTTP {status} {response.reason} from {response.url}", {}
        hint = self.login_hint() if status == 401 else ""
        raise ApiError(
            message, status=status, errors=errors, remediation=hint, body=body if isinstance(body, dict) else None
        )

    def get(self, path: str, **params) -> Any:
        return self.request("GET", path, params={k: v for k, v in params.items() if v is not None} or None)

    def post(self, path: str, json: Any = None, *, params: dict | None = None, auth: bool = True) -> Any:
        return self.request("POST", path, json=json, params=params, auth=auth)

    def put(self, path: str, json: Any) -> Any:
        return self.request("PUT", path, json=json)

    def delete(self, path: str) -> Any:
        return self.request("DELETE", path)

    def list(self, path: str, *, limit: int | None = None, **params) -> tuple[int, list]:
        """All items of a paginated list (or the first `limit`), newest API order kept: (count, items)."""
        size = min(500, limit) if limit else 500
        items: list = []
        page = 1
        while True:
            data = self.get(path, page=page, pageSize=size, **params)
            if isinstance(data, list):  # not paginated
                return len(data), data[:limit] if limit else data
            items.extend(data.get("results") or [])
            if not data.get("next") or (limit and len(items) >= limit):
                return int(data.get("count", len(items))), items[:limit] if limit else items
            page += 1

"""The product's one door to vRealize Operations Manager: log in and read its version and identity
over the Suite API (/suite-api/api).

A token is acquired with the user name and password, sent as ``Authorization: vRealizeOpsToken …``,
and released at the end. Plain Python (no Django); errors are those of datacenters/vsphere/errors.py.
"""

from __future__ import annotations

import contextlib
import logging
from collections.abc import Iterator
from typing import Any

from datacenters.pinned_http import RestClient, error_text, status_text
from datacenters.vsphere.errors import LoginRefused, VSphereError, WrongServer

logger = logging.getLogger(__name__)

PRODUCT = "vRealize Operations Manager"
API = "/suite-api/api"
ACQUIRE = f"{API}/auth/token/acquire"
RELEASE = f"{API}/auth/token/release"
CURRENT_USER = f"{API}/auth/currentuser"
VERSION = f"{API}/versions/current"
NODE_STATUS = f"{API}/deployment/node/status"


class TokenRefused(VSphereError):
    """vROps refused a token it had just issued, even after a fresh one was acquired."""


class Operations:
    """A logged-in session with one vRealize Operations Manager."""

    def __init__(self, client: RestClient, *, username: str, password: str, auth_source: str | None = None):
        self.client = client
        self.username = username
        self._password = password
        self._auth_source = auth_source
        self.token: str | None = None
        self.roles: list[str] = []
        self.expires_at: str | None = None

    def acquire(self) -> None:
        body = {"username": self.username, "password": self._password}
        if self._auth_source:
            body["authSource"] = self._auth_source
        response = self.client.request("POST", ACQUIRE, json=body)
        if response.status_code in (401, 403):
            raise LoginRefused(f"login refused for {self.username}: the user name or password is wrong")
        self._check(response, ACQUIRE)
        answer = self.client.json(response, what=ACQUIRE)
        if not isinstance(answer, dict) or not answer.get("token"):
            raise WrongServer(f"{self.client.where} issued no token; check that this is a {PRODUCT}")
        self.token = str(answer["token"])
        self.roles = [str(r) for r in answer.get("roles") or []]
        self.expires_at = answer.get("expiresAt")

    def get(self, path: str, *, accept: tuple[int, ...] = ()) -> tuple[int, Any]:
        """(status, JSON body) of an authenticated GET; statuses in `accept` are returned, not raised.

        An expired or unknown token is answered with 401; as documented, we acquire a new token and
        try once more.
        """
        for attempt in (1, 2):
            response = self.client.request("GET", path, headers={"Authorization": f"vRealizeOpsToken {self.token}"})
            if response.status_code != 401:
                break
            if attempt == 1:
                self.acquire()
        if response.status_code == 401:
            reason = error_text(response) or "401 Unauthorized"
            raise TokenRefused(
                f"{self.client.where} refused the token it had just issued for {self.username} ({reason}); "
                "check the health and the clock of the vRealize Operations cluster"
            )
        if response.status_code in accept:
            return response.status_code, _json_or_none(response)
        self._check(response, path)
        return response.status_code, self.client.json(response, what=path)

    def release(self) -> None:
        """End the session; a failure here changes nothing for the caller (the token expires anyway)."""
        token, self.token = self.token, None
        if not token:
            return
        try:
            response = self.client.request("POST", RELEASE, headers={"Authorization": f"vRealizeOpsToken {token}"})
            if response.status_code >= 300:
                logger.debug("releasing the token on %s answered %s", self.client.where, status_text(response))
        except VSphereError as exc:
            logger.debug("releasing the token on %s failed: %s", self.client.where, exc.message)

    def _check(self, response, path: str) -> None:
        where = self.client.where
        if response.status_code == 404:
            raise WrongServer(
                f"{where} does not offer the vRealize Operations API ({path} answered {status_text(response)}); "
                f"check that this is the address of a {PRODUCT}"
            )
        if response.status_code >= 300:
            reason = error_text(response)
            raise VSphereError(
                f"{where} answered {path} with {status_text(response)}" + (f": {reason}" if reason else "")
            )


def _json_or_none(response) -> Any:
    try:
        return response.json()
    except ValueError:
        return None


@contextlib.contextmanager
def connect(
    *,
    fqdn: str,
    port: int = 443,
    username: str,
    password: str,
    certificate_pem: str,
    timeout: float = 30,
    auth_source: str | None = None,
) -> Iterator[Operations]:
    """A session with the vRealize Operations Manager at fqdn:port, trusting only `certificate_pem`.

    Acquires a token (LoginRefused for wrong credentials) and releases it on the way out.
    """
    client = RestClient(fqdn=fqdn, port=port, certificate_pem=certificate_pem, timeout=timeout, product=PRODUCT)
    operations = Operations(client, username=username, password=password, auth_source=auth_source)
    try:
        operations.acquire()
        yield operations
    finally:
        operations.release()
        client.close()


def user_read(operations: Operations) -> dict[str, Any]:
    """Who we are logged in as: {"userName", "userId", "roles"} (releases before 8.x lack currentuser)."""
    status, user = operations.get(CURRENT_USER, accept=(404,))
    if status == 404 or not isinstance(user, dict):
        return {"userName": operations.username, "userId": None, "roles": operations.roles}
    return {
        "userName": user.get("username") or operations.username,
        "userId": user.get("id"),
        "roles": user.get("roleNames") or operations.roles,
    }


def about_read(operations: Operations) -> dict[str, Any]:
    """Version (versions/current) and the state of the node we talk to (deployment/node/status)."""
    _, current = operations.get(VERSION)
    if not isinstance(current, dict) or "major" not in current:
        raise WrongServer(
            f"{operations.client.where} answered {VERSION} without a version; check that this is a {PRODUCT}"
        )
    version = ".".join(str(current.get(key, 0)) for key in ("major", "minor", "minorMinor"))
    status, node = operations.get(NODE_STATUS, accept=(503,))
    node_status = (node or {}).get("status") if isinstance(node, dict) else None
    return {
        "fullName": current.get("releaseName") or f"{PRODUCT} {version}",
        "version": version,
        "build": str(current["buildNumber"]) if current.get("buildNumber") is not None else "",
        "releaseName": current.get("releaseName"),
        "releasedDate": current.get("humanlyReadableReleaseDate"),
        "nodeStatus": node_status or ("OFFLINE" if status == 503 else None),
    }

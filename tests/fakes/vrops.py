"""A fake vRealize Operations Manager: the Suite API's token endpoints, version and node status, over HTTPS.

Tokens come from POST /suite-api/api/auth/token/acquire and are sent as
``Authorization: vRealizeOpsToken <token>``; an unknown or released token is answered 401 with the
documented error document. Without ``Accept: application/json`` the Suite API answers XML, as vROps
does. Fixtures: `vrops_factory`, `vrops`.
"""

from __future__ import annotations

import time
import uuid
from collections.abc import Callable, Iterator

import pytest

from tests.fakes.server import FakeHandler, FakeServer, fakes_started

API = "/suite-api/api"
TOKEN_INVALID = {
    "message": 'The provided token for auth scheme "vRealizeOpsToken" is either invalid or has expired.',
    "httpStatusCode": 401,
    "apiErrorCode": 1512,
}


class VropsHandler(FakeHandler):
    fake: FakeVrops

    def route(self, method: str) -> None:
        path = self.path.split("?")[0]
        if not path.startswith(API + "/"):
            self.send_body(404, b"<html><body>Not Found</body></html>", "text/html")
            return
        if "application/json" not in self.headers.get("Accept", ""):
            self.send_body(
                200,
                b'<?xml version="1.0"?><ops:resource xmlns:ops="http://webservice.vmware.com/vRealizeOpsMgr/1.0/"/>',
                "application/xml",
            )
            return
        if (method, path) == ("POST", f"{API}/auth/token/acquire"):
            self._acquire()
            return
        token = self._token()
        if token is None:
            self.send_json(401, TOKEN_INVALID)
            return
        routes = {
            ("POST", f"{API}/auth/token/release"): self._release,
            ("GET", f"{API}/versions/current"): lambda: self.send_json(200, self.fake.version()),
            ("GET", f"{API}/auth/currentuser"): lambda: self.send_json(200, self.fake.current_user()),
            ("GET", f"{API}/deployment/node/status"): lambda: self.send_json(
                200, {"status": "ONLINE", "systemTime": int(time.time() * 1000)}
            ),
        }
        answer = routes.get((method, path))
        if answer is None:
            self.send_json(404, {"message": f"No such resource: {path}", "httpStatusCode": 404, "apiErrorCode": 404})
        else:
            answer()

    def _acquire(self) -> None:
        body = self.body_json()
        if not isinstance(body, dict) or "username" not in body or "password" not in body:
            self.send_json(
                400, {"message": "username and password are required", "httpStatusCode": 400, "apiErrorCode": 400}
            )
            return
        if (body["username"], body["password"]) != (self.fake.username, self.fake.password):
            self.send_json(
                401, {"message": "Invalid username or password.", "httpStatusCode": 401, "apiErrorCode": 1512}
            )
            return
        token = f"{uuid.uuid4()}::{uuid.uuid4()}"
        self.fake.tokens.add(token)
        self.fake.acquired += 1
        expires = time.time() + 6 * 3600
        self.send_json(
            200,
            {
                "token": token,
                "validity": int(expires * 1000),
                "expiresAt": time.strftime("%A, %B %d, %Y %I:%M:%S %p UTC", time.gmtime(expires)),
                "roles": [],
            },
        )

    def _token(self) -> str | None:
        scheme, _, token = self.headers.get("Authorization", "").partition(" ")
        if scheme != "vRealizeOpsToken" or token not in self.fake.tokens or self.fake.refuse_tokens:
            return None
        return token

    def _release(self) -> None:
        self.fake.tokens.discard(self._token())
        self.fake.released += 1
        self.send_body(200)


class FakeVrops(FakeServer):
    handler = VropsHandler

    def __init__(self, **kwargs):
        super().__init__(**kwargs)
        self.tokens: set[str] = set()
        self.acquired = 0
        self.released = 0
        self.refuse_tokens = False  # answer every token with 401, as a broken cluster would
        self.user_id = str(uuid.uuid4())

    def forget_tokens(self) -> None:
        """Every token issued so far becomes unknown (as after a restart of the cluster)."""
        self.tokens.clear()

    def version(self) -> dict:
        return {
            "releaseName": "vRealize Operations Manager 8.10.0",
            "major": 8,
            "minor": 10,
            "minorMinor": 0,
            "buildNumber": 20470213,
            "releasedDate": 1665532800000,
            "humanlyReadableReleaseDate": "October 11, 2022",
            "description": "vRealize Operations Manager",
        }

    def current_user(self) -> dict:
        return {
            "id": self.user_id,
            "username": self.username,
            "firstName": "",
            "lastName": "",
            "enabled": True,
            "roleNames": ["Administrator"],
            "groupIds": [],
        }


@pytest.fixture
def vrops_factory(vcsim_tls, vcsim_tls_factory) -> Iterator[Callable[..., FakeVrops]]:
    yield from fakes_started(FakeVrops, tls=vcsim_tls, new_tls=vcsim_tls_factory)


@pytest.fixture
def vrops(vrops_factory) -> FakeVrops:
    """A vRealize Operations Manager 8.10 on 127.0.0.1 (user admin, a random password)."""
    return vrops_factory()

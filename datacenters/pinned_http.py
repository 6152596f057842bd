"""HTTPS that trusts exactly one accepted certificate: a requests session for the servers that speak REST
(NSX-T Manager, vRealize Operations Manager, the deployed appliances), with network and TLS failures as our
own errors.

Plain Python (no Django), like datacenters/vsphere, whose certificate pinning and errors it reuses.
"""

from __future__ import annotations

import ssl
from typing import Any

import requests
from requests.adapters import HTTPAdapter

from datacenters.vsphere.connection import errors_translated, pinned_context
from datacenters.vsphere.errors import VSphereError, WrongServer


class PinnedAdapter(HTTPAdapter):
    """Verifies every server against one SSLContext that holds only the accepted certificate.

    Left alone, requests would load certifi's CA bundle into that context (``cert_verify`` sets
    ``ca_certs`` on each connection, and urllib3 adds it to the context) and urllib3 would match the
    host name itself: either one would widen what we trust beyond the certificate the user accepted.
    """

    def __init__(self, context: ssl.SSLContext, **kwargs: Any):
        self._context = context
        super().__init__(**kwargs)

    def init_poolmanager(self, *args: Any, **kwargs: Any) -> None:
        kwargs.update(ssl_context=self._context, assert_hostname=False)
        super().init_poolmanager(*args, **kwargs)

    def build_connection_pool_key_attributes(self, request, verify, cert=None):
        host_params, pool_kwargs = super().build_connection_pool_key_attributes(request, True, cert)
        pool_kwargs.pop("ca_certs", None)
        pool_kwargs.pop("ca_cert_dir", None)
        # urllib3's pools take these TLS keywords; the stubs of requests list only the key's usual ones.
        pool_kwargs.update(ssl_context=self._context, assert_hostname=False, cert_reqs="CERT_REQUIRED")  # type: ignore[call-arg]
        return host_params, pool_kwargs

    def cert_verify(self, conn, url, verify, cert) -> None:
        conn.cert_reqs = "CERT_REQUIRED"
        conn.ca_certs = None
        conn.ca_cert_dir = None


class RestClient:
    """Requests to one server at https://fqdn:port, trusting only `certificate_pem`.

    Every failure below HTTP (refused, timed out, TLS, a changed certificate) comes out as the same
    error the vCenter client raises, phrased for the person who runs `product`.
    """

    def __init__(self, *, fqdn: str, port: int, certificate_pem: str, timeout: float, product: str):
        self.fqdn, self.port, self.timeout, self.product = fqdn, port, timeout, product
        self._certificate_pem = certificate_pem
        host = f"[{fqdn.strip('[]')}]" if ":" in fqdn else fqdn
        self.base_url = f"https://{host}:{port}"
        self.session = requests.Session()
        # No proxies and no REQUESTS_CA_BUNDLE from the environment: both would bypass the pinning.
        self.session.trust_env = False
        self.session.verify = True
        self.session.headers.update({"Accept": "application/json"})
        with errors_translated(fqdn=fqdn, port=port, product=product):
            self.session.mount("https://", PinnedAdapter(pinned_context(certificate_pem=certificate_pem)))

    @property
    def where(self) -> str:
        return f"{self.fqdn}:{self.port}"

    def request(self, method: str, path: str, **kwargs: Any) -> requests.Response:
        with errors_translated(
            fqdn=self.fqdn, port=self.port, certificate_pem=self._certificate_pem, product=self.product
        ):
            try:
                return self.session.request(
                    method, self.base_url + path, timeout=self.timeout, allow_redirects=False, **kwargs
                )
            except requests.RequestException as exc:
                raise error_cause(exc) from None

    def json(self, response: requests.Response, *, what: str) -> Any:
        """The JSON body of a successful answer; anything else means this is not the product we expect."""
        try:
            return response.json()
        except ValueError:
            raise WrongServer(
                f"{self.where} answered {what} with something that is not JSON; "
                f"check that this is the address of a {self.product}"
            ) from None

    def close(self) -> None:
        self.session.close()


def error_text(response: requests.Response) -> str:
    """The server's own explanation of an error answer, if it gave one (NSX-T and vROps JSON errors)."""
    try:
        body = response.json()
    except ValueError:
        return ""
    if not isinstance(body, dict):
        return ""
    text = body.get("error_message") or body.get("message") or body.get("details") or ""
    return str(text).strip()[:500]


def status_text(response: requests.Response) -> str:
    return f"{response.status_code} {response.reason}".strip()


def error_cause(exc: requests.RequestException) -> BaseException:
    """The socket or TLS error under requests' and urllib3's wrappers, for errors_translated to phrase."""
    todo: list[BaseException] = [exc]
    seen: set[int] = set()
    found: list[BaseException] = []
    while todo:
        error = todo.pop(0)
        if id(error) in seen:
            continue
        seen.add(id(error))
        # requests' and urllib3's own errors subclass OSError too: only the standard library's count.
        if isinstance(error, OSError) and type(error).__module__ in ("builtins", "socket", "ssl"):
            found.append(error)
        linked = [error.__cause__, error.__context__, getattr(error, "reason", None), *getattr(error, "args", ())]
        todo.extend(e for e in linked if isinstance(e, BaseException))
    for kind in (ssl.SSLCertVerificationError, ssl.SSLError, OSError):
        for error in found:
            if isinstance(error, kind):
                return error
    if isinstance(exc, requests.Timeout):
        return TimeoutError("timed out")
    if isinstance(exc, requests.ConnectionError):
        return ConnectionResetError("the connection failed")
    return VSphereError(f"the request failed: {exc}")

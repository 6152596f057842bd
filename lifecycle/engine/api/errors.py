"""One JSON error shape for the whole API: {"message": "...", "errors": {"json.path": ["problem"]}}."""

import logging
import uuid

from django.core.exceptions import PermissionDenied
from django.http import Http404
from rest_framework import exceptions, status
from rest_framework.response import Response

from lifecycle.errors import ApplicationError

logger = logging.getLogger(__name__)


def _flatten(detail, path: str = "") -> dict[str, list[str]]:
    """DRF's nested error dicts/lists → {"a.b[0].c": ["message"]}."""
    if isinstance(detail, dict):
        out: dict[str, list[str]] = {}
        for key, value in detail.items():
            key = "" if key == "non_field_errors" else str(key)
            child = f"{path}.{key}" if path and key else (path or key)
            for k, v in _flatten(value, child).items():
                out.setdefault(k, []).extend(v)
        return out
    if isinstance(detail, list):
        if all(not isinstance(item, (dict, list)) for item in detail):
            return {path: [str(item) for item in detail]}
        out = {}
        for index, item in enumerate(detail):
            for k, v in _flatten(item, f"{path}[{index}]").items():
                if v:
                    out.setdefault(k, []).extend(v)
        return out
    return {path: [str(detail)]}


def exception_handler(exc, context):
    if isinstance(exc, ApplicationError):  # a service's refusal, or any of our errors a view let through
        errors = getattr(exc, "errors", None) or ({exc.path: [exc.message]} if exc.path else {})
        body = {"message": exc.text, "errors": errors, **getattr(exc, "extra", {})}
        return Response(body, status=getattr(exc, "status_code", status.HTTP_400_BAD_REQUEST))
    if isinstance(exc, exceptions.ValidationError):
        errors = _flatten(exc.detail)
        first = next(iter(errors.items()), ("", ["invalid request"]))
        message = f"{first[0]}: {first[1][0]}" if first[0] else first[1][0]
        return Response({"message": message, "errors": errors}, status=status.HTTP_400_BAD_REQUEST)
    if isinstance(exc, Http404):
        return Response({"message": str(exc) or "not found", "errors": {}}, status=404)
    if isinstance(exc, PermissionDenied):
        exc = exceptions.PermissionDenied()
    if isinstance(exc, exceptions.APIException):
        headers = {}
        if auth_header := getattr(exc, "auth_header", None):
            headers["WWW-Authenticate"] = auth_header
        if wait := getattr(exc, "wait", None):
            headers["Retry-After"] = str(int(wait))
        detail = exc.detail if isinstance(exc.detail, str) else _flatten(exc.detail)
        message = detail if isinstance(detail, str) else "request refused"
        return Response({"message": str(message), "errors": {}}, status=exc.status_code, headers=headers)
    reference = uuid.uuid4().hex[:12]
    logger.exception("unexpected error in the API (reference %s)", reference)
    return Response(
        {"message": f"internal error; the server log has the details under reference {reference}", "errors": {}},
        status=status.HTTP_500_INTERNAL_SERVER_ERROR,
    )

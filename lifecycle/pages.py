"""What the page views of every app share: how our errors become the page's answer."""

from collections.abc import Callable
from typing import Any, TypeVar

from django.http import Http404

from lifecycle.errors import NotFound

T = TypeVar("T")


def found_or_404(lookup: Callable[..., T], /, **kwargs: Any) -> T:
    """``lookup(**kwargs)`` (a selector or a service); when it raises NotFound, the 404 page with its message."""
    try:
        return lookup(**kwargs)
    except NotFound as exc:
        raise Http404(exc.message) from None

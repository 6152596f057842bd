"""Which repository files the API's list shows (a FilterSet, as every filtered list has)."""

import django_filters

from lifecycle.engine.filters import OneOfFilter
from products.models import RepositoryFile
from products.types import product_type_codes


def _product_type_choices() -> list[tuple[str, str]]:
    return [(code, code) for code in product_type_codes()]


class RepositoryFileFilterSet(django_filters.FilterSet):
    productType = OneOfFilter(field_name="product_type", choices=_product_type_choices)  # noqa: N815
    status = OneOfFilter(choices=RepositoryFile.FileStatus.choices)
    kind = OneOfFilter(choices=RepositoryFile.Kind.choices)

    class Meta:
        model = RepositoryFile
        fields: list[str] = []

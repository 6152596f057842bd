"""Which tasks a list shows: one FilterSet that the task page and the API both parse their query with.

Also the filter every list uses for a closed set of values, so that a wrong value gets the same
answer everywhere: a 400 naming the field in the API, an error under the field on a page.
"""

from collections.abc import Iterable
from typing import Any, cast

import django_filters
from django import forms
from django_filters.fields import ChoiceField

from lifecycle.engine.models import Status, Task
from lifecycle.engine.operations import operation_names, operation_title


class OneOfField(ChoiceField):
    def validate(self, value):
        if value and not self.valid_value(value):
            allowed = [str(key) for key, _ in cast(Iterable[tuple[Any, Any]], self.choices) if key != ""]
            raise forms.ValidationError(f"must be one of {', '.join(allowed)}", code="invalid_choice")
        super().validate(value)


class OneOfFilter(django_filters.ChoiceFilter):
    """One value of a closed set; a wrong one is refused with the list of those allowed."""

    field_class = OneOfField


def _operation_choices() -> list[tuple[str, str]]:
    """The registered operations by title (registered at start-up, hence asked for on each use)."""
    return sorted(((name, operation_title(name)) for name in operation_names()), key=lambda choice: choice[1])


class TaskFilterSet(django_filters.FilterSet):
    status = OneOfFilter(choices=Status.choices, empty_label="Any status")
    operation = OneOfFilter(choices=_operation_choices, empty_label="Any operation")
    target = django_filters.CharFilter(field_name="target_name", lookup_expr="icontains", label="Target name")
    # The API's exact matches (the CLI and scripts know the whole name).
    targetType = django_filters.CharFilter(field_name="target_type", label="Target type")  # noqa: N815
    targetName = django_filters.CharFilter(field_name="target_name", label="Target name (whole)")  # noqa: N815

    class Meta:
        model = Task
        fields: list[str] = []

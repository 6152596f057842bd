"""Choices with a Bootstrap colour per value: every status badge and progress bar takes its colour from here."""

from django.db import models


class ColoredChoices(models.TextChoices):
    """TextChoices whose members are written ``NAME = "VALUE", "colour", "Label"``; ``member.color`` is the colour."""

    color: str

    def __new__(cls, value: str, color: str):
        member = str.__new__(cls, value)
        member._value_ = value
        member.color = color
        return member

    @classmethod
    def color_property(cls, field: str) -> property:
        """A model's property: the colour of the value in its `field` (``status_color = Status.color_property("status")``)."""
        colors = {member.value: member.color for member in cls}
        return property(lambda record: colors[getattr(record, field)])

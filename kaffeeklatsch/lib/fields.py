"""A model's own (concrete) fields by name, for code that writes columns itself.

``Options.get_field`` also answers with reverse relations and generic foreign keys,
which have no column, length or choices; asking through here states that a field of
the model's own table is meant, and fails loudly when a name is not one.
"""

from __future__ import annotations

from typing import Any

from django.db.models import Field, Model


def model_field(model: type[Model], name: str) -> Field[Any, Any]:
    """The field ``name`` of ``model``'s own table; TypeError for a reverse relation."""
    field = model._meta.get_field(name)
    if not isinstance(field, Field):
        raise TypeError(f"{model.__name__}.{name} is not a field of its table")
    return field


def max_length(model: type[Model], name: str) -> int:
    """The ``max_length`` of a text field; TypeError when it has none."""
    limit = model_field(model, name).max_length
    if limit is None:
        raise TypeError(f"{model.__name__}.{name} has no max_length")
    return limit

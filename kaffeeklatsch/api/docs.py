"""The REST API's documentation page, drawn on the server from the OpenAPI schema.

A page of the site's own layout rather than a bundled JavaScript viewer: it works
without scripts, passes the same accessibility checks as every other page, reads well
on a phone and speaks the reader's language where the schema does (its error
descriptions are translated). The machine-readable schema stays one link away.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import cache
from http import HTTPStatus
from typing import Any

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils.translation import get_language
from django.utils.translation import gettext as _
from drf_spectacular.generators import SchemaGenerator

METHODS = ("get", "post", "put", "patch", "delete")


@dataclass(frozen=True)
class Field:
    name: str
    kind: str
    required: bool
    description: str = ""


@dataclass
class Operation:
    method: str
    path: str
    description: str
    parameters: list[Field] = field(default_factory=list)
    body: list[Field] = field(default_factory=list)
    responses: list[tuple[str, str]] = field(default_factory=list)

    @property
    def anchor(self) -> str:
        return (
            "op-"
            + self.method.lower()
            + "-"
            + "".join(c if c.isalnum() else "-" for c in self.path).strip("-")
        )


@cache
def _schema(language: str | None) -> dict[str, Any]:
    """The schema in one language; it changes only with the code, so it is made once
    per language and process."""
    return SchemaGenerator().get_schema(request=None, public=True)


def _component(ref: str, schema: dict[str, Any]) -> dict[str, Any]:
    return schema["components"]["schemas"][ref.rsplit("/", 1)[1]]


def _kind(prop: dict[str, Any], schema: dict[str, Any]) -> str:
    """A short description of a value's type: "integer", "date", "one of: a, b"."""
    if "$ref" in prop:
        target = _component(prop["$ref"], schema)
        if "enum" in target:
            values = [str(v) for v in target["enum"] if v not in ("", None)]
            return _("one of: %(values)s") % {"values": ", ".join(values)}
        return _("object")
    for combined in ("allOf", "oneOf", "anyOf"):
        if combined in prop:
            kinds = [_kind(p, schema) for p in prop[combined] if p.get("type") != "null"]
            return " / ".join(dict.fromkeys(k for k in kinds if k))
    if prop.get("type") == "array":
        return _("list of %(kind)s") % {"kind": _kind(prop.get("items", {}), schema)}
    if "enum" in prop:
        values = [str(v) for v in prop["enum"] if v not in ("", None)]
        return _("one of: %(values)s") % {"values": ", ".join(values)}
    kind = str(prop.get("format") or prop.get("type") or "")
    return kind


def _body(operation: dict[str, Any], schema: dict[str, Any]) -> list[Field]:
    content = operation.get("requestBody", {}).get("content", {})
    body = content.get("application/json", {}).get("schema")
    if not body or "$ref" not in body:
        return []
    component = _component(body["$ref"], schema)
    required = set(component.get("required", []))
    return [
        Field(name, _kind(prop, schema), name in required, prop.get("description", ""))
        for name, prop in component.get("properties", {}).items()
        if not prop.get("readOnly")
    ]


def operations(schema: dict[str, Any]) -> list[Operation]:
    """Every operation of the schema, in the schema's order of paths."""
    found = []
    for path, item in schema["paths"].items():
        for method in METHODS:
            operation = item.get(method)
            if operation is None:
                continue
            parameters = [
                Field(
                    p["name"],
                    _kind(p.get("schema", {}), schema),
                    bool(p.get("required")),
                    p.get("description", ""),
                )
                for p in operation.get("parameters", [])
            ]
            responses = []
            for code, response in sorted(operation.get("responses", {}).items()):
                text = response.get("description") or ""
                if not text and code.isdigit():
                    text = _("Done.") if code.startswith("2") else HTTPStatus(int(code)).phrase
                responses.append((code, text))
            found.append(
                Operation(
                    method.upper(),
                    path,
                    operation.get("description", ""),
                    parameters,
                    _body(operation, schema),
                    responses,
                )
            )
    return found


def documentation(request: HttpRequest) -> HttpResponse:
    schema = _schema(get_language())
    return render(
        request,
        "api/docs.html",
        {
            "title": schema["info"]["title"],
            "version": schema["info"]["version"],
            "operations": operations(schema),
        },
    )

"""What the OpenAPI description adds to what drf-spectacular reads from the views:
the error answers every operation can give, and request bodies that allow no field
the server would refuse.

The answers follow from the API's rules (:mod:`kaffeeklatsch.api.auth`,
:mod:`kaffeeklatsch.api.views`), so they are added here in one place rather than on
every view:

* 401 to every operation: no token, a malformed, unknown or revoked one;
* 429 to every operation: the token's requests of the hour are used up;
* 403 to every change (not GET): a token that may only read;
* 404 to every operation with a path parameter (a programme not the token's, or
  nothing with that id in it) or with pages (a page that does not exist);
* 400 to every operation with a request body or query parameters to check.
"""

from __future__ import annotations

from typing import Any

from django.utils.translation import gettext_lazy as _

ERROR = "Error"
INVALID = "InvalidInput"
SAFE = {"get", "head", "options"}
METHODS = {"get", "post", "put", "patch", "delete", "head", "options"}


def _components() -> dict[str, Any]:
    return {
        ERROR: {
            "type": "object",
            "description": str(_("An error, in the language of the request.")),
            "properties": {"detail": {"type": "string"}},
            "required": ["detail"],
        },
        INVALID: {
            "type": "object",
            "description": str(
                _(
                    "What is wrong with the input: the messages for each field by its "
                    "name (non_field_errors for the whole body), or one detail when the "
                    "body is not JSON."
                )
            ),
            "additionalProperties": {"type": "array", "items": {"type": "string"}},
        },
    }


def _answer(description: Any, component: str) -> dict[str, Any]:
    return {
        "description": str(description),
        "content": {
            "application/json": {"schema": {"$ref": f"#/components/schemas/{component}"}}
        },
    }


def _errors(method: str, operation: dict[str, Any]) -> dict[str, dict[str, Any]]:
    parameters = operation.get("parameters", [])
    in_path = any(p.get("in") == "path" for p in parameters)
    paged = any(p.get("in") == "query" and p.get("name") == "page" for p in parameters)
    checked = any(p.get("in") == "query" and p.get("name") != "page" for p in parameters)
    answers = {
        "401": _answer(_("No token, or one that is not valid or was revoked."), ERROR),
        "429": _answer(_("Too many requests of this token in the last hour."), ERROR),
    }
    if method not in SAFE:
        answers["403"] = _answer(_("The token may only read."), ERROR)
    if in_path or paged:
        answers["404"] = _answer(
            _("Not found: not a programme of this token, nothing with this id in it, or no such page."),
            ERROR,
        )
    if "requestBody" in operation or checked:
        answers["400"] = {
            "description": str(_("Invalid input.")),
            "content": {
                "application/json": {
                    "schema": {
                        "anyOf": [
                            {"$ref": f"#/components/schemas/{INVALID}"},
                            {"$ref": f"#/components/schemas/{ERROR}"},
                        ]
                    }
                }
            },
        }
    return answers


def document_errors(result: dict[str, Any], **kwargs: Any) -> dict[str, Any]:
    """A drf-spectacular postprocessing hook: adds the error answers and closes the
    request bodies to unknown fields (the server refuses them, see
    :func:`kaffeeklatsch.api.forms.form_data`)."""
    schemas = result.setdefault("components", {}).setdefault("schemas", {})
    schemas.update(_components())
    bodies: set[str] = set()
    for item in result.get("paths", {}).values():
        for method, operation in item.items():
            if method not in METHODS:
                continue
            responses = operation.setdefault("responses", {})
            for code, answer in _errors(method, operation).items():
                responses[code] = answer
            if "409" in responses and "content" not in responses["409"]:
                responses["409"] = _answer(responses["409"]["description"], ERROR)
            for media in operation.get("requestBody", {}).get("content", {}).values():
                ref = media.get("schema", {}).get("$ref", "")
                if ref:
                    bodies.add(ref.rsplit("/", 1)[1])
    for name in bodies:
        schemas[name]["additionalProperties"] = False
    return result

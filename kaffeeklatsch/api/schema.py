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
* 400 to every operation: a body or query parameters it refuses (an unknown query
  parameter is refused everywhere).

A person's body also says which fields the form needs together (a phone to share,
without an e-mail address a phone or a note how to call).
"""

from __future__ import annotations

from typing import Any

from django.utils.translation import gettext_lazy as _

from kaffeeklatsch.participants.models import Participant

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


def _needs(*fields: str) -> dict[str, Any]:
    """One of ``fields`` sent, with more than blanks."""
    return {
        "anyOf": [
            {"required": [name], "properties": {name: {"type": "string", "pattern": r"\S"}}}
            for name in fields
        ]
    }


def _when(field: str, values: list[str]) -> dict[str, Any]:
    return {"required": [field], "properties": {field: {"enum": values}}}


def _implies(condition: dict[str, Any], then: dict[str, Any]) -> dict[str, Any]:
    """``condition`` → ``then`` in what OpenAPI 3.0 allows (no if/then there)."""
    return {"anyOf": [{"not": condition}, then]}


# What the people page's form asks of the fields sent together
# (kaffeeklatsch.participants.forms): a phone to share, and the address the person
# is reached by.
PERSON_RULES = [
    _implies(_when("shares", [Participant.Shares.PHONE, Participant.Shares.BOTH]),
             _needs("phone")),
    _implies(_when("reached_by", [Participant.ReachedBy.EMAIL]), _needs("email")),
    _implies(_when("reached_by", [Participant.ReachedBy.POST]), _needs("postal_address")),
    _implies(_when("reached_by", [Participant.ReachedBy.PHONE]), _needs("phone", "phone_note")),
]  # fmt: skip
# A new person sent without saying how they are reached is reached by e-mail if an
# address is given, else by phone.
NEW_PERSON_RULES = [
    *PERSON_RULES,
    _implies(
        {"not": {"anyOf": [{"required": ["reached_by"]}, _needs("email")]}},
        _needs("phone", "phone_note"),
    ),
]
RULES = {"PersonInputRequest": NEW_PERSON_RULES, "PatchedPersonInputRequest": PERSON_RULES}


def _answer(description: Any, component: str) -> dict[str, Any]:
    return {
        "description": str(description),
        "content": {"application/json": {"schema": {"$ref": f"#/components/schemas/{component}"}}},
    }


def _errors(method: str, operation: dict[str, Any]) -> dict[str, dict[str, Any]]:
    parameters = operation.get("parameters", [])
    in_path = any(p.get("in") == "path" for p in parameters)
    paged = any(p.get("in") == "query" and p.get("name") == "page" for p in parameters)
    answers = {
        "401": _answer(_("No token, or one that is not valid or was revoked."), ERROR),
        "429": _answer(_("Too many requests of this token in the last hour."), ERROR),
    }
    if method not in SAFE:
        answers["403"] = _answer(_("The token may only read."), ERROR)
    if in_path or paged:
        answers["404"] = _answer(
            _(
                "Not found: not a programme of this token, nothing with this id in it, "
                "or no such page."
            ),
            ERROR,
        )
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
        if name in RULES:
            schemas[name]["allOf"] = RULES[name]
    return result

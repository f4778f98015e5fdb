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

A new person's body also says which fields the form needs together (a phone to
share, without an e-mail address a phone or a note how to call). Query parameters but
``page`` may be sent empty, which the views read as left out.
"""

from __future__ import annotations

from typing import Any

from django.utils.translation import gettext_lazy as _

from kaffeeklatsch.matching import text
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


# A character the forms do not strip (Python's whitespace, written for the ECMA
# regular expressions of JSON Schema, whose \s differs) and do not refuse (NUL).
NOT_BLANK = r"[^\x00\t-\r\x1c-\x20\x85\xa0\u1680\u2000-\u200a\u2028\u2029\u202f\u205f\u3000]"
# A text of more than blanks, without NUL (which every text field of a form refuses).
FILLED = rf"^[^\x00]*{NOT_BLANK}[^\x00]*$"
NO_NUL = r"^[^\x00]*$"
# The texts of several lines; every other text of a body is one line (see
# kaffeeklatsch/matching/text.py: no controls, line breaks or invisible format characters).
MULTI_LINE = frozenset({"postal_address"})
_BLANKS = r"\x20\xa0\u1680\u2000-\u200a\u202f\u205f\u3000"


def _one_line(filled: bool) -> str:
    """The pattern of a one-line text; ``filled``: of more than blanks."""
    forbidden = text.forbidden_class()
    if filled:
        return rf"^[^{forbidden}]*[^{forbidden}{_BLANKS}][^{forbidden}]*$"
    return rf"^[^{forbidden}]*$"


def _needs(*fields: str) -> dict[str, Any]:
    """One of ``fields`` sent, with more than blanks."""
    return {
        "anyOf": [
            {"required": [name], "properties": {name: {"type": "string", "pattern": NOT_BLANK}}}
            for name in fields
        ]
    }


def _when(field: str, values: list[str]) -> dict[str, Any]:
    return {"required": [field], "properties": {field: {"enum": values}}}


def _implies(condition: dict[str, Any], then: dict[str, Any]) -> dict[str, Any]:
    """``condition`` → ``then`` in what OpenAPI 3.0 allows (no if/then there)."""
    return {"anyOf": [{"not": condition}, then]}


# What the people page's form asks of the fields together
# (kaffeeklatsch.participants.forms): a phone to share, and the address the person
# is reached by.
NEEDS = [
    (_when("shares", [Participant.Shares.PHONE, Participant.Shares.BOTH]), ["phone"]),
    (_when("reached_by", [Participant.ReachedBy.EMAIL]), ["email"]),
    (_when("reached_by", [Participant.ReachedBy.POST]), ["postal_address"]),
    (_when("reached_by", [Participant.ReachedBy.PHONE]), ["phone", "phone_note"]),
]
# A new person sent without saying how they are reached is reached by e-mail if an
# address is given, else by phone.
NEW_PERSON_RULES = [
    *(_implies(condition, _needs(*fields)) for condition, fields in NEEDS),
    _implies(
        {"not": {"anyOf": [{"required": ["reached_by"]}, _needs("email")]}},
        _needs("phone", "phone_note"),
    ),
]
# A change is checked together with what is stored (reached by post needs a postal
# address, sent now or stored before), which a description of the body cannot say
# (the operation's description says it); it says what the body alone decides: the
# fields a rule needs, when all of them are sent, are not all empty.
CHANGE_RULES = [
    _implies({"allOf": [condition, {"required": fields}]}, _needs(*fields))
    for condition, fields in NEEDS
]
RULES = {"PersonInputRequest": NEW_PERSON_RULES, "PatchedPersonInputRequest": CHANGE_RULES}


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


def _texts(field: dict[str, Any], name: str) -> None:
    """Texts of a body as the forms take them (enums have none): one line, except the
    postal address, which is any text without NUL."""
    for alternative in field.get("oneOf", []) + field.get("anyOf", []):
        _texts(alternative, name)
    if field.get("type") == "array":
        _texts(field.get("items", {}), name)
    elif field.get("type") == "string" and "enum" not in field:
        if name in MULTI_LINE:
            field.setdefault("pattern", NO_NUL)
        else:
            field["pattern"] = _one_line(filled=field.get("pattern") == FILLED)


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
            for parameter in operation.get("parameters", []):
                if parameter.get("in") == "query" and parameter.get("name") != "page":
                    # The views read an empty value as a parameter left out.
                    parameter["allowEmptyValue"] = True
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
        for field_name, field in schemas[name].get("properties", {}).items():
            _texts(field, field_name)
        if name in RULES:
            schemas[name]["allOf"] = RULES[name]
    return result

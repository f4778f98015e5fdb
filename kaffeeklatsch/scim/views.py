"""The SCIM 2.0 endpoint of a programme (RFC 7644), authenticated by its bearer token.

Payloads are parsed, validated and serialised by ``scim2-models``; what the
resources mean for the programme's people is in :mod:`kaffeeklatsch.scim.provisioning`.
Every refusal is a SCIM error message (RFC 7644 §3.12) and changes nothing.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from functools import wraps
from typing import Any

import pydantic
from django.core.exceptions import RequestDataTooBig
from django.db import IntegrityError, transaction
from django.db.models import Q, QuerySet
from django.http import HttpRequest, HttpResponse
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.csrf import csrf_exempt
from scim2_models import (
    Context,
    Error,
    InvalidFilterException,
    InvalidSyntaxException,
    InvalidValueException,
    ListResponse,
    Meta,
    NotFoundException,
    PatchOp,
    ResourceType,
    ResponseParameters,
    Schema,
    SCIMException,
    SearchRequest,
)
from scim2_models.path import CompareOperator, FilterVisitor, LogicalOperator

from kaffeeklatsch.front import bearer
from kaffeeklatsch.participants.models import Participant
from kaffeeklatsch.scim import provisioning, schema
from kaffeeklatsch.scim.models import ProvisionedGroup, ProvisionedUser, ScimConnection

SCIM_JSON = "application/scim+json"

USER_SCHEMA = str(schema.UserModel.__schema__)
GROUP_SCHEMA = str(schema.GroupModel.__schema__)


def _json(payload: dict[str, Any], status: int = 200, location: str = "") -> HttpResponse:
    response = HttpResponse(json.dumps(payload), status=status, content_type=SCIM_JSON)
    if location:
        response["Location"] = location
    return response


def _error(status: int, detail: str, scim_type: str | None = None) -> HttpResponse:
    error = Error(status=status, scim_type=scim_type or None, detail=detail)
    response = _json(error.model_dump(scim_ctx=Context.RESOURCE_QUERY_RESPONSE), status)
    if status == 401:
        response["WWW-Authenticate"] = 'Bearer realm="Kaffeeklatsch SCIM"'
    return response


def _refused(reason: str) -> str:
    return _("Kaffeeklatsch refused the request: %(reason)s") % {"reason": reason}


def _validation_text(exc: pydantic.ValidationError) -> str:
    """The first problem of a resource the models refused, in the reader's language
    for the kinds identity systems send most; otherwise empty (the models' English
    text is used)."""
    problems = exc.errors()
    if not problems:
        return ""
    problem = problems[0]
    name = ".".join(str(part) for part in problem.get("loc", ()) if not isinstance(part, int))
    kind = problem.get("type", "")
    if kind == "extra_forbidden":
        return _("The attribute %(name)s is not known.") % {"name": name}
    if kind == "missing":
        return _("The attribute %(name)s is required.") % {"name": name}
    if kind.endswith(("_type", "_parsing")) or kind in ("value_error", "literal_error"):
        return _("The value of %(name)s is not valid.") % {"name": name}
    return ""


def _authenticated(request: HttpRequest, programme_id: int) -> ScimConnection | HttpResponse:
    scheme, _space, token = request.headers.get("Authorization", "").partition(" ")
    token = token.strip()
    if scheme.lower() != "bearer" or not token:
        return _error(401, _("A bearer token is required (Authorization: Bearer …)."))
    connection = (
        ScimConnection.objects.select_related("programme").filter(programme_id=programme_id).first()
    )
    if connection is None or not connection.accepts(token):
        return _error(401, _("This token does not open the SCIM endpoint of this programme."))
    bearer.note_use(connection)
    return connection


ScimView = Callable[..., HttpResponse]


def scim_view(*methods: str) -> Callable[[ScimView], ScimView]:
    """A SCIM endpoint: authenticates the token of the programme in the URL, allows
    ``methods``, and answers every refusal as a SCIM error."""

    def decorate(view: ScimView) -> ScimView:
        @csrf_exempt
        @wraps(view)
        def wrapper(
            request: HttpRequest, programme_id: int, *args: Any, **kwargs: Any
        ) -> HttpResponse:
            connection = _authenticated(request, programme_id)
            if isinstance(connection, HttpResponse):
                return connection
            if request.method not in methods:
                response = _error(
                    405,
                    _refused(_("%(method)s is not allowed here.") % {"method": request.method}),
                )
                response["Allow"] = ", ".join(methods)
                return response
            try:
                # One transaction: a request refused half-way leaves everything as it was.
                with schema.POLICY, transaction.atomic():
                    return view(request, connection, *args, **kwargs)
            except SCIMException as exc:
                return _error(exc.status, _refused(exc.detail), exc.scim_type)
            except pydantic.ValidationError as exc:
                first = Error.from_validation_errors(exc)[0]
                reason = _validation_text(exc) or first.detail or ""
                return _error(first.status or 400, _refused(reason), first.scim_type)
            except RequestDataTooBig:
                return _error(413, _refused(_("The request is too large.")))
            except IntegrityError:
                # Two requests at once for the same userName or e-mail address: the
                # later one is refused as SCIM says, and changed nothing.
                return _error(
                    409,
                    _refused(_("Another request changed this resource at the same time.")),
                    "uniqueness",
                )

        return wrapper

    return decorate


def _body(request: HttpRequest, *schemas: str) -> dict[str, Any]:
    """The JSON object of the request, which must name the first of ``schemas`` and
    may name the others."""
    try:
        payload = json.loads(request.body or b"")
    except (ValueError, UnicodeDecodeError):
        raise InvalidSyntaxException(detail=_("The request body is not valid JSON.")) from None
    if not isinstance(payload, dict):
        raise InvalidSyntaxException(detail=_("The request body must be a JSON object."))
    named = payload.get("schemas")
    if schemas:
        if not isinstance(named, list) or schemas[0] not in named:
            raise InvalidSyntaxException(
                detail=_("The request must name the schema %(schema)s.") % {"schema": schemas[0]}
            )
        unknown = [s for s in named if s not in schemas]
        if unknown:
            raise InvalidSyntaxException(
                detail=_("The schema %(schema)s is not supported here.") % {"schema": unknown[0]}
            )
    return payload


def _patch_body(request: HttpRequest) -> dict[str, Any]:
    """The PatchOp of the request. A sub-attribute given as null in a list of values
    is unassigned (RFC 7643 §2.5), so it is left out: Entra ID removes members as
    ``{"$ref": null, "value": id}``, which must match the member whatever its $ref."""
    payload = _body(request, str(PatchOp.__schema__))
    for operation in payload.get("Operations") or []:
        value = operation.get("value") if isinstance(operation, dict) else None
        if isinstance(value, list):
            operation["value"] = [
                {k: v for k, v in item.items() if v is not None} if isinstance(item, dict) else item
                for item in value
            ]
    return payload


def _base(request: HttpRequest, connection: ScimConnection) -> str:
    return request.build_absolute_uri(reverse("scim:root", args=[connection.programme_id]))


def _response_parameters(request: HttpRequest) -> ResponseParameters[Any]:
    given = {
        key: request.GET[key] for key in ("attributes", "excludedAttributes") if key in request.GET
    }
    return ResponseParameters.model_validate(given)


def _meta(kind: str, obj: Any, location: str) -> dict[str, Any]:
    return {
        "resourceType": kind,
        "created": obj.created_at.isoformat(),
        "lastModified": obj.updated_at.isoformat(),
        "location": location,
    }


# ---------------------------------------------------------------------------
# Filters: the few comparisons identity systems send, answered by the database.


class _FilterToQ(FilterVisitor[Q]):
    def __init__(self, fields: dict[str, Callable[[Any], Q]]):
        self.fields = fields

    def _unsupported(self) -> InvalidFilterException:
        return InvalidFilterException(
            detail=_("Only eq comparisons of %(attributes)s, joined by and/or, are supported.")
            % {"attributes": ", ".join(self.fields)}
        )

    def visit_comparison(self, node: Any) -> Q:
        key = str(node.attr_path.attr)
        if node.attr_path.sub_attr:
            key += "." + node.attr_path.sub_attr
        field = {name.lower(): make for name, make in self.fields.items()}.get(key.lower())
        if field is None or node.op != CompareOperator.eq:
            raise self._unsupported()
        return field(node.value)

    def visit_logical_expr(self, node: Any) -> Q:
        terms = [self.visit(term) for term in node.terms]
        combined = terms[0]
        for term in terms[1:]:
            combined = combined & term if node.op == LogicalOperator.and_ else combined | term
        return combined

    def visit_not(self, node: Any) -> Q:
        return ~self.visit(node.expr)

    def visit_present(self, node: Any) -> Q:
        raise self._unsupported()

    def visit_value_path(self, node: Any) -> Q:
        raise self._unsupported()


def _by_id(value: Any) -> Q:
    ids = provisioning.uuids([str(value)])
    return Q(scim_id__in=ids) if ids else Q(pk__in=[])


USER_FILTERS: dict[str, Callable[[Any], Q]] = {
    "userName": lambda v: Q(user_name__iexact=str(v)),
    "externalId": lambda v: Q(resource__externalId=v),
    "id": _by_id,
    "emails.value": lambda v: Q(participant__email__iexact=str(v)),
    "displayName": lambda v: Q(resource__displayName__iexact=str(v)),
}
GROUP_FILTERS: dict[str, Callable[[Any], Q]] = {
    "displayName": lambda v: Q(display_name__iexact=str(v)),
    "externalId": lambda v: Q(external_id=str(v)),
    "id": _by_id,
}


def _list(
    request: HttpRequest,
    search: SearchRequest,
    rows: QuerySet[Any],
    filters: dict[str, Callable[[Any], Q]],
    to_model: Callable[[Any], Any],
    model: type[Any],
) -> HttpResponse:
    if search.filter is not None:
        rows = rows.filter(_FilterToQ(filters).visit(search.filter.ast))
    total = rows.count()
    count = schema.MAX_RESULTS if search.count is None else min(search.count, schema.MAX_RESULTS)
    start = search.start_index_0 or 0
    page = [to_model(row) for row in rows.order_by("created_at", "pk")[start : start + count]]
    listing = ListResponse[model](  # type: ignore[valid-type]
        total_results=total,
        start_index=start + 1,
        items_per_page=len(page),
        resources=page,
    )
    return _json(listing.model_dump(scim_ctx=Context.SEARCH_RESPONSE, response_parameters=search))


def _search_from_query(request: HttpRequest) -> SearchRequest:
    keys = ("filter", "startIndex", "count", "attributes", "excludedAttributes")
    given = {key: request.GET[key] for key in keys if key in request.GET}
    return SearchRequest.model_validate(given, scim_ctx=Context.SEARCH_REQUEST)


def _search_from_body(request: HttpRequest) -> SearchRequest:
    payload = _body(request, str(SearchRequest.__schema__))
    return SearchRequest.model_validate(payload, scim_ctx=Context.SEARCH_REQUEST)


# ---------------------------------------------------------------------------
# Users


def _user_rows(connection: ScimConnection) -> QuerySet[ProvisionedUser]:
    return connection.users.filter(deleted=False).select_related("participant")


def _user_model(request: HttpRequest, user: ProvisionedUser) -> Any:
    data = dict(user.resource)
    data["schemas"] = [USER_SCHEMA] + ([schema.ENTERPRISE] if schema.ENTERPRISE in data else [])
    data["id"] = str(user.scim_id)
    # Whether the person takes part; said when the identity system said it, or when
    # they left (through the identity system or by themselves).
    if user.participant.status == Participant.Status.LEFT:
        data["active"] = False
    elif "active" in data:
        data["active"] = True
    location = _base(request, user.connection) + f"/Users/{user.scim_id}"
    data["meta"] = _meta("User", user, location)
    return schema.UserModel.model_validate(data)


def _stored_user(model: Any) -> dict[str, Any]:
    dump = model.model_dump(scim_ctx=Context.DEFAULT)
    stored = schema.kept(dump, schema.USER_ATTRIBUTES)
    enterprise = schema.kept(dump.get(schema.ENTERPRISE) or {}, schema.ENTERPRISE_ATTRIBUTES)
    if enterprise:
        stored[schema.ENTERPRISE] = enterprise
    return stored


def _user(connection: ScimConnection, user_id: str, lock: bool) -> ProvisionedUser:
    rows = _user_rows(connection).filter(_by_id(user_id))
    # Changes to one User are made one after the other.
    found = (rows.select_for_update(of=("self",)) if lock else rows).first()
    if found is None:
        raise NotFoundException(detail=_("There is no user with the id %(id)s.") % {"id": user_id})
    found.connection = connection
    return found


def _user_response(
    request: HttpRequest, user: ProvisionedUser, ctx: Context, status: int = 200
) -> HttpResponse:
    model = _user_model(request, user)
    body = model.model_dump(scim_ctx=ctx, response_parameters=_response_parameters(request))
    return _json(body, status, location=model.meta.location if status == 201 else "")


@scim_view("GET", "POST")
def users(request: HttpRequest, connection: ScimConnection) -> HttpResponse:
    if request.method == "POST":
        payload = _body(request, USER_SCHEMA, schema.ENTERPRISE)
        model = schema.UserModel.model_validate(payload, scim_ctx=Context.RESOURCE_CREATION_REQUEST)
        user = provisioning.create_user(connection, _stored_user(model))
        return _user_response(request, user, Context.RESOURCE_CREATION_RESPONSE, 201)
    return _list_users(request, connection, _search_from_query(request))


def _list_users(
    request: HttpRequest, connection: ScimConnection, search: SearchRequest
) -> HttpResponse:
    return _list(
        request,
        search,
        _user_rows(connection),
        USER_FILTERS,
        lambda row: _user_model(request, _with(row, connection)),
        schema.UserModel,
    )


def _with(row: Any, connection: ScimConnection) -> Any:
    row.connection = connection
    return row


@scim_view("POST")
def users_search(request: HttpRequest, connection: ScimConnection) -> HttpResponse:
    return _list_users(request, connection, _search_from_body(request))


@scim_view("GET", "PUT", "PATCH", "DELETE")
def user(request: HttpRequest, connection: ScimConnection, resource_id: str) -> HttpResponse:
    found = _user(connection, resource_id, lock=request.method != "GET")
    if request.method == "GET":
        return _user_response(request, found, Context.RESOURCE_QUERY_RESPONSE)
    if request.method == "DELETE":
        provisioning.delete_user(found)
        return HttpResponse(status=204)
    current = _user_model(request, found)
    if request.method == "PUT":
        payload = _body(request, USER_SCHEMA, schema.ENTERPRISE)
        model = schema.UserModel.model_validate(
            payload, scim_ctx=Context.RESOURCE_REPLACEMENT_REQUEST
        )
        model.replace(current)
        provisioning.update_user(found, _stored_user(model))
        return _user_response(request, found, Context.RESOURCE_REPLACEMENT_RESPONSE)
    payload = _patch_body(request)
    patch = PatchOp[schema.UserModel].model_validate(
        payload, scim_ctx=Context.RESOURCE_PATCH_REQUEST
    )
    patch.patch(current)
    provisioning.update_user(found, _stored_user(current))
    return _user_response(request, found, Context.RESOURCE_PATCH_RESPONSE)


# ---------------------------------------------------------------------------
# Groups


def _group_rows(connection: ScimConnection) -> QuerySet[ProvisionedGroup]:
    return connection.groups.all()


def _group_model(request: HttpRequest, group: ProvisionedGroup, members: bool = True) -> Any:
    base = _base(request, group.connection)
    data: dict[str, Any] = {
        "schemas": [GROUP_SCHEMA],
        "id": str(group.scim_id),
        "displayName": group.display_name,
        "meta": _meta("Group", group, base + f"/Groups/{group.scim_id}"),
    }
    if group.external_id:
        data["externalId"] = group.external_id
    if members:
        ids = group.members.filter(deleted=False).values_list("scim_id", flat=True)
        listed = [{"value": str(pk), "$ref": base + f"/Users/{pk}", "type": "User"} for pk in ids]
        if listed:
            data["members"] = listed
    return schema.GroupModel.model_validate(data)


def _wants_members(request: HttpRequest) -> bool:
    """Entra ID lists groups without their members; reading them is then skipped."""
    excluded = request.GET.get("excludedAttributes", "").lower().split(",")
    return "members" not in [name.strip() for name in excluded]


def _member_ids(model: Any) -> list[str]:
    ids = []
    for member in model.members or []:
        if member.type not in (None, "User"):
            raise InvalidValueException(
                detail=_("Only users can be members of a group here, not %(type)s.")
                % {"type": member.type}
            )
        if not member.value:
            raise InvalidValueException(detail=_("A member needs the id of a user as value."))
        ids.append(str(member.value))
    return ids


def _group(connection: ScimConnection, group_id: str, lock: bool) -> ProvisionedGroup:
    rows = _group_rows(connection).filter(_by_id(group_id))
    found = (rows.select_for_update() if lock else rows).first()
    if found is None:
        raise NotFoundException(
            detail=_("There is no group with the id %(id)s.") % {"id": group_id}
        )
    found.connection = connection
    return found


def _group_response(
    request: HttpRequest, group: ProvisionedGroup, ctx: Context, status: int = 200
) -> HttpResponse:
    model = _group_model(request, group, _wants_members(request))
    body = model.model_dump(scim_ctx=ctx, response_parameters=_response_parameters(request))
    return _json(body, status, location=model.meta.location if status == 201 else "")


def _list_groups(
    request: HttpRequest, connection: ScimConnection, search: SearchRequest
) -> HttpResponse:
    members = _wants_members(request) and not any(
        str(a).lower() == "members" for a in search.excluded_attributes or []
    )
    return _list(
        request,
        search,
        _group_rows(connection),
        GROUP_FILTERS,
        lambda row: _group_model(request, _with(row, connection), members),
        schema.GroupModel,
    )


@scim_view("GET", "POST")
def groups(request: HttpRequest, connection: ScimConnection) -> HttpResponse:
    if request.method == "POST":
        payload = _body(request, GROUP_SCHEMA)
        model = schema.GroupModel.model_validate(
            payload, scim_ctx=Context.RESOURCE_CREATION_REQUEST
        )
        group = provisioning.set_group(
            ProvisionedGroup(connection=connection),
            model.display_name or "",
            model.external_id or "",
            _member_ids(model),
        )
        return _group_response(request, group, Context.RESOURCE_CREATION_RESPONSE, 201)
    return _list_groups(request, connection, _search_from_query(request))


@scim_view("POST")
def groups_search(request: HttpRequest, connection: ScimConnection) -> HttpResponse:
    return _list_groups(request, connection, _search_from_body(request))


@scim_view("GET", "PUT", "PATCH", "DELETE")
def group(request: HttpRequest, connection: ScimConnection, resource_id: str) -> HttpResponse:
    found = _group(connection, resource_id, lock=request.method != "GET")
    if request.method == "GET":
        return _group_response(request, found, Context.RESOURCE_QUERY_RESPONSE)
    if request.method == "DELETE":
        provisioning.delete_group(found)
        return HttpResponse(status=204)
    current = _group_model(request, found)
    if request.method == "PUT":
        payload = _body(request, GROUP_SCHEMA)
        model = schema.GroupModel.model_validate(
            payload, scim_ctx=Context.RESOURCE_REPLACEMENT_REQUEST
        )
        model.replace(current)
        ctx = Context.RESOURCE_REPLACEMENT_RESPONSE
    else:
        payload = _patch_body(request)
        patch = PatchOp[schema.GroupModel].model_validate(
            payload, scim_ctx=Context.RESOURCE_PATCH_REQUEST
        )
        patch.patch(current)
        model, ctx = current, Context.RESOURCE_PATCH_RESPONSE
    provisioning.set_group(
        found, model.display_name or "", model.external_id or "", _member_ids(model)
    )
    found.refresh_from_db()
    found.connection = connection
    return _group_response(request, found, ctx)


# ---------------------------------------------------------------------------
# Discovery (RFC 7644 §4)


@scim_view("GET", "POST", "PUT", "PATCH", "DELETE")
def unknown(request: HttpRequest, connection: ScimConnection, rest: str) -> HttpResponse:
    raise NotFoundException(detail=_("There is nothing at this address."))


@scim_view("GET")
def root(request: HttpRequest, connection: ScimConnection) -> HttpResponse:
    raise NotFoundException(
        detail=_("This is the base address of the SCIM endpoint; use /Users or /Groups.")
    )


@scim_view("POST")
def root_search(request: HttpRequest, connection: ScimConnection) -> HttpResponse:
    """Users and Groups at once (RFC 7644 §3.4.3): Users first, then Groups. A filter
    naming an attribute one of them has no filter for matches none of that type."""
    search = _search_from_body(request)
    kinds = [
        (
            _user_rows(connection),
            USER_FILTERS,
            lambda row: _user_model(request, _with(row, connection)),
        ),
        (
            _group_rows(connection),
            GROUP_FILTERS,
            lambda row: _group_model(request, _with(row, connection)),
        ),
    ]
    selected = []
    refusal: InvalidFilterException | None = None
    for rows, filters, to_model in kinds:
        if search.filter is not None:
            try:
                rows = rows.filter(_FilterToQ(filters).visit(search.filter.ast))
            except InvalidFilterException as exc:
                refusal = exc
                continue
        selected.append((rows.order_by("created_at", "pk"), to_model))
    if not selected and refusal is not None:
        raise refusal
    counts = [rows.count() for rows, _to_model in selected]
    count = schema.MAX_RESULTS if search.count is None else min(search.count, schema.MAX_RESULTS)
    start = skip = search.start_index_0 or 0
    page: list[Any] = []
    for (rows, to_model), total in zip(selected, counts, strict=True):
        wanted = count - len(page)
        if skip >= total:
            skip -= total
            continue
        if wanted > 0:
            page.extend(to_model(row) for row in rows[skip : skip + wanted])
        skip = 0
    listing = ListResponse[schema.UserModel | schema.GroupModel](
        total_results=sum(counts),
        start_index=start + 1,
        items_per_page=len(page),
        resources=page,
    )
    return _json(listing.model_dump(scim_ctx=Context.SEARCH_RESPONSE, response_parameters=search))


@scim_view("GET")
def service_provider_config(request: HttpRequest, connection: ScimConnection) -> HttpResponse:
    config = schema.service_provider_config()
    config.meta = Meta(
        resource_type="ServiceProviderConfig",
        location=_base(request, connection) + "/ServiceProviderConfig",
    )
    return _json(config.model_dump(scim_ctx=Context.RESOURCE_QUERY_RESPONSE))


def _located(request: HttpRequest, connection: ScimConnection, obj: Any, kind: str) -> Any:
    obj = obj.model_copy(deep=True)
    plural = "ResourceTypes" if kind == "ResourceType" else "Schemas"
    obj.meta = {
        "resourceType": kind,
        "location": _base(request, connection) + f"/{plural}/{obj.id}",
    }
    return obj


def _discovery_list(
    request: HttpRequest, connection: ScimConnection, items: list[Any], kind: str, model: Any
) -> HttpResponse:
    located = [_located(request, connection, item, kind) for item in items]
    listing = ListResponse[model](
        total_results=len(located),
        start_index=1,
        items_per_page=len(located),
        resources=located,
    )
    return _json(listing.model_dump(scim_ctx=Context.SEARCH_RESPONSE))


def _discovery_one(
    request: HttpRequest, connection: ScimConnection, items: list[Any], kind: str, key: str
) -> HttpResponse:
    for item in items:
        if str(item.id).lower() == key.lower():
            found = _located(request, connection, item, kind)
            return _json(found.model_dump(scim_ctx=Context.RESOURCE_QUERY_RESPONSE))
    raise NotFoundException(detail=_("There is no %(kind)s %(id)s.") % {"kind": kind, "id": key})


@scim_view("GET")
def resource_types(request: HttpRequest, connection: ScimConnection) -> HttpResponse:
    return _discovery_list(
        request, connection, schema.resource_types(), "ResourceType", ResourceType
    )


@scim_view("GET")
def resource_type(request: HttpRequest, connection: ScimConnection, key: str) -> HttpResponse:
    return _discovery_one(request, connection, schema.resource_types(), "ResourceType", key)


@scim_view("GET")
def schemas(request: HttpRequest, connection: ScimConnection) -> HttpResponse:
    return _discovery_list(request, connection, schema.schemas(), "Schema", Schema)


@scim_view("GET")
def schema_detail(request: HttpRequest, connection: ScimConnection, key: str) -> HttpResponse:
    return _discovery_one(request, connection, schema.schemas(), "Schema", key)

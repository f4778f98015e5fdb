"""What the SCIM endpoint serves: its resources, their attributes and its capabilities.

Requests are read with the full standard models of ``scim2-models`` (so an attribute
of the standard User schema that Kaffeeklatsch does not keep, such as a phone number
Entra ID sends, is accepted and dropped, while an attribute no schema defines is
refused). The schemas the endpoint publishes name only the attributes it keeps.
"""

from __future__ import annotations

from typing import Any

from scim2_models import (
    AuthenticationScheme,
    Bulk,
    ChangePassword,
    EnterpriseUser,
    ETag,
    Filter,
    Group,
    Pagination,
    Patch,
    ResourceType,
    Schema,
    ScimPolicy,
    ServiceProviderConfig,
    Sort,
    User,
)

UserModel = User[EnterpriseUser]
GroupModel = Group

ENTERPRISE = str(EnterpriseUser.__schema__)

# The attributes kept, with the sub-attributes kept of the complex ones.
USER_ATTRIBUTES: dict[str, set[str] | None] = {
    "userName": None,
    "externalId": None,
    "name": {"formatted", "familyName", "givenName"},
    "displayName": None,
    "title": None,
    "active": None,
    "emails": {"value", "type", "primary"},
}
ENTERPRISE_ATTRIBUTES: dict[str, set[str] | None] = {"department": None, "organization": None}
GROUP_ATTRIBUTES: dict[str, set[str] | None] = {
    "displayName": None,
    "members": {"value", "$ref", "type"},
}

MAX_RESULTS = 200

# Microsoft Entra ID departs from RFC 7644 in two documented ways this endpoint
# tolerates: a ``remove`` naming the value to remove in ``value`` (group members),
# and ``replace`` on ``emails[type eq "work"].value`` before any e-mail exists.
POLICY = ScimPolicy(
    remove_value_as_filter=ScimPolicy.RemoveValue.apply,
    unmatched_path_filter=ScimPolicy.UnmatchedPathFilter.create,
)


def _reduced(schema: Schema, keep: dict[str, set[str] | None]) -> Schema:
    attributes = []
    for attribute in schema.attributes or []:
        if attribute.name not in keep:
            continue
        subs = keep[attribute.name]
        if subs is not None:
            attribute = attribute.model_copy(
                update={
                    "sub_attributes": [
                        sub for sub in attribute.sub_attributes or [] if sub.name in subs
                    ]
                }
            )
        attributes.append(attribute)
    return schema.model_copy(update={"attributes": attributes})


def schemas() -> list[Schema]:
    return [
        _reduced(User.to_schema(), USER_ATTRIBUTES),
        _reduced(EnterpriseUser.to_schema(), ENTERPRISE_ATTRIBUTES),
        _reduced(Group.to_schema(), GROUP_ATTRIBUTES),
        Schema.to_schema(),
        ResourceType.to_schema(),
        ServiceProviderConfig.to_schema(),
    ]


def resource_types() -> list[ResourceType]:
    return [ResourceType.from_resource(UserModel), ResourceType.from_resource(GroupModel)]


def service_provider_config() -> ServiceProviderConfig:
    return ServiceProviderConfig(
        patch=Patch(supported=True),
        bulk=Bulk(supported=False, max_operations=0, max_payload_size=0),
        filter=Filter(supported=True, max_results=MAX_RESULTS),
        change_password=ChangePassword(supported=False),
        sort=Sort(supported=False),
        etag=ETag(supported=False),
        pagination=Pagination(
            index=True, cursor=False, default_page_size=100, max_page_size=MAX_RESULTS
        ),
        authentication_schemes=[
            AuthenticationScheme(
                type=AuthenticationScheme.Type.oauthbearertoken,
                name="Bearer token",
                description="The token made on the programme's SCIM page.",
                primary=True,
            )
        ],
    )


def kept(payload: dict[str, Any], keep: dict[str, set[str] | None]) -> dict[str, Any]:
    """The attributes of ``payload`` (a dump of a resource or an extension) that
    Kaffeeklatsch keeps."""
    result: dict[str, Any] = {}
    for name, subs in keep.items():
        if name not in payload:
            continue
        value = payload[name]
        if subs is not None:
            if isinstance(value, list):
                value = [{k: v for k, v in item.items() if k in subs} for item in value]
            elif isinstance(value, dict):
                value = {k: v for k, v in value.items() if k in subs}
        result[name] = value
    return result

from django.urls import path

from kaffeeklatsch.scim import pages, views

app_name = "scim"
# SCIM clients append the resource paths to the base address without a slash.
base = "scim/v2/<int:programme_id>"
urlpatterns = [
    path(base, views.root, name="root"),
    path(base + "/.search", views.root_search, name="search"),
    path(base + "/ServiceProviderConfig", views.service_provider_config, name="config"),
    path(base + "/ResourceTypes", views.resource_types, name="resource_types"),
    path(base + "/ResourceTypes/<str:key>", views.resource_type, name="resource_type"),
    path(base + "/Schemas", views.schemas, name="schemas"),
    path(base + "/Schemas/<str:key>", views.schema_detail, name="schema"),
    path(base + "/Users", views.users, name="users"),
    path(base + "/Users/.search", views.users_search, name="users_search"),
    path(base + "/Users/<str:resource_id>", views.user, name="user"),
    path(base + "/Groups", views.groups, name="groups"),
    path(base + "/Groups/.search", views.groups_search, name="groups_search"),
    path(base + "/Groups/<str:resource_id>", views.group, name="group"),
    path(base + "/<path:rest>", views.unknown, name="unknown"),
    path("programmes/<int:programme_id>/connections/scim/", pages.settings, name="settings"),
]

from django.urls import path

from kaffeeklatsch.api import pages

app_name = "connections"
urlpatterns = [
    path("", pages.connections, name="overview"),
    path("tokens/<int:token_id>/revoke/", pages.revoke, name="revoke"),
]

from django.contrib import admin
from django.urls import include, path

from kaffeeklatsch.rounds import views as rounds_views

urlpatterns = [
    path("admin/", admin.site.urls),
    path("accounts/", include("kaffeeklatsch.accounts.urls")),
    path("programmes/", include("kaffeeklatsch.programmes.urls")),
    path("programmes/<int:programme_id>/rounds/", include("kaffeeklatsch.rounds.urls")),
    path("programmes/<int:programme_id>/insights/", include("kaffeeklatsch.insights.urls")),
    path("programmes/<int:programme_id>/downloads/", include("kaffeeklatsch.downloads.urls")),
    path("programmes/<int:programme_id>/connections/", include("kaffeeklatsch.api.page_urls")),
    path("api/v1/", include("kaffeeklatsch.api.urls")),
    path("sso/", include("kaffeeklatsch.sso.urls")),
    path("", include("kaffeeklatsch.reach.urls")),
    path("", include("kaffeeklatsch.scim.urls")),
    path("", include("kaffeeklatsch.participants.urls")),
    path("feedback/<str:token>/", rounds_views.feedback, name="rounds_feedback"),
    path("", include("kaffeeklatsch.front.urls")),
]

# Our own pages for errors, in the site's layout and the reader's language.
handler400 = "kaffeeklatsch.front.errors.bad_request"
handler403 = "kaffeeklatsch.front.errors.permission_denied"
handler404 = "kaffeeklatsch.front.errors.page_not_found"
handler500 = "kaffeeklatsch.front.errors.server_error"

from django.urls import path

from kaffeeklatsch.participants import views

app_name = "participants"
urlpatterns = [
    path("join/<str:token>/", views.join, name="join"),
    path("join/<str:token>/thanks/", views.joined, name="joined"),
    path("confirm/<str:token>/", views.confirm, name="confirm"),
    path("sign-in/<str:token>/", views.sign_in, name="sign_in"),
    path("sign-in/", views.request_link, name="request_link"),
    path("unsubscribe/<str:token>/", views.unsubscribe, name="unsubscribe"),
    path("me/", views.me, name="me"),
    path("me/profile/", views.edit_profile, name="edit_profile"),
    path("me/step/", views.profile_step, name="step"),
    path("me/pause/", views.pause, name="pause"),
    path("me/block/", views.block, name="block"),
    path("me/unblock/<int:other_id>/", views.unblock, name="unblock"),
    path("me/leave/", views.leave, name="leave"),
    path("me/rejoin/", views.rejoin, name="rejoin"),
    path("me/export/", views.export, name="export"),
    path("me/export/readable/", views.export_readable, name="export_readable"),
    path("me/erase/", views.erase, name="erase"),
    path("me/sign-out/", views.sign_out, name="sign_out"),
    path("programmes/<int:programme_id>/people/", views.participant_list, name="list"),
    path("programmes/<int:programme_id>/people/add/", views.participant_add, name="add"),
    path(
        "programmes/<int:programme_id>/people/<int:participant_id>/",
        views.participant_edit,
        name="edit",
    ),
    path(
        "programmes/<int:programme_id>/people/<int:participant_id>/remove/",
        views.participant_remove,
        name="remove",
    ),
    path("programmes/<int:programme_id>/people/import/", views.participant_import, name="import"),
    path(
        "programmes/<int:programme_id>/people/import/example.csv",
        views.participant_import_example,
        name="import_example",
    ),
    path(
        "programmes/<int:programme_id>/people/import/preview/",
        views.participant_import_preview,
        name="import_preview",
    ),
]

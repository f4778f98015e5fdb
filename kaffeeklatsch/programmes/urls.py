from django.urls import path

from kaffeeklatsch.programmes import views

app_name = "programmes"
urlpatterns = [
    path("", views.programme_list, name="list"),
    path("new/", views.programme_create, name="create"),
    path("<int:programme_id>/", views.programme_detail, name="detail"),
    path("<int:programme_id>/edit/", views.programme_edit, name="edit"),
    path("<int:programme_id>/invitation/", views.new_invitation_link, name="new_invitation"),
    path("<int:programme_id>/organisers/", views.organisers, name="organisers"),
    path(
        "<int:programme_id>/organisers/invitations/<int:invitation_id>/withdraw/",
        views.withdraw_invitation,
        name="withdraw_invitation",
    ),
    path("invitations/<int:invitation_id>/", views.invitation, name="invitation"),
    path(
        "<int:programme_id>/organisers/<int:organiser_id>/remove/",
        views.remove_organiser,
        name="remove_organiser",
    ),
]

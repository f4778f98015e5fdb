from django.urls import path

from kaffeeklatsch.sso import views

app_name = "sso"
urlpatterns = [
    path("sign-in/", views.OrganiserStartView.as_view(), name="sign_in"),
    path("participants/sign-in/", views.ParticipantStartView.as_view(), name="participant_sign_in"),
    path("callback/", views.callback, name="callback"),
    path("participants/choose/", views.choose, name="choose"),
]

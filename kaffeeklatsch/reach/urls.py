from django.urls import path

from kaffeeklatsch.reach import views

app_name = "reach"
programme = "programmes/<int:programme_id>/"
rnd = programme + "rounds/<int:round_id>/"
urlpatterns = [
    path(programme + "reach/", views.reach_settings, name="settings"),
    path(programme + "reach/channels/add/<str:kind>/", views.channel_add, name="channel_add"),
    path(programme + "reach/channels/<int:channel_id>/", views.channel_edit, name="channel_edit"),
    path(
        programme + "reach/channels/<int:channel_id>/remove/",
        views.channel_remove,
        name="channel_remove",
    ),
    path(
        programme + "reach/channels/<int:channel_id>/test/",
        views.channel_test,
        name="channel_test",
    ),
    path(
        programme + "reach/messages/<int:job_id>/send-again/",
        views.send_again,
        name="send_again",
    ),
    path(
        programme + "reach/handles/<int:handle_id>/try-again/",
        views.handle_try_again,
        name="handle_try_again",
    ),
    path(rnd + "letters.pdf", views.letters_pdf, name="letters"),
    path(rnd + "phone-list.pdf", views.phone_list_pdf, name="phone_list"),
    path(rnd + "phone-list.csv", views.phone_list_csv, name="phone_list_csv"),
    path(rnd + "answers/", views.enter_answer, name="answer"),
    path("me/chat/", views.chat, name="chat"),
    path("me/meetings/<int:group_id>/update/", views.meeting_update, name="meeting_update"),
    path("meeting/<str:token>/", views.meeting_update_link, name="meeting_update_link"),
]

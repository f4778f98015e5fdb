from django.urls import path

from kaffeeklatsch.rounds import views

app_name = "rounds"
urlpatterns = [
    path("", views.round_list, name="list"),
    path("preview/", views.round_preview, name="preview"),
    path("tasks/<int:task_id>/", views.round_task, name="task"),
    path("tasks/<int:task_id>/status/", views.round_task_status, name="task_status"),
    path("<int:round_id>/", views.round_detail, name="detail"),
    path("<int:round_id>/move/", views.round_move, name="move"),
    path("<int:round_id>/move/<int:participant_id>/", views.round_move_form, name="move_to"),
    path("<int:round_id>/publish/", views.round_publish, name="publish"),
    path("<int:round_id>/discard/", views.round_discard, name="discard"),
]

from django.urls import path

from kaffeeklatsch.rounds import views

app_name = "rounds"
urlpatterns = [
    path("", views.round_list, name="list"),
    path("preview/", views.round_preview, name="preview"),
    path("<int:round_id>/", views.round_detail, name="detail"),
    path("<int:round_id>/move/", views.round_move, name="move"),
    path("<int:round_id>/publish/", views.round_publish, name="publish"),
    path("<int:round_id>/discard/", views.round_discard, name="discard"),
]

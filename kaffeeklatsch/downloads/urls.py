from django.urls import path

from kaffeeklatsch.downloads import views

app_name = "downloads"
urlpatterns = [
    path("", views.prepare, name="prepare"),
    path("<int:download_id>/", views.status, name="status"),
    path("<int:download_id>/status.json", views.status_json, name="status_json"),
    path("<int:download_id>/file", views.file, name="file"),
]

from django.urls import path

from kaffeeklatsch.insights import views

app_name = "insights"
urlpatterns = [
    path("", views.dashboard, name="dashboard"),
    path("status.json", views.snapshot_status, name="status"),
    path("rounds.csv", views.rounds_csv, name="rounds_csv"),
    path("rounds.xlsx", views.rounds_xlsx, name="rounds_xlsx"),
    path("groups.csv", views.groups_csv, name="groups_csv"),
    path("groups.xlsx", views.groups_xlsx, name="groups_xlsx"),
    path("report.pdf", views.report_pdf, name="report"),
]

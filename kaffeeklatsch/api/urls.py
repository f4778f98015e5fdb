from django.urls import path, re_path
from drf_spectacular.views import SpectacularAPIView

from kaffeeklatsch.api import docs, views

app_name = "api"
programme = "programmes/<int:programme_id>/"
person = f"{programme}people/<int:participant_id>/"
a_round = f"{programme}rounds/<int:round_id>/"
urlpatterns = [
    path("schema/", SpectacularAPIView.as_view(), name="schema"),
    path("docs/", docs.documentation, name="docs"),
    path("programmes/", views.ProgrammeList.as_view(), name="programmes"),
    path(programme, views.ProgrammeDetail.as_view(), name="programme"),
    path(f"{programme}people/", views.PeopleList.as_view(), name="people"),
    path(person, views.PersonDetail.as_view(), name="person"),
    path(f"{person}pause/", views.PersonPause.as_view(), name="person_pause"),
    path(f"{person}leave/", views.PersonLeave.as_view(), name="person_leave"),
    path(f"{programme}rounds/", views.RoundList.as_view(), name="rounds"),
    path(f"{programme}rounds/preview/", views.RoundPreview.as_view(), name="preview"),
    path(f"{programme}rounds/tasks/<int:task_id>/", views.TaskDetail.as_view(), name="task"),
    path(a_round, views.RoundDetail.as_view(), name="round"),
    path(f"{a_round}groups/", views.RoundGroups.as_view(), name="groups"),
    path(f"{a_round}answers/", views.RoundAnswers.as_view(), name="answers"),
    path(f"{a_round}publish/", views.RoundPublish.as_view(), name="publish"),
    path(f"{programme}insights/", views.InsightsView.as_view(), name="insights"),
    # Last: any other address under the API (an id that is not a number, say).
    re_path(r"", views.Unknown.as_view(), name="unknown"),
]

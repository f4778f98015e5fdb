from django.contrib.auth import views as auth
from django.urls import path, reverse_lazy

from kaffeeklatsch.accounts.views import PasswordResetView
from kaffeeklatsch.sso.views import OrganiserLoginView, OrganiserLogoutView

app_name = "accounts"
urlpatterns = [
    path("login/", OrganiserLoginView.as_view(), name="login"),
    path("logout/", OrganiserLogoutView.as_view(), name="logout"),
    path(
        "password/",
        auth.PasswordChangeView.as_view(
            template_name="accounts/form.html",
            success_url=reverse_lazy("accounts:password_change_done"),
        ),
        name="password_change",
    ),
    path(
        "password/done/",
        auth.PasswordChangeDoneView.as_view(template_name="accounts/done.html"),
        name="password_change_done",
    ),
    path(
        "reset/",
        PasswordResetView.as_view(success_url=reverse_lazy("accounts:password_reset_done")),
        name="password_reset",
    ),
    path(
        "reset/sent/",
        auth.PasswordResetDoneView.as_view(template_name="accounts/done.html"),
        name="password_reset_done",
    ),
    path(
        "reset/<uidb64>/<token>/",
        auth.PasswordResetConfirmView.as_view(
            template_name="accounts/form.html",
            success_url=reverse_lazy("accounts:password_reset_complete"),
        ),
        name="password_reset_confirm",
    ),
    path(
        "reset/complete/",
        auth.PasswordResetCompleteView.as_view(template_name="accounts/done.html"),
        name="password_reset_complete",
    ),
]

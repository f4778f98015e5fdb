"""The product's URLs plus two pages that fail on purpose, for the error page tests."""

from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse
from django.urls import path

from kaffeeklatsch.urls import handler400, handler403, handler404, handler500, urlpatterns


def refuse(request: HttpRequest) -> HttpResponse:
    raise PermissionDenied


def crash(request: HttpRequest) -> HttpResponse:
    raise RuntimeError("a bug on purpose")


urlpatterns = [
    path("test-errors/refuse/", refuse),
    path("test-errors/crash/", crash),
    *urlpatterns,
]
__all__ = ["handler400", "handler403", "handler404", "handler500", "urlpatterns"]

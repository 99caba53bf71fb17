"""The project's URLconf plus one page nobody declared: the URLconf of the matrix's test of its own test."""

from django.http import HttpResponse
from django.urls import include, path


def undeclared_page(request):
    return HttpResponse("a page added later")


urlpatterns = [
    path("", include("config.urls")),
    path("new-app/undeclared/", undeclared_page, name="matrix_undeclared_page"),
]

"""The floor's pages: those of core/benchpages/floor, and ``submit/``: a bare Django form (two fields, CSRF)
whose POST creates one row and redirects (302), the least a suggestion form can cost on this server."""

import uuid

from django import forms
from django.http import HttpResponse, HttpResponseRedirect
from django.template import engines
from django.urls import include, path
from django.views.decorators.http import require_http_methods

from core.benchpages.floor.models import Item

PAGE = engines["django"].from_string(
    '<!doctype html><html lang="zh-hans"><head><meta charset="utf-8"><title>意见箱</title></head><body>'
    '<form method="post">{% csrf_token %}{{ form.as_div }}<button type="submit">提交</button></form>'
    "</body></html>")


class SubmitForm(forms.Form):
    name = forms.CharField(max_length=100)
    text = forms.CharField(min_length=10, max_length=2000, widget=forms.Textarea)


@require_http_methods(["GET", "POST"])
def submit(request):
    form = SubmitForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        Item.objects.create(name=form.cleaned_data["name"], code=uuid.uuid4().hex[:20],
                            address=form.cleaned_data["text"][:200])
        return HttpResponseRedirect("/submit/?done=1")
    return HttpResponse(PAGE.render({"form": form}, request))


urlpatterns = [
    path("submit/", submit, name="submit"),
    path("", include("core.benchpages.floor.urls")),
]

"""Every date input of the portal and the admin renders an ISO value, whatever the language.

A browser's <input type="date"> takes only YYYY-MM-DD: the summary report's "统计日期" rendered
as 2026/12/02 showed an empty box and "生成报告" silently did nothing. These tests walk every
form class of the project (and every admin form and inline) rather than naming forms, so a
form added later with a DateField is covered without anyone remembering to add it here.
"""

import datetime
import importlib

import pytest
from django import forms
from django.apps import apps
from django.contrib import admin
from django.test import RequestFactory
from django.utils import translation

from core.widgets import DateInput

LANGUAGES = ["zh-hans", "en"]
DAY = datetime.date(2026, 12, 2)
PROJECT_APPS = [a for a in apps.get_app_configs() if not a.name.startswith(("django", "simple_history",
                                                                             "django_celery_beat", "axes",
                                                                             "crispy", "whitenoise"))]
FORM_MODULES = ("forms", "admin", "admin_views", "views", "admin_calendar")


def _all_subclasses(cls):
    for sub in cls.__subclasses__():
        yield sub
        yield from _all_subclasses(sub)


def project_forms():
    for app in PROJECT_APPS:
        for module in FORM_MODULES:
            try:
                importlib.import_module(f"{app.name}.{module}")
            except ModuleNotFoundError as e:
                if e.name != f"{app.name}.{module}":
                    raise
    prefixes = tuple(f"{a.name}." for a in PROJECT_APPS)
    found = {cls for cls in _all_subclasses(forms.BaseForm) if cls.__module__.startswith(prefixes)}
    return sorted(found, key=lambda c: f"{c.__module__}.{c.__qualname__}")


def date_fields(form_class):
    return [(name, f) for name, f in form_class.base_fields.items() if isinstance(f, forms.DateField)]


FORMS_WITH_DATES = [c for c in project_forms() if date_fields(c)]


def test_the_walk_finds_the_known_date_forms():
    # Guards the walk itself: if it stopped importing modules, every test below would pass vacuously.
    names = {c.__name__ for c in FORMS_WITH_DATES}
    assert {"TrainingForm", "ActivityForm", "MoveDeadlineForm", "CampaignReportForm"} <= names


@pytest.mark.parametrize("language", LANGUAGES)
@pytest.mark.parametrize("form_class", FORMS_WITH_DATES, ids=lambda c: f"{c.__module__}.{c.__name__}")
def test_every_portal_date_input_is_a_browser_date_input_with_an_iso_value(form_class, language):
    in_admin = form_class.__module__.rsplit(".", 1)[-1].startswith("admin")
    for name, field in date_fields(form_class):
        widget = field.widget
        # A browser date input is always the core one (fixed ISO format); the portal has no other kind.
        # Admin forms may keep the admin's text date widget with its calendar: its value must be ISO too.
        if getattr(widget, "input_type", "") == "date" or not in_admin:
            assert isinstance(widget, DateInput), f"{form_class.__name__}.{name} does not use core.widgets.DateInput"
        with translation.override(language):
            html = field.widget.render(name, DAY)
        assert 'value="2026-12-02"' in html, html


@pytest.mark.parametrize("language", LANGUAGES)
def test_the_report_form_opens_with_todays_date_in_iso(world, language):
    from django.utils import timezone

    from documents.forms import CampaignReportForm

    with translation.override(language):
        html = str(CampaignReportForm(user=world.city_user)["as_of"])
    assert f'value="{timezone.localdate().isoformat()}"' in html, html


def _admin_forms(user):
    request = RequestFactory().get("/admin/")
    request.user = user
    for model, model_admin in admin.site._registry.items():
        if not model_admin.has_add_permission(request) and not model_admin.has_change_permission(request):
            continue
        yield f"{model.__name__}Admin", model_admin.get_form(request)
        for inline in model_admin.get_inline_instances(request):
            yield f"{model.__name__}Admin.{type(inline).__name__}", inline.get_formset(request).form


@pytest.mark.django_db
@pytest.mark.parametrize("language", LANGUAGES)
def test_every_admin_date_input_renders_an_iso_value(language):
    from accounts.models import User

    superuser = User.objects.create_superuser("root-dates", "root@example.com", "x")
    checked = []
    for label, form_class in _admin_forms(superuser):
        for name, field in date_fields(form_class):
            with translation.override(language):
                html = field.widget.render(name, DAY)
            assert 'value="2026-12-02"' in html, f"{label}.{name}: {html}"
            checked.append(f"{label}.{name}")
    # The campaign's dates and a task's deadline are among them: the walk reached the admin forms.
    assert any(c.startswith("CampaignAdmin.") for c in checked), checked
    assert any(c.endswith(".deadline") for c in checked), checked


@pytest.mark.parametrize("language", LANGUAGES)
def test_the_admin_calendar_writes_iso_dates_too(language):
    # The admin's calendar pop-up writes the first DATE_INPUT_FORMATS of the JavaScript catalogue (/jsi18n/).
    from django.views.i18n import get_formats

    with translation.override(language):
        assert get_formats()["DATE_INPUT_FORMATS"][0] == "%Y-%m-%d"

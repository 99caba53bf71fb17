"""Template helpers of the firm's inbox pages."""

import threading

from django import template
from django.template.loader import render_to_string
from django.utils.safestring import mark_safe
from django.utils.translation import get_language

register = template.Library()

MAX_KEPT = 500
_kept_html = {}
_lock = threading.Lock()


def _signature(form):
    """Everything an unbound form's fields are drawn from: its class, prefix and initial values, the language, and
    each field's name, label, hint, widget attributes and choices (the reply templates' titles and texts among
    them)."""
    fields = []
    for name, field in form.fields.items():
        widget = field.widget
        fields.append((name, type(field), type(widget), str(field.label), str(field.help_text), field.required,
                       repr(sorted(widget.attrs.items())), repr(list(getattr(field, "choices", ()))),
                       repr(sorted(getattr(widget, "texts", {}).items()))))
    return (type(form), form.prefix, form.auto_id, repr(sorted(form.initial.items())), get_language(),
            tuple(fields))


def _kept(form, template_name):
    if form.is_bound:
        return render_to_string(template_name, {"form": form})
    key = (template_name, *_signature(form))
    html = _kept_html.get(key)
    if html is None:
        html = render_to_string(template_name, {"form": form})
        with _lock:
            if len(_kept_html) >= MAX_KEPT:
                _kept_html.clear()
            _kept_html[key] = html
    return mark_safe(html)  # noqa: S308 - drawn by the template, escaped there


@register.simple_tag
def action_fields(form):
    """The fields of an action form (``_action_fields.html``: crispy-forms' Bootstrap fields). An empty form's
    HTML is the same on every entry's page, so it is drawn once per process and language and kept under all
    it is drawn from (``_signature``): a renamed or new reply template is another key. A bound form (a step
    refused, its errors shown) is drawn afresh."""
    return _kept(form, "suggestions/portal/_action_fields.html")


@register.simple_tag
def crispy_kept(form):
    """``{{ form|crispy }}`` (``_crispy_form.html``), kept as :func:`action_fields` is."""
    return _kept(form, "suggestions/portal/_crispy_form.html")

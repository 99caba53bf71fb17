"""Helpers for rendering messages of any kind: links that work whichever apps are installed,
absolute addresses for mail, and the text + HTML parts from a pair of templates.

Render in the site language (``translation.override(settings.LANGUAGE_CODE)``): a sweep has no
request to take one from.
"""

from django.conf import settings
from django.template.loader import render_to_string
from django.urls import NoReverseMatch, reverse

_chosen = {}


def first_url(names, *args):
    """The first of the URL names ``names`` that reverses (with ``args``), else the notification list.

    NoReverseMatch is costly and a sweep asks a thousand times: which name works is remembered.
    """
    if names in _chosen:
        name = _chosen[names]
        return reverse(name, args=args) if name != "notifications:list" else reverse(name)
    for name in names:
        try:
            url = reverse(name, args=args)
        except NoReverseMatch:
            continue
        _chosen[names] = name
        return url
    _chosen[names] = "notifications:list"
    return reverse("notifications:list")


def absolute(path):
    return f"{settings.SITE_URL}{path}"


def render_email(template, context):
    """(text, html) from ``notifications/email/<template>.txt`` and ``.html``."""
    return (
        render_to_string(f"notifications/email/{template}.txt", context).strip() + "\n",
        render_to_string(f"notifications/email/{template}.html", context),
    )

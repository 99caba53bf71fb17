"""The admin's navigation sidebar and list filters, rendered once per what they show.

Django's admin/nav_sidebar.html (included by admin/base_site.html's nav-sidebar block through this tag) shows
the user's apps and models (``available_apps``, core/admin_site.py) and marks the app and the model whose address
is part of the request's path; it is rendered on every admin page. Its HTML is a function of the language, of
what it shows of each app and model and of those marks: kept in the process under exactly these, so that nothing
can make it stale. The same for a changelist's simple list filters (:func:`list_filter_key`): their links are a
function of what they offer, the chosen value and the list's query string.
"""

from pathlib import Path

from django import template
from django.contrib.admin import SimpleListFilter
from django.contrib.admin.templatetags.admin_list import admin_list_filter
from django.core.exceptions import ImproperlyConfigured
from django.template.defaultfilters import urlencode
from django.utils.translation import get_language

register = template.Library()

_SIDEBARS = {}
_SIDEBARS_MAX = 512


def sidebar_key(apps, path):
    """The language, what the sidebar shows of each app and model, and which of them the path marks current."""
    shown = []
    for app in apps:
        shown.append((app["app_label"], app["app_url"], str(app["name"]), app["app_url"] in path, tuple(
            (m["object_name"], m.get("admin_url"), m.get("add_url"), str(m["name"]),
             bool(m.get("admin_url")) and m["admin_url"] in path) for m in app["models"])))
    return get_language(), tuple(shown)


@register.simple_tag(takes_context=True)
def cached_nav_sidebar(context):
    request = context.get("request")
    apps = context.get("available_apps") or []
    sidebar = context.template.engine.get_template("admin/nav_sidebar.html")
    if request is None:
        return sidebar.render(context)
    key = sidebar_key(apps, urlencode(request.path))
    html = _SIDEBARS.get(key)
    if html is None:
        html = sidebar.render(context)
        if len(_SIDEBARS) >= _SIDEBARS_MAX:
            _SIDEBARS.clear()
        _SIDEBARS[key] = html
    return html


# --- list filters ---------------------------------------------------------------------------------------------

_FILTERS = {}
_FILTERS_MAX = 256


def list_filter_key(cl, spec):
    """What admin/filter.html shows of a SimpleListFilter that keeps Django's own ``choices()``: the language, the
    title, the parameter, the chosen value, the offered lookups and the list's other parameters (every choice links
    to them). None for anything else (other filters and templates, counts shown): rendered each time."""
    if not (isinstance(spec, SimpleListFilter) and type(spec).choices is SimpleListFilter.choices
            and spec.template == "admin/filter.html" and not cl.add_facets):
        return None
    params = tuple(sorted((name, tuple(values) if isinstance(values, list | tuple) else values)
                          for name, values in cl.filter_params.items()))
    return (get_language(), str(spec.title), spec.parameter_name, spec.value(),
            tuple((str(lookup), str(title)) for lookup, title in spec.lookup_choices), params)


@register.simple_tag
def cached_list_filter(cl, spec):
    """Django's ``{% admin_list_filter cl spec %}``, kept in the process under :func:`list_filter_key` (a street
    filter of a city: two hundred links, each with the list's query string)."""
    key = list_filter_key(cl, spec)
    if key is None:
        return admin_list_filter(cl, spec)
    html = _FILTERS.get(key)
    if html is None:
        html = admin_list_filter(cl, spec)
        if len(_FILTERS) >= _FILTERS_MAX:
            _FILTERS.clear()
        _FILTERS[key] = html
    return html


def _filters_block():
    """Django's ``{% block filters %}`` of admin/change_list.html, read from Django's own file, each filter through
    :func:`cached_list_filter` (read, not copied into a template of ours: its texts are Django's msgids, translated
    by Django's catalogue)."""
    import django.contrib.admin

    source = (Path(django.contrib.admin.__file__).parent / "templates" / "admin" / "change_list.html").read_text()
    start = source.index("{% block filters %}") + len("{% block filters %}")
    block = source[start:source.index("{% endblock %}", start)]
    if block.count(_DJANGO_FILTER_TAG) != 1 or "{% block" in block:
        raise ImproperlyConfigured("admin/change_list.html's filters block is not the one admin_nav knows")
    return block.replace(_DJANGO_FILTER_TAG, "{% cached_list_filter cl spec %}")


_DJANGO_FILTER_TAG = "{% admin_list_filter cl spec %}"
_BLOCKS = {}


@register.simple_tag(takes_context=True)
def changelist_filters(context):
    """The filters block of admin/change_list.html (templates/admin/change_list.html): Django's own markup."""
    engine = context.template.engine
    block = _BLOCKS.get(id(engine))
    if block is None:
        block = _BLOCKS[id(engine)] = engine.from_string("{% load i18n admin_list admin_nav %}" + _filters_block())
    return block.render(context)


# --- result rows ----------------------------------------------------------------------------------------------

_RESULT_LISTS = {}


@register.simple_tag(takes_context=True)
def kept_result_list(context, cl):
    """Django's ``{% result_list cl %}``; for a changelist that keeps its rows (estates.scoped_admin.ScopedChangeList
    with a list version: it has ``kept_rows_html``, the HTML kept under the key its get_results made, and
    ``keep_rows_html(html)`` to keep a page drawn here), that HTML, or the page drawn and handed back to keep. The
    changelist does the keeping: core knows no domain app (.importlinter)."""
    from django.utils.safestring import mark_safe

    html = getattr(cl, "kept_rows_html", None)
    if html is not None:
        return mark_safe(html)  # noqa: S308 - the HTML Django's own tag drew, kept
    engine = context.template.engine
    node = _RESULT_LISTS.get(id(engine))
    if node is None:
        node = _RESULT_LISTS[id(engine)] = engine.from_string("{% load admin_list %}{% result_list cl %}")
    html = node.render(context)
    keep = getattr(cl, "keep_rows_html", None)
    if keep is not None:
        keep(html)
    return html

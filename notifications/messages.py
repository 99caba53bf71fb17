"""Helpers for rendering messages of any kind: links that work whichever apps are installed,
absolute addresses for mail, and the text + HTML parts from a pair of templates.

Render in the site language (``translation.override(settings.LANGUAGE_CODE)``): a sweep has no
request to take one from.
"""

from django.conf import settings
from django.template import engines
from django.template.base import Node
from django.template.defaulttags import IfNode
from django.templatetags.i18n import LanguageNode, TranslateNode
from django.urls import NoReverseMatch, reverse
from django.utils import translation

_chosen = {}
_compiled = {}


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


class _ConstantTranslateNode(Node):
    """``{% translate "literal" %}`` (no variable, filter, ``as`` or ``noop``) rendered once per language
    and autoescape state, then reused: a sweep renders the same two templates a thousand times, and the
    constant strings were most of their cost (issue 16). The output is the original node's, exactly."""

    child_nodelists = ()

    def __init__(self, node):
        self.node, self.token, self.origin = node, node.token, node.origin
        self.outputs = {}

    def render(self, context):
        # The active language, looked up once per render of the template (the lookup is not free): the
        # templates frozen have no {% language %} to change it on the way.
        language = context.render_context.get(_ConstantTranslateNode)
        if language is None:
            language = context.render_context[_ConstantTranslateNode] = translation.get_language()
        key = (language, context.autoescape)
        if key not in self.outputs:
            self.outputs[key] = self.node.render(context)
        return self.outputs[key]


def _constant(node):
    expr, context_expr = node.filter_expression, node.message_context
    return (not node.noop and not node.asvar and not expr.filters
            and getattr(expr.var, "literal", None) is not None
            and (context_expr is None or (not context_expr.is_var and not context_expr.filters)))


def _freeze_translations(nodelist):
    for i, node in enumerate(nodelist):
        if isinstance(node, TranslateNode):
            if _constant(node):
                nodelist[i] = _ConstantTranslateNode(node)
            continue
        children = ([nl for _condition, nl in node.conditions_nodelists] if isinstance(node, IfNode)
                    else [getattr(node, name, None) for name in node.child_nodelists])
        for child in children:
            if child:
                _freeze_translations(child)


def email_template(name):
    """The compiled template ``name``, its constant translations frozen; compiled once per process (a
    private copy: the engine's shared one is left alone), afresh on every call with DEBUG on, so that an
    edited template shows at once."""
    if not settings.DEBUG and name in _compiled:
        return _compiled[name]
    backend = engines["django"]
    source = backend.get_template(name).template
    template = backend.from_string(source.source)  # rendered as render_to_string renders (make_context)
    template.template.origin, template.template.name = source.origin, source.name
    if not template.template.nodelist.get_nodes_by_type(LanguageNode):
        _freeze_translations(template.template.nodelist)
    _compiled[name] = template
    return template


def render_email(template, context):
    """(text, html) from ``notifications/email/<template>.txt`` and ``.html``."""
    text = email_template(f"notifications/email/{template}.txt")
    html = email_template(f"notifications/email/{template}.html")
    return text.render(context).strip() + "\n", html.render(context)

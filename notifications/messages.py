"""Helpers for rendering messages of any kind: links that work whichever apps are installed,
absolute addresses for mail, and the text + HTML parts from a pair of templates.

Render in the site language (``translation.override(settings.LANGUAGE_CODE)``): a sweep has no
request to take one from.
"""

import logging
import re

from django.conf import settings
from django.template import Context, engines
from django.template.base import Node, TextNode, Variable, VariableDoesNotExist, VariableNode, render_value_in_context
from django.template.defaulttags import AutoEscapeControlNode, CommentNode, IfNode, LoadNode, TemplateLiteral
from django.template.loader_tags import BlockNode, ExtendsNode
from django.templatetags.i18n import BlockTranslateNode, LanguageNode, TranslateNode
from django.urls import NoReverseMatch, reverse
from django.utils import translation
from django.utils.safestring import SafeString

log = logging.getLogger(__name__)

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


# --- stencils: a template's output per branch, its variables substituted ------------------------------
#
# A sweep renders the same template pair a thousand times; per message only the variables differ, and which
# branch of each {% if %} is taken. A stencil is the template's output recorded once per (language, branches
# taken) with a marker in place of each variable ({{ x|f }} and each {% blocktranslate with v=x|f %} value),
# then split at the markers: a message is the constant pieces joined with its own values, each computed by the
# template's own FilterExpression and rendered by Django's render_value_in_context with the autoescaping in
# force at its place. So the output is the template's, exactly (tests/test_reminder_mail_snapshot.py compares
# every language and branch); each recorded stencil is also checked once against a normal render.
# Only templates made of the nodes below have stencils (no {% for %}, {% with %}, plural blocktranslate,
# {{ block.super }}...); any other is rendered normally.

_MARK = "\x00{}\x00"
_MARK_RE = re.compile("\x00([0-9]+)\x00")
_NO_STENCIL = object()
_PLAIN_NODES = (TextNode, CommentNode, LoadNode, _ConstantTranslateNode)
_CONTEXT_BOUND = ("block", "forloop")  # names set by the tags while rendering, not by the caller's context


class _Recording:
    """Stands in for a FilterExpression while a stencil is recorded: notes the expression and the
    autoescaping in force, and resolves to a marker."""

    def __init__(self, expression, catch_unicode):
        self.expression, self.catch_unicode = expression, catch_unicode
        self.token, self.var, self.filters, self.is_var = expression.token, expression.var, (), True

    def resolve(self, context, ignore_failures=False):
        slots, expression = context.stencil_slots, self.expression
        # The key of its value among the message's values: per autoescaping if a filter depends on it.
        key = (expression.token, context.autoescape) if _needs_autoescape(expression) else expression.token
        slots.append((expression, context.autoescape, self.catch_unicode, key))
        return _MARK.format(len(slots) - 1)


class _Parent:
    """An {% extends "constant" %} pointing at the recording copy of its parent."""

    def __init__(self, template):
        self.template, self.filters, self.is_var, self.var, self.token = template, (), False, template, ""

    def resolve(self, context, ignore_failures=False):
        return self.template


def _expression_ok(expression):
    variables = [expression.var] + [arg for _f, args in expression.filters for lookup, arg in args if lookup]
    return not any(isinstance(v, Variable) and v.lookups and v.lookups[0] in _CONTEXT_BOUND for v in variables)


def _condition_ok(condition):
    """An {% if %} condition the stencil can evaluate up front: its variables are the caller's and no filter
    depends on the autoescaping (always evaluated with the engine's)."""
    if condition is None:
        return True
    if isinstance(condition, TemplateLiteral):
        return _expression_ok(condition.value) and not _needs_autoescape(condition.value)
    return all(_condition_ok(part) for part in (condition.first, condition.second))


def _prepare_recording(nodelist, ifs, depth=0):
    """Rewrite a private copy for recording (variables -> markers); collect its {% if %} nodes. False if a node
    is of a kind a stencil cannot reproduce."""
    for node in nodelist:
        if isinstance(node, _PLAIN_NODES):
            continue
        if isinstance(node, TranslateNode):
            if not _constant(node):
                return False
        elif isinstance(node, VariableNode):
            if not _expression_ok(node.filter_expression):
                return False
            node.filter_expression = _Recording(node.filter_expression, catch_unicode=True)
        elif isinstance(node, BlockTranslateNode):
            used = node.render_token_list(node.singular)[1]
            context_expr = node.message_context
            if (node.plural or node.counter or node.asvar or not set(used) <= set(node.extra_context)
                    or (context_expr is not None and (context_expr.is_var or context_expr.filters))
                    or not all(_expression_ok(e) for e in node.extra_context.values())):
                return False
            node.extra_context = {k: _Recording(e, catch_unicode=False) for k, e in node.extra_context.items()}
        elif isinstance(node, IfNode):
            if not all(_condition_ok(c) for c, _nl in node.conditions_nodelists):
                return False
            ifs.append(node)
            if not all(_prepare_recording(nl, ifs, depth) for _c, nl in node.conditions_nodelists):
                return False
        elif isinstance(node, ExtendsNode):
            name = node.parent_name
            if name.is_var or name.filters or not isinstance(name.var, str) or depth > 8:
                return False
            parent = _recording_copy(str(name.var), ifs, depth + 1)
            if parent is None:
                return False
            node.parent_name = _Parent(parent.template)
            if not _prepare_recording(node.nodelist, ifs, depth):
                return False
        elif isinstance(node, (BlockNode, AutoEscapeControlNode)):
            if not _prepare_recording(node.nodelist, ifs, depth):
                return False
        else:
            return False
    return True


def _recording_copy(name, ifs, depth=0):
    backend = engines["django"]
    source = backend.get_template(name).template
    template = backend.from_string(source.source)
    template.template.origin, template.template.name = source.origin, source.name
    if template.template.nodelist.get_nodes_by_type(LanguageNode):
        return None
    _freeze_translations(template.template.nodelist)
    return template if _prepare_recording(template.template.nodelist, ifs, depth) else None


def _branch(node, context):
    """The branch of ``node`` that IfNode.render would take (its index), evaluated as it does."""
    for index, (condition, _nodelist) in enumerate(node.conditions_nodelists):
        if condition is None:
            return index
        try:
            match = condition.eval(context)
        except VariableDoesNotExist:
            match = None
        if match:
            return index
    return -1


class _Stencil:
    def __init__(self, template, recording, ifs):
        self.template, self.recording, self.ifs = template, recording, ifs
        self.shapes = {}  # (language, branches) -> (constant pieces, slots), or None: render normally

    def render(self, context, values, ctx):
        key = (translation.get_language(), tuple([_branch(node, ctx) for node in self.ifs]))
        shape = self.shapes.get(key, _NO_STENCIL)
        if shape is _NO_STENCIL:
            shape = self.shapes[key] = self._record(context, ctx)
        if shape is None:
            return self.template.render(context)
        pieces, slots = shape
        out = [pieces[0]]
        for slot, piece in zip(slots, pieces[1:]):  # noqa: B905 - one more piece than slots
            out.append(_slot_value(slot, values, ctx))
            out.append(piece)
        return SafeString("".join(out))

    def _record(self, context, ctx):
        recording_ctx = Context(context, autoescape=engines["django"].engine.autoescape)
        recording_ctx.stencil_slots = slots = []
        output = self.recording.template.render(recording_ctx)
        parts = _MARK_RE.split(output)
        order = [int(i) for i in parts[1::2]]
        shape = (parts[0::2], [slots[i] for i in order])
        if sorted(order) != list(range(len(slots))) or self._render(shape, ctx) != self.template.render(context):
            log.warning("template %s: no stencil for %s (rendered normally)", self.template.template.name, order)
            return None
        return shape

    def _render(self, shape, ctx):
        pieces, slots = shape
        values = {}
        return pieces[0] + "".join(_slot_value(s, values, ctx) + p for s, p in zip(slots, pieces[1:]))  # noqa: B905


def _slot_value(slot, values, ctx):
    """A variable's rendered value, as VariableNode or BlockTranslateNode renders it. ``values`` keeps each
    expression's value for the message's other template (per autoescaping when a filter depends on it)."""
    expression, autoescape, catch_unicode, key = slot
    ctx.autoescape = autoescape
    try:
        value = values[key]
    except KeyError:
        try:
            value = expression.resolve(ctx)
        except UnicodeDecodeError:
            if not catch_unicode:
                raise
            return ""
        values[key] = value
    return render_value_in_context(value, ctx)


def _needs_autoescape(expression):
    return any(getattr(f, "needs_autoescape", False) for f, _a in expression.filters)


def _stencil(template):
    stencil = getattr(template, "stencil", None)
    if stencil is None:
        ifs = []
        recording = _recording_copy(template.template.name, ifs)
        stencil = template.stencil = _Stencil(template, recording, ifs) if recording is not None else _NO_STENCIL
    return stencil


def render_email(template, context):
    """(text, html) from ``notifications/email/<template>.txt`` and ``.html``."""
    text = email_template(f"notifications/email/{template}.txt")
    html = email_template(f"notifications/email/{template}.html")
    if settings.DEBUG:
        return text.render(context).strip() + "\n", html.render(context)
    stencils = (_stencil(text), _stencil(html))
    if _NO_STENCIL in stencils:
        return text.render(context).strip() + "\n", html.render(context)
    engine = engines["django"].engine
    ctx = Context(context, autoescape=engine.autoescape)
    ctx.template = text.template  # the engine's string_if_invalid, as a bound template gives it
    values = {}
    text_out = stencils[0].render(context, values, ctx)
    ctx.autoescape = engine.autoescape
    html_out = stencils[1].render(context, values, ctx)
    return text_out.strip() + "\n", html_out

"""``{% url %}`` with a constant view name and no arguments, reversed once per process.

A template builtin (config/settings.py TEMPLATES ``builtins``), so it replaces Django's ``{% url %}``
everywhere without a ``{% load %}``. ``{% url 'portal:dashboard' %}`` always gives the same answer for the
same URL configuration, script prefix, current application and language, yet Django reverses it on every
render (the portal's shell has five, the admin's sidebar dozens). Such a URL is kept under those four
keys after its first reversal; a URL with arguments, a view name from a variable or a failed reversal
takes Django's own path, unchanged.
"""

from django import template
from django.conf import settings
from django.template import defaulttags
from django.urls import NoReverseMatch, get_script_prefix, get_urlconf, reverse
from django.utils.html import conditional_escape
from django.utils.translation import get_language

register = template.Library()

_urls = {}


class ConstantURLNode(defaulttags.URLNode):
    def render(self, context):
        try:
            current_app = context.request.current_app
        except AttributeError:
            try:
                current_app = context.request.resolver_match.namespace
            except AttributeError:
                current_app = None
        name = self.view_name.var
        key = (name, current_app, get_urlconf() or settings.ROOT_URLCONF, get_script_prefix(), get_language())
        url = _urls.get(key)
        if url is None:
            try:
                url = reverse(name, current_app=current_app)
            except NoReverseMatch:
                return super().render(context)
            _urls[key] = url
        if self.asvar:
            context[self.asvar] = url
            return ""
        return conditional_escape(url) if context.autoescape else url


@register.tag
def url(parser, token):
    node = defaulttags.url(parser, token)
    constant = isinstance(node.view_name.var, str) and not node.view_name.filters
    if constant and not node.args and not node.kwargs:
        return ConstantURLNode(node.view_name, node.args, node.kwargs, node.asvar)
    return node

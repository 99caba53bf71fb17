"""``{% crispy_cached form key %}``: ``{% crispy form %}``, rendered once per key for a form nobody has filled in.

crispy-forms renders every field through several templates (2-3 ms a field on this machine), and the forms of the
portal's record pages are the same for every request of a firm until its estates change. A form that is not bound
(a page opened, not a submission with errors) is rendered once per: its class, ``key`` (what its choices depend
on, given by the view: e.g. the firm and the registry version), its initial values, and the language; its
CSRF token is put in on every request, never cached. A bound form is always rendered afresh.
"""

import hashlib

from crispy_forms.templatetags.crispy_forms_tags import CrispyFormNode
from django import template
from django.utils.safestring import mark_safe
from django.utils.translation import get_language

from core import cache

register = template.Library()

TTL = 300
_PLACEHOLDER = "crispy-cached-csrf-placeholder"


def _initial(form):
    values = {**{name: field.initial for name, field in form.fields.items() if field.initial is not None},
              **form.initial}
    return repr(sorted((name, str(getattr(value, "pk", value))) for name, value in values.items()))


class CachedCrispyNode(template.Node):
    def __init__(self, form, key):
        self.form, self.key = template.Variable(form), template.Variable(key)
        self.inner = CrispyFormNode(form, None)

    def render(self, context):
        form = self.form.resolve(context)
        if form.is_bound:
            return self.inner.render(context)
        kind = f"{type(form).__module__}.{type(form).__qualname__}"
        digest = hashlib.sha256(f"{self.key.resolve(context)}|{_initial(form)}".encode()).hexdigest()[:32]
        key = f"crispy:{kind}:{get_language()}:{digest}"

        def render():
            with context.push(csrf_token=_PLACEHOLDER):
                return str(self.inner.render(context))

        html = cache.cached(key, render, TTL)
        return mark_safe(html.replace(_PLACEHOLDER, str(context.get("csrf_token", ""))))  # noqa: S308


@register.tag
def crispy_cached(parser, token):
    bits = token.split_contents()
    if len(bits) != 3:
        raise template.TemplateSyntaxError("usage: {% crispy_cached form key %}")
    return CachedCrispyNode(bits[1], bits[2])

"""``{% crispy_cached form key %}``: ``{% crispy form %}``, rendered once per key for a form nobody has filled in.

crispy-forms renders every field through several templates (2-3 ms a field on this machine), and the forms of the
portal's record pages are the same for every request of a firm until its estates change. A form that is not bound
(a page opened, not a submission with errors) is rendered once per: its class, ``key`` (what its choices depend
on, given by the view: e.g. the firm and the registry version), its initial values (a form of an instance: the
instance's values, as read in this request), its fields' labels, help texts and widget attributes, its buttons,
and the language; its CSRF token is put in on every request, never cached. A bound form is always rendered
afresh.

``{% cached_fragment key %}...{% endcached_fragment %}``: the same for a part of a page (a form and a table of
the firm's own rows): rendered once per ``key`` and language, with this request's CSRF token put in. The view
gives the key, built from versions or tokens that every write changing what the part shows renews (e.g.
estates.selectors.registry_cache_key), or ``None`` to render it afresh (a submitted form with its errors).
"""

import hashlib
import threading

from crispy_forms.templatetags.crispy_forms_tags import CrispyFormNode
from django import template
from django.urls import get_script_prefix
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


def _shape(form):
    """What the form's constructor may have set for this request besides choices: each field's label, help
    text, requiredness and widget attributes (an estate's form shows its firm's phones as placeholders), and the
    helper's buttons (the record forms' submit label). Part of the key, so that no such value is ever served
    from another request's rendering, whatever ``key`` says."""
    fields = [(name, str(field.label), str(field.help_text), field.required, type(field.widget).__name__,
               getattr(field.widget, "input_type", None), sorted((k, str(v)) for k, v in field.widget.attrs.items()))
              for name, field in form.fields.items()]
    helper = getattr(form, "helper", None)
    inputs = [(type(i).__name__, i.name, str(i.value)) for i in getattr(helper, "inputs", ())]
    return repr((fields, inputs))


class CachedCrispyNode(template.Node):
    def __init__(self, form, key):
        self.form, self.key = template.Variable(form), template.Variable(key)
        self.inner = CrispyFormNode(form, None)

    def render(self, context):
        form = self.form.resolve(context)
        if form.is_bound:
            return self.inner.render(context)
        kind = f"{type(form).__module__}.{type(form).__qualname__}"
        source = f"{self.key.resolve(context)}|{_initial(form)}|{_shape(form)}"
        digest = hashlib.sha256(source.encode()).hexdigest()[:32]
        key = f"crispy:{kind}:{get_language()}:{digest}"

        def render():
            with context.push(csrf_token=_PLACEHOLDER):
                return str(self.inner.render(context))

        html = cache.cached(key, render, TTL)
        return mark_safe(html.replace(_PLACEHOLDER, str(context.get("csrf_token", ""))))  # noqa: S308


class CachedFragmentNode(template.Node):
    def __init__(self, nodelist, key):
        self.nodelist, self.key = nodelist, template.Variable(key)

    def render(self, context):
        key = self.key.resolve(context)
        if not key:
            return self.nodelist.render(context)

        def render():
            with context.push(csrf_token=_PLACEHOLDER):
                return str(self.nodelist.render(context))

        html = cache.cached(cache.fragment_key(key), render, TTL)
        return mark_safe(html.replace(_PLACEHOLDER, str(context.get("csrf_token", ""))))  # noqa: S308


@register.tag
def cached_fragment(parser, token):
    bits = token.split_contents()
    if len(bits) != 2:
        raise template.TemplateSyntaxError("usage: {% cached_fragment key %}...{% endcached_fragment %}")
    nodelist = parser.parse(("endcached_fragment",))
    parser.delete_first_token()
    return CachedFragmentNode(nodelist, bits[1])


@register.tag
def crispy_cached(parser, token):
    bits = token.split_contents()
    if len(bits) != 3:
        raise template.TemplateSyntaxError("usage: {% crispy_cached form key %}")
    return CachedCrispyNode(bits[1], bits[2])


# --- the portal's shell ------------------------------------------------------------------------------------------
#: ``{% kept_shell %}...{% endkept_shell %}`` (templates/portal/base.html): the navigation bar, rendered once per
#: everything it shows and kept in this process — the language, the page's address (the language switch returns
#: to it), the template, the script prefix, each entry's address, label, current mark and badge, the unread count
#: and the user's name — with this request's CSRF token put in. Its key holds every value it shows, so it is never
#: stale and needs no forgetting; the oldest are dropped beyond SHELL_KEPT entries. The bar was about a fifth of a
#: small portal page's time (three includes, a loop of seven entries, the language list).
SHELL_KEPT = 2000
_shell_html = {}
_shell_lock = threading.Lock()


class KeptShellNode(template.Node):
    def __init__(self, nodelist):
        self.nodelist = nodelist

    def render(self, context):
        request = context.get("request")
        user = getattr(request, "user", None)
        nav = context.get("portal_nav") or ()
        if request is None or user is None:
            return self.nodelist.render(context)
        key = (get_language(), get_script_prefix(), request.get_full_path(), context.template.name,
               tuple((item.get("url"), str(item.get("label")), item.get("active"), item.get("badge")) for item in nav),
               str(context.get("notifications_unread", "")), user.pk, getattr(user, "get_full_name", str)(),
               getattr(user, "get_username", str)())
        html = _shell_html.get(key)
        if html is None:
            with context.push(csrf_token=_PLACEHOLDER):
                html = str(self.nodelist.render(context))
            with _shell_lock:
                if len(_shell_html) >= SHELL_KEPT:
                    _shell_html.pop(next(iter(_shell_html)), None)
                _shell_html[key] = html
        return mark_safe(html.replace(_PLACEHOLDER, str(context.get("csrf_token", ""))))  # noqa: S308


@register.tag
def kept_shell(parser, token):
    nodelist = parser.parse(("endkept_shell",))
    parser.delete_first_token()
    return KeptShellNode(nodelist)

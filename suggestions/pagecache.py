"""The public form's empty page, drawn once per worker and reused (the busiest page residents open).

An empty form (a GET, no limit reached, no challenge, no message waiting, no query string) is the same HTML for
every sender of an estate but for the CSRF token: it is rendered with a placeholder in the token's place and
kept in this process's memory, under a key made of everything the page shows or depends on — the estate's
own values (code, name, its firm's name, the hotline and complaint phone), the language, the large-text
cookie and the path. Nothing is to be forgotten, then: a renamed estate or firm is another key (the estate
itself is read under the registry version, renewed by every save of an estate, firm or agency:
selectors/public.py ``estate_for_form``), and the templates do not change while the process runs (the cached
template loader; a deploy restarts the workers). Each answer gets its own token (``get_token``): in both
forms of the page (the language switch's and the suggestion form's), as the template would have drawn it.

A bounded LRU: a city's estates times its languages would otherwise grow without limit; a page that fell out
is drawn again.
"""

import secrets
import threading
from collections import OrderedDict

from django.contrib.messages import get_messages
from django.http import HttpResponse
from django.middleware.csrf import get_token
from django.template.loader import render_to_string
from django.utils import translation

MAX_PAGES = 1000
# Letters and digits only: drawn in an attribute value, the template's escaping leaves it as it is.
PLACEHOLDER = "csrfplaceholder" + secrets.token_hex(16)

_pages = OrderedDict()
_lock = threading.Lock()


def _key(request, estate):
    return (
        estate.pk, estate.code, estate.name, estate.firm_id, estate.firm.name if estate.firm_id else "",
        estate.effective_hotline, estate.effective_complaint_phone,
        translation.get_language(), request.COOKIES.get("public_large") == "1", request.path,
    )


def cacheable(request):
    """Whether this request's form page is the shared empty page (``limited``/``challenge`` asked by the view)."""
    return request.method == "GET" and not request.GET and not len(get_messages(request))


def empty_form(request, estate, template, context):
    """The response of the empty form of ``estate``: from this process's memory, or rendered once (``context()``
    gives the template's context) and kept."""
    key = _key(request, estate)
    with _lock:
        html = _pages.get(key)
        if html is not None:
            _pages.move_to_end(key)
    if html is None:
        html = render_to_string(template, {**context(), "csrf_token": PLACEHOLDER}, request=request)
        with _lock:
            _pages[key] = html
            while len(_pages) > MAX_PAGES:
                _pages.popitem(last=False)
    return HttpResponse(html.replace(PLACEHOLDER, get_token(request)))


def clear():
    with _lock:
        _pages.clear()

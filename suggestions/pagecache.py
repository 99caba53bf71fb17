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

The estate search's pages (``search_page``) are kept the same way, in an LRU of their own (so that a flood of
made-up queries cannot push the forms out), under the registry version and the query string as well.

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
MAX_SEARCH_PAGES = 500
# Letters and digits only: drawn in an attribute value, the template's escaping leaves it as it is.
PLACEHOLDER = "csrfplaceholder" + secrets.token_hex(16)


class _Pages:
    """A bounded LRU of rendered pages, each with PLACEHOLDER where its CSRF token goes."""

    def __init__(self, size):
        self.size, self.pages, self.lock = size, OrderedDict(), threading.Lock()

    def response(self, request, key, template, context):
        with self.lock:
            html = self.pages.get(key)
            if html is not None:
                self.pages.move_to_end(key)
        if html is None:
            html = render_to_string(template, {**context(), "csrf_token": PLACEHOLDER}, request=request)
            with self.lock:
                self.pages[key] = html
                while len(self.pages) > self.size:
                    self.pages.popitem(last=False)
        return HttpResponse(html.replace(PLACEHOLDER, get_token(request)))

    def __len__(self):
        return len(self.pages)

    def clear(self):
        with self.lock:
            self.pages.clear()


_pages = _Pages(MAX_PAGES)
_search_pages = _Pages(MAX_SEARCH_PAGES)


def _shell(request):
    """What every public page's shell shows of the request: the language, the large-text cookie, the path."""
    return (translation.get_language(), request.COOKIES.get("public_large") == "1", request.get_full_path())


def cacheable(request, *, query=False):
    """Whether this request's page may be a kept one: a GET, without a query string (unless ``query``: a search,
    whose query is part of the key) and without a message waiting to be shown."""
    return request.method == "GET" and (query or not request.GET) and not len(get_messages(request))


def empty_form(request, estate, policy, template, context):
    """The response of the empty form of ``estate`` promising the working days of ``policy`` (its deadline
    policy today): from this process's memory, or rendered once (``context()`` gives the template's context)
    and kept."""
    key = (estate.pk, estate.code, estate.name, estate.firm_id, estate.firm.name if estate.firm_id else "",
           estate.effective_hotline, estate.effective_complaint_phone,
           policy.acknowledge_workdays, policy.answer_workdays, *_shell(request))
    return _pages.response(request, key, template, context)


def search_page(request, version, template, context):
    """The estate search's page for this query and page, kept under the registry version ``version`` (renewed by
    every save or import of an estate, firm or agency: what the results show)."""
    return _search_pages.response(request, (version, *_shell(request)), template, context)


def clear():
    _pages.clear()
    _search_pages.clear()

"""Where the apps show themselves: the firm portal's navigation and the panels of the admin's landing page,
filled by the apps that own the pages.

core knows no domain app (.importlinter): each app registers its entries with ``register_portal_nav`` in
its own ``navigation.py``, which is imported on first use (as the admin imports every ``admin.py``), and
templates/portal/base.html renders ``portal_nav``
(core.context_processors.portal) in ``order``. Orders in use: 0 首页 and 90 企业信息 (estates: the portal's
shell), 10–30 the campaign pages, 40 公告打印 (documents). A later app picks a free number between them.

An entry is a URL name, a label and the view names that mark it as the current page; nothing is queried,
except by an entry that asks for a ``badge``: ``badge(request)`` returns a number to show beside the label
(e.g. the suggestion box's new and overdue entries), or 0/None for none. It runs on the portal's pages only
(``portal_nav`` is lazy) and should cost one query at most.

The admin's landing page of bureau staff (core/admin_site.py) shows each app's landing panel, in ``order``:
``register_landing_panel(order, key, template, build)`` — ``build(user=user)`` returns the panel's data
(put into the page's context as ``key``), ``template`` renders it inside the 我的工作台 box.
"""

from dataclasses import dataclass

from django.conf import settings
from django.urls import get_script_prefix, get_urlconf, reverse
from django.utils.module_loading import autodiscover_modules

from core import cache


@dataclass(frozen=True)
class NavEntry:
    order: int
    url_name: str
    label: object  # a gettext_lazy string: translated when the page renders
    active_views: tuple
    badge: object = None  # request -> int | None (see the module docstring)
    badge_keys: object = None  # request -> the cache keys ``badge`` reads (read ahead by ``prefetch``)


_portal = {}
_landing = {}
_discovered = False


def _discover():
    global _discovered
    if not _discovered:
        autodiscover_modules("navigation")
        _discovered = True


def register_portal_nav(order, url_name, label, *, active_views=(), badge=None, badge_keys=None):
    """Add (or, for the same URL name, replace) an entry of the portal's main navigation.

    ``active_views``: the view names (``namespace:name``) on which the entry is the current page;
    the entry's own URL name always is. ``badge``: see the module docstring; ``badge_keys(request)``: the keys
    of core/cache.py it reads, so that ``prefetch`` reads them with the page's own in one round trip."""
    _portal[url_name] = NavEntry(order=order, url_name=url_name, label=label,
                                 active_views=tuple(dict.fromkeys((url_name, *active_views))), badge=badge,
                                 badge_keys=badge_keys)


def unregister_portal_nav(url_name):
    _portal.pop(url_name, None)


def portal_entries():
    _discover()
    return sorted(_portal.values(), key=lambda e: (e.order, e.url_name))


_urls = {}


def _url(url_name):
    """``reverse(url_name)``, once per URL configuration and script prefix: an entry's URL takes no arguments,
    so it is the same on every request, and reversing the seven entries was a fifth of a small page's
    shell (reverse walks the resolver's lookups each time)."""
    key = (url_name, get_script_prefix(), get_urlconf() or settings.ROOT_URLCONF)
    url = _urls.get(key)
    if url is None:
        url = _urls[key] = reverse(url_name)
    return url


def portal_nav(request):
    """The entries as the template wants them: ``[{"url", "label", "active", "badge"}]``."""
    match = getattr(request, "resolver_match", None)
    current = match.view_name if match else ""
    return [{"url": _url(e.url_name), "label": e.label, "active": current in e.active_views,
             "badge": e.badge(request) if e.badge else None}
            for e in portal_entries()]


_page_keys = {}


def register_page_keys(name, keys):
    """Add (or, for the same name, replace) ``keys(request)``: cache keys every portal page reads outside the
    navigation's badges (the shell's unread count), for ``prefetch``."""
    _page_keys[name] = keys


def page_cache_keys(request):
    """The keys of core/cache.py the portal's shell reads on this request (badges, unread count)."""
    _discover()
    keys = []
    for entry in portal_entries():
        if entry.badge_keys:
            keys.extend(entry.badge_keys(request))
    for keys_of in _page_keys.values():
        keys.extend(keys_of(request))
    return keys


def prefetch(request, *keys):
    """Read the shell's keys and the page's own ``keys`` in one round trip, into the request's
    ``core.cache.snapshot()`` (call it inside one): the badges, the unread count and the page's version tokens
    then find their values there instead of asking the cache one by one."""
    cache.get_many([*page_cache_keys(request), *keys])


@dataclass(frozen=True)
class LandingPanel:
    order: int
    key: str
    template: str
    build: object


def register_landing_panel(order, key, template, build):
    """Add (or, for the same key, replace) a panel of the admin's landing page (see above)."""
    _landing[key] = LandingPanel(order=order, key=key, template=template, build=build)


def unregister_landing_panel(key):
    _landing.pop(key, None)


def landing_panels():
    _discover()
    return sorted(_landing.values(), key=lambda p: (p.order, p.key))

"""The portal's own "not found" page in development too.

With DEBUG on (``make run``), Django answers an ``Http404`` raised by a view with its technical
page: a yellow English dump of the URL patterns. The people trying the demo (a bureau officer, a
resident scanning a stale QR code) meet ordinary "not found" answers there — an estate code that no
longer exists, another district's record — and must see the page production shows
(templates/404.html). So a view's ``Http404`` always gets the configured 404 handler.

A URL that matches no pattern at all (``Resolver404``, raised before any view and never passed to
``process_exception``) keeps Django's technical page under DEBUG: that is a developer's typo, and the
list of patterns is what they need; without DEBUG it gets templates/404.html like everything else.
"""

from django.conf import settings
from django.http import Http404
from django.urls import get_resolver


class PortalNotFoundMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        return self.get_response(request)

    def process_exception(self, request, exception):
        if settings.DEBUG and isinstance(exception, Http404):
            handler = get_resolver(getattr(request, "urlconf", None)).resolve_error_handler(404)
            return handler(request, exception)
        return None

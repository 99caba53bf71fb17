"""Request guards: parameters no view can use answer 400 before any view or query runs.

One place for the whole class of "a bad parameter gives a 500" (see tests/test_bad_parameters.py):

- A NUL character anywhere in the path, a query or a form (key or value) is refused. No text the
  portal stores or looks up contains one, PostgreSQL refuses it in every string ("A string literal
  cannot contain NUL"), and inside a transaction that error would also poison what follows.
- A number too large for a 64-bit column reaching a query (a list filter ``?id__exact=1e25`` or an
  object id of 25 digits) makes SQLite raise ``OverflowError`` (PostgreSQL compares it as numeric and
  finds nothing). Django's own lookups handle it on exact/gt/lt..., but not every path does (``__in``,
  raw values in a filter's ``queryset()``), so the exception, when raised by the database driver while
  serving a request, answers 400 instead of 500: the request, not the server, was wrong.

Both raise ``django.core.exceptions.BadRequest``, so the answer is the portal's own 400 page.
"""

import logging

from django.core.exceptions import BadRequest

logger = logging.getLogger(__name__)

NUL = "\x00"


def _has_nul(querydict):
    for key, values in querydict.lists():
        if NUL in key or any(isinstance(v, str) and NUL in v for v in values):
            return True
    return False


class BadParameterMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        if NUL in request.path_info or _has_nul(request.GET):
            return self._refuse(request, "NUL character in the URL")
        if request.method == "POST" and request.content_type in (
            "application/x-www-form-urlencoded", "multipart/form-data",
        ) and _has_nul(request.POST):
            return self._refuse(request, "NUL character in the form")
        return self.get_response(request)

    def process_exception(self, request, exception):
        if isinstance(exception, OverflowError) and _from_database(exception):
            return self._refuse(request, str(exception))
        return None

    def _refuse(self, request, why):
        from django.core.handlers.exception import response_for_exception

        logger.info("400 for %s: %s", request.path, why)
        return response_for_exception(request, BadRequest(why))


def _from_database(exception):
    """True if the OverflowError was raised while the database driver bound a parameter."""
    traceback = exception.__traceback__
    while traceback is not None:
        module = traceback.tb_frame.f_globals.get("__name__", "")
        if module.startswith("django.db.backends"):
            return True
        traceback = traceback.tb_next
    return False

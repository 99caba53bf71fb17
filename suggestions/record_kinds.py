"""The suggestion box as a record kind of the campaigns (campaigns/record_kinds.py).

A task with ``record_kind = "suggestion_box"`` ("set up a suggestion box at the estate's entrance")
is satisfied per estate by the box being open online — the estate is active, so its public form
takes entries — and its poster printed within the obligation's period (PosterPrint rows, written
by suggestions/poster_services.py, which calls ``records_changed``). Registered from
``SuggestionsConfig.ready``.
"""

from django.urls import NoReverseMatch, reverse
from django.utils.translation import gettext_lazy as _

from campaigns import record_kinds

KIND = "suggestion_box"


def _file_url(obligation):
    try:
        return {"url": reverse("suggestions:posters"), "label": _("打印意见箱海报")}
    except NoReverseMatch:
        return None


def register():
    from .models import PosterPrint

    prints = record_kinds.DatedRecords(
        lambda: PosterPrint.objects.filter(estate__is_active=True).select_related("estate"),
        parties={"estate": "estate"}, date_field="printed_on", order_by=["-printed_on", "-pk"])
    record_kinds.register(record_kinds.RecordKindSpec(
        key=KIND, label=_("网上意见箱（开通并张贴海报）"), file_url=_file_url, **prints.hooks()))

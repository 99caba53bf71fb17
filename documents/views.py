"""Printing pages: one notice as a PDF, the firm portal's print page, and the batch start."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.utils.functional import SimpleLazyObject
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy as _lazy
from django.views.decorators.http import require_http_methods

from accounts.decorators import firm_user_required
from core.text import join_messages
from estates import selectors as estate_selectors

from . import selectors, services
from .forms import NoticeBatchForm
from .models import NoticeKind


def pdf_response(pdf, filename, *, inline=True):
    from django.utils.http import content_disposition_header

    response = HttpResponse(pdf, content_type="application/pdf")
    response["Content-Disposition"] = content_disposition_header(not inline, filename)
    return response


@login_required
def notice_pdf(request, code, kind):
    """One notice for one estate, rendered in the request (a page takes well under a second)."""
    if kind not in NoticeKind.values:
        raise Http404
    estates = selectors.print_estates(user=request.user, codes=[code])
    campaign = None
    if request.GET.get("campaign"):
        campaign = selectors.campaign_get(user=request.user, pk=request.GET["campaign"])
    pdf = services.notices_pdf(kinds=[kind], campaign=campaign, estates=estates)
    estate = estates.get()
    return pdf_response(pdf, f"{estate.name}-{NoticeKind(kind).label}.pdf")


@firm_user_required
@require_http_methods(["GET", "POST"])
def portal_documents(request):
    """The firm's print page: every notice for one of its estates, or all of them as one PDF."""
    user = request.user
    # Built only when the page's cached part is missing (a GET), or to check what was posted.
    form = SimpleLazyObject(lambda: NoticeBatchForm(user=user, initial={"firm": user.firm_id}))
    if request.method == "POST":
        data = request.POST.copy()
        data["firm"] = str(user.firm_id)  # a firm prints for its own estates only
        for name in ("district", "street", "codes"):
            data.pop(name, None)
        form = NoticeBatchForm(data, user=user)
        if form.is_valid():
            try:
                job = services.notices_batch_start(
                    user=user, kinds=form.cleaned_data["kinds"], campaign=form.cleaned_data["campaign"],
                    scope={"firm_id": user.firm_id},
                )
            except ValidationError as exc:
                messages.error(request, join_messages(exc.messages))
            else:
                return redirect("jobs:detail", pk=job.pk)
    # The form and the table are cached as rendered HTML (core/templatetags/portal_forms.py cached_fragment),
    # keyed on the registry version (any save of an estate, firm or agency, or an import, renews it: the rows,
    # their phones) and on what the page shows of each campaign (one small query): a repeated view reads no
    # estate. A submitted form is rendered afresh, with what was chosen and its errors.
    campaigns = list(selectors.campaign_list(user=user).values_list("pk", "year", "name", "status"))
    return render(request, "documents/portal.html", {
        "form": form,
        "estates": SimpleLazyObject(lambda: list(selectors.print_estates(user=user, firm_id=user.firm_id))),
        "first_campaign": campaigns[0][0] if campaigns else None,
        "kinds": NoticeKind.choices,
        "fragment_key": None if request.method == "POST" else estate_selectors.registry_cache_key(
            "print-page", user.firm_id, *campaigns),
    })


def start_batch_from_form(request, form):
    """Shared by the admin print page: start the job or put the error on the form."""
    try:
        return services.notices_batch_start(
            user=request.user, kinds=form.cleaned_data["kinds"], campaign=form.cleaned_data["campaign"],
            scope=form.scope(),
        )
    except ValidationError as exc:
        form.add_error(None, exc)
    except Http404:
        form.add_error(None, _("所选小区不存在或不在您的管辖范围内。"))
    return None


EXPORT_FILTER_LABELS = {
    "overdue": _lazy("已逾期"), "due7": _lazy("7 天内到期"), "returned": _lazy("已退回"),
    "submitted": _lazy("待审核"), "accepted": _lazy("已通过"), "open": _lazy("待完成"),
}


def _int_or_none(value):
    try:
        return int(value) if value not in (None, "") else None
    except (TypeError, ValueError):
        raise Http404


@login_required
@require_http_methods(["GET", "POST"])
def obligations_export(request):
    """Excel of the user's obligations, filtered like the lists (?campaign=&filter=&district=&street=&firm=).

    GET shows what will be exported; POST queues the job and goes to its progress page.
    Lists link here with their own query string.
    """
    from campaigns import selectors as campaign_selectors

    source = request.POST if request.method == "POST" else request.GET
    user = request.user
    campaign = campaign_selectors.campaign_get(user=user, pk=source["campaign"]) if source.get("campaign") else None
    ids = {name: _int_or_none(source.get(name)) for name in ("district", "street", "firm")}
    narrow = services.export_narrowing(user=user, district_id=ids["district"], street_id=ids["street"],
                                       firm_id=ids["firm"])
    filter_name = source.get("filter") if source.get("filter") in services.EXPORT_FILTERS else None
    if request.method == "POST":
        job = services.obligations_export_start(
            user=user, campaign=campaign, filter=filter_name, district_id=ids["district"], street_id=ids["street"],
            firm_id=ids["firm"],
        )
        return redirect("jobs:detail", pk=job.pk)
    count = campaign_selectors.obligation_search(user=user, campaign=campaign, filter=filter_name, **narrow).count()
    return render(request, "documents/export.html", {
        "base_template": "portal/base.html" if user.firm_id else "core/job_base.html",
        "campaign": campaign, "filter": EXPORT_FILTER_LABELS.get(filter_name), "narrow": narrow, "count": count,
        "params": source,
    })

"""Printing pages: one notice as a PDF, the firm portal's print page, and the batch start."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods

from accounts.decorators import firm_user_required

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
    form = NoticeBatchForm(request.POST or None, user=user, initial={"firm": user.firm_id})
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
                messages.error(request, "；".join(exc.messages))
            else:
                return redirect("jobs:detail", pk=job.pk)
    estates = selectors.print_estates(user=user, firm_id=user.firm_id)
    return render(request, "documents/portal.html", {
        "form": form,
        "estates": estates,
        "campaigns": selectors.campaign_list(user=user),
        "kinds": NoticeKind.choices,
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

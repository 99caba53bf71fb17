"""Bureau-side pages of the suggestion box outside the admin: the public league table, and the poster
downloads (a firm user for its estates in the portal, bureau staff for the estates of their area).

Each view parses input, makes one selector or service call and renders."""

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.cache import cache
from django.core.exceptions import ValidationError
from django.http import Http404, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.functional import SimpleLazyObject
from django.utils.http import content_disposition_header
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from core.text import join_messages
from estates import scoping
from estates import selectors as estate_selectors
from estates.models import Agency

from . import poster_services, posters
from .bureau_forms import date_range_form
from .selectors import stats

# --- the public league table ---------------------------------------------------------------------


@require_GET
def league_index(request):
    """The districts that have a league table (every district), by city."""
    districts = Agency.objects.filter(level=Agency.Level.DISTRICT).select_related("parent") \
        .order_by("path").only("pk", "name", "short_name", "path", "parent__name", "parent__short_name")
    return render(request, "suggestions/league_index.html", {"districts": districts})


def _league_rows(district, date_range):
    """The ranking, cached briefly (SUGGESTION_LEAGUE_CACHE_SECONDS): figures lag by at most that."""
    key = f"suggestions:league:{district.pk}:{date_range.start}:{date_range.end}"
    rows = cache.get(key)
    if rows is None:
        rows = stats.league(district=district, date_range=date_range,
                            minimum=settings.SUGGESTION_LEAGUE_MIN_ENTRIES)
        cache.set(key, rows, settings.SUGGESTION_LEAGUE_CACHE_SECONDS)
    return rows


@require_GET
def league(request, district_id):
    district = get_object_or_404(Agency.objects.select_related("parent"), pk=district_id,
                                 level=Agency.Level.DISTRICT)
    form, date_range = date_range_form(request.GET)
    ranked, unranked = _league_rows(district, date_range)
    return render(request, "suggestions/league.html", {
        "district": district, "form": form, "date_range": date_range, "ranked": ranked, "unranked": unranked,
        "minimum": settings.SUGGESTION_LEAGUE_MIN_ENTRIES,
        "cache_minutes": max(1, settings.SUGGESTION_LEAGUE_CACHE_SECONDS // 60),
    })


# --- posters -------------------------------------------------------------------------------------


def _pdf(pdf, filename):
    response = HttpResponse(pdf, content_type="application/pdf")
    response["Content-Disposition"] = content_disposition_header(True, filename)
    return response


def _poster_page_context(user):
    if user.firm_id:
        # The table of the firm's estates is a cached fragment (core/templatetags/portal_forms.py) under the
        # registry version (renewed by every save or import of an estate, firm or agency): the estates are read
        # only when it is drawn.
        return {"estates": SimpleLazyObject(lambda: posters.poster_estates(user=user, firm_id=user.firm_id)),
                "estates_key": estate_selectors.registry_cache_key("suggestion-posters", user.pk, user.firm_id),
                "base": "portal/base.html"}
    streets = estate_selectors.agency_list(user=user).filter(level=Agency.Level.STREET).order_by("path")
    firms = estate_selectors.firm_list(user=user).order_by("name")
    return {"streets": streets, "firms": firms, "base": "core/job_base.html"}


@login_required
def poster_page(request):
    """The firm: each of its estates' poster, or all in one PDF. Staff: a street's or a firm's estates in
    one PDF, or one estate by its code."""
    user = request.user
    if not (user.firm_id or user.agency_id or user.is_superuser):
        raise Http404
    return render(request, "suggestions/posters.html", _poster_page_context(user))


@login_required
def poster_pdf(request, code):
    """One estate's poster, in the user's scope (404 otherwise); the print is recorded."""
    pdf, estate = poster_services.poster_pdf(user=request.user, code=code)
    return _pdf(pdf, _("%(name)s-网上意见箱海报.pdf") % {"name": estate.name})


@login_required
@require_POST
def poster_batch(request):
    """Start the batch (one PDF) of the firm's own estates, or of a street or firm of the staff's area."""
    user = request.user
    if user.firm_id:
        scope = {"firm_id": user.firm_id}
    elif request.POST.get("street", "").isdigit():
        scope = {"street_id": int(request.POST["street"])}
    elif request.POST.get("firm", "").isdigit():
        scope = {"firm_id": int(request.POST["firm"])}
    elif request.POST.get("code", "").strip():
        code = request.POST["code"].strip().upper()
        scoping.get_or_404(estate_selectors.estate_list(user=user), code=code)
        return redirect("suggestions:poster_pdf", code=code)
    else:
        messages.error(request, _("请选择街道或物业企业，或填写小区编码。"))
        return redirect("suggestions:posters")
    try:
        job = poster_services.posters_batch_start(user=user, scope=scope)
    except ValidationError as exc:
        messages.error(request, join_messages(exc.messages))
        return redirect("suggestions:posters")
    return redirect("jobs:detail", pk=job.pk)

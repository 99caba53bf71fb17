"""The suggestion box's poster: an A4 page per estate to put up at its entrance (core/pdf.py, WeasyPrint).

"网上意见箱", the estate's name, a QR code (segno, inline SVG) to the estate's public form, the
estate's hotline and complaint phone, and the working-day promise of its deadline policy. A batch
(all estates of a firm or a street) is ONE PDF, one page per estate (core.pdf.render_documents_pdf:
single and batch output are the same).
"""

import segno
from django.conf import settings
from django.core.exceptions import ValidationError
from django.http import Http404
from django.urls import NoReverseMatch, reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from core.pdf import render_documents_pdf
from estates import scoping
from estates import selectors as estate_selectors
from estates.models import Agency

from . import deadlines

FRAGMENT = "print/suggestions_poster.html"


def form_url(code):
    """The public form of an estate, absolute (what the QR code opens)."""
    try:
        path = reverse("suggestions:suggest", args=[code])
    except NoReverseMatch:  # the public pages not mounted: their documented address
        path = f"/e/{code}/suggest/"
    return settings.SITE_URL.rstrip("/") + path


def qr_svg(url):
    # Inline SVG, crisp at any size; error level "m" survives a scuffed poster.
    return segno.make(url, error="m", micro=False).svg_inline(scale=1, border=2, svgclass="qr-code", lineclass=None)


def poster_estates(*, user, codes=None, firm_id=None, street_id=None):
    """The active estates to print posters for, in the user's scope; a firm or street outside it is 404."""
    estates = estate_selectors.estate_list(user=user).filter(is_active=True)
    if firm_id is not None:
        estates = estates.filter(firm=estate_selectors.firm_get(user=user, pk=firm_id))
    if street_id is not None:
        street = scoping.get_or_404(estate_selectors.agency_list(user=user), pk=street_id, level=Agency.Level.STREET)
        estates = estates.filter(street=street)
    if codes is not None:
        codes = {c.strip().upper() for c in codes if c and c.strip()}
        estates = estates.filter(code__in=codes)
        if estates.count() != len(codes):
            raise Http404
    return estates.order_by("district__path", "street__path", "code")


def poster_context(estate, *, today):
    policy = deadlines.policy_for(estate, on=today)
    url = form_url(estate.code)
    return {
        "estate_name": estate.name,
        "estate_code": estate.code,
        "address": estate.address,
        "firm_name": estate.firm.name if estate.firm_id else "",
        "hotline": estate.effective_hotline,
        "complaint_phone": estate.effective_complaint_phone,
        "form_url": url,
        "qr_svg": qr_svg(url),
        "acknowledge_workdays": policy.acknowledge_workdays,
        "answer_workdays": policy.answer_workdays,
    }


def posters_pdf(estates, *, progress=None, today=None):
    """The posters of ``estates`` (a queryset) as ONE PDF; ValidationError when there are none."""
    today = today or timezone.localdate()
    contexts = [poster_context(estate, today=today) for estate in estates.iterator(chunk_size=500)]
    if not contexts:
        raise ValidationError(_("所选范围内没有在册的小区。"))
    return render_documents_pdf(FRAGMENT, contexts, title=_("网上意见箱海报"), progress=progress)

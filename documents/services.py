"""Writes of the documents app (notice texts) and the builders of printed notices."""

import segno
from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from campaigns import selectors as campaign_selectors
from core.jobs import job_start
from core.pdf import render_documents_pdf, render_pdf
from core.text import join_list
from core.timelimit import call_with_time_limit
from estates import scoping
from estates import selectors as estate_selectors
from estates.models import Agency

from . import selectors
from .charts import completion_bars, deadline_timeline
from .models import NoticeKind, NoticeTemplate
from .placeholders import render_text, text_to_html


def notice_template_save(*, user, kind, title, body, campaign=None, template=None):
    """Create or update the text of one notice kind for a campaign (or the generic one)."""
    with transaction.atomic():
        if template is None:
            template = NoticeTemplate.objects.select_for_update().filter(campaign=campaign, kind=kind).first()
        if template is None:
            template = NoticeTemplate(campaign=campaign, kind=kind)
        template.title, template.body, template.updated_by = title, body, user
        template.full_clean()
        template.save()
    return template


def notice_templates_copy_defaults(*, user, campaign):
    """Give a campaign its own editable copy of every notice text it does not have yet."""
    created = []
    with transaction.atomic():
        existing = set(NoticeTemplate.objects.filter(campaign=campaign).values_list("kind", flat=True))
        for kind in NoticeKind.values:
            if kind in existing:
                continue
            title, body = selectors.notice_template_for(campaign=None, kind=kind)
            row = NoticeTemplate(campaign=campaign, kind=kind, title=title, body=body, updated_by=user)
            row.full_clean()
            row.save()
            created.append(row)
    return created


def _qr_svg(url):
    # Inline SVG: crisp at any print resolution, no image file for the renderer to fetch.
    return segno.make(url, error="m", micro=False).svg_inline(scale=1, border=2, svgclass="qr-code", lineclass=None)


def notice_documents(*, kinds, campaign, estates, today=None, texts=None):
    """One context per (estate, kind) for print/notices/notice.html, in print order.

    ``texts`` ({kind: (title, body)}) overrides the stored texts (the admin preview).
    """
    today = today or timezone.localdate()
    kinds = [NoticeKind(k) for k in kinds]
    texts = {kind: (texts or {}).get(kind) or selectors.notice_template_for(campaign=campaign, kind=kind)
             for kind in kinds}
    campaign_values = selectors.campaign_values(campaign)
    tasks = (
        selectors.campaign_tasks_for_estates(campaign=campaign, estates=estates)
        if NoticeKind.CAMPAIGN_NOTICE in kinds else {}
    )
    for estate in estates.iterator(chunk_size=500):
        values = selectors.estate_values(estate, campaign_values=campaign_values, today=today)
        for kind in kinds:
            title, body = texts[kind]
            yield {
                "kind": kind.value,
                "notice_template": f"print/notices/{kind.value}.html",
                "title": render_text(title, values).strip(),
                "body_html": text_to_html(render_text(body, values)),
                "estate": values["estate"],
                "firm": values["firm"],
                "office": values["office"],
                "campaign": values["campaign"],
                "today": values["today"],
                "qr_svg": _qr_svg(values["estate"]["public_url"]) if kind == NoticeKind.OPEN_LETTER else "",
                "tasks": tasks.get(estate.pk, []),
            }


def notices_pdf(*, kinds, campaign, estates, progress=None, texts=None, **options):
    """All notices of ``kinds`` for ``estates`` as ONE PDF (one page group per notice)."""
    documents = list(notice_documents(kinds=kinds, campaign=campaign, estates=estates, texts=texts))
    if not documents:
        raise ValidationError(_("所选范围内没有在册的小区。"))
    return render_documents_pdf(
        "print/notices/notice.html", documents, title=_("公告"), progress=progress, **options
    )



def notice_preview_pdf(*, template, estates):
    """A stored text as it prints for the given estates (the admin's preview link).

    The text is bounded when saved (documents.placeholders), and the PDF is laid out in a
    child process killed after ``settings.NOTICE_PREVIEW_TIME_LIMIT`` seconds (raises
    ``core.timelimit.TimeLimitExceeded``): a request never waits on the renderer longer
    than that, whatever the text. Everything from the database is read here, before the
    child starts (see core.timelimit).
    """
    kind = NoticeKind(template.kind)
    documents = list(notice_documents(kinds=[kind], campaign=template.campaign, estates=estates,
                                      texts={kind: (template.title, template.body)}))
    if not documents:
        raise ValidationError(_("所选范围内没有在册的小区。"))
    return call_with_time_limit(render_documents_pdf, "print/notices/notice.html", documents, title=str(_("公告")),
                                seconds=settings.NOTICE_PREVIEW_TIME_LIMIT)


def _batch_title(*, kinds, estates_count, scope_label):
    names = join_list(NoticeKind(k).label for k in kinds)
    return _("%(names)s · %(scope)s（%(n)s 个小区）") % {"names": names, "scope": scope_label, "n": estates_count}


def notices_batch_start(*, user, kinds, campaign=None, scope):
    """Check the selection in the request (404 outside the user's scope), then queue the batch.

    ``scope`` is one of ``{"firm_id": ..}``, ``{"street_id": ..}``, ``{"district_id": ..}``
    or ``{"codes": [...]}``; the worker applies it again for the same user.
    """
    kinds = [NoticeKind(k).value for k in kinds]
    estates = selectors.print_estates(user=user, **scope)
    count = estates.count()
    if not count:
        raise ValidationError(_("所选范围内没有在册的小区。"))
    label_field = {"firm_id": "firm__name", "street_id": "street__name", "district_id": "district__name"}
    field = next((label_field[key] for key in scope if key in label_field), "name")
    label = estates.values_list(field, flat=True).first() if field != "name" or count == 1 else _("所选小区")
    return job_start(
        kind="documents.letters_batch",
        user=user,
        params={"kinds": kinds, "campaign_id": campaign.pk if campaign else None, "scope": scope},
        title=_batch_title(kinds=kinds, estates_count=count, scope_label=label),
    )


def campaign_report_context(*, user, campaign, agency, as_of):
    """(context, title) of the campaign summary report: data, charts and labels."""
    data = selectors.campaign_report_data(user=user, campaign=campaign, agency=agency, as_of=as_of)
    area_rows = data["by_district"] if data["is_city"] else data["by_street"]
    data.update(
        area=agency.display_name,
        area_chart=completion_bars(area_rows),
        timeline_chart=deadline_timeline(data["timeline"], start=campaign.start_date, end=campaign.end_date,
                                         as_of=as_of),
    )
    title = _("%(campaign)s进展情况报告（%(area)s）") % {"campaign": campaign.name, "area": agency.display_name}
    return data, title


def campaign_report_pdf(*, user, campaign, agency, as_of, progress=None):
    """The campaign summary report for ``agency`` (city: every district; district: its area)."""
    context, title = campaign_report_context(user=user, campaign=campaign, agency=agency, as_of=as_of)
    if progress:
        progress(40)
    pdf = render_pdf("print/campaign_report.html", context, issuer=agency.name, title=title)
    if progress:
        progress(95)
    return pdf


def campaign_report_start(*, user, campaign, agency, as_of):
    """Check the choice in the request (404 outside the user's scope), then queue the report."""
    campaign = selectors.campaign_get(user=user, pk=campaign.pk)
    agency = scoping.get_or_404(selectors.report_agencies(user=user), pk=agency.pk)
    title = _("%(campaign)s进展情况报告（%(area)s，%(date)s）") % {
        "campaign": campaign.name, "area": agency.display_name, "date": as_of.isoformat()}
    return job_start(
        kind="documents.campaign_report", user=user, title=title,
        params={"campaign_id": campaign.pk, "agency_id": agency.pk, "as_of": as_of.isoformat()},
    )


EXPORT_FILTERS = ("overdue", "due7", "returned", "submitted", "accepted", "open")


def export_narrowing(*, user, district_id=None, street_id=None, firm_id=None):
    """Objects to narrow an export by, each checked against the user's scope (404 otherwise)."""
    narrow = {}
    agencies = estate_selectors.agency_list(user=user)
    if district_id:
        narrow["district"] = scoping.get_or_404(agencies, pk=district_id, level=Agency.Level.DISTRICT)
    if street_id:
        narrow["street"] = scoping.get_or_404(agencies, pk=street_id, level=Agency.Level.STREET)
    if firm_id:
        narrow["firm"] = estate_selectors.firm_get(user=user, pk=firm_id)
    return narrow


def obligations_export_start(*, user, campaign=None, filter=None, district_id=None, street_id=None, firm_id=None):
    """Queue an Excel export of the user's obligations (filtered like the lists)."""
    if campaign is not None:
        campaign = campaign_selectors.campaign_get(user=user, pk=campaign.pk)
    export_narrowing(user=user, district_id=district_id, street_id=street_id, firm_id=firm_id)
    filter = filter if filter in EXPORT_FILTERS else None
    label = campaign.name if campaign else _("全部活动")
    title = _("任务责任清单（%(label)s）") % {"label": label}
    from campaigns.jobs import obligations_export_start as campaign_export_start

    # The campaign engine's one obligation export job, with the search of this page (selectors.obligation_search).
    return campaign_export_start(
        user=user, title=title, campaign=campaign.pk if campaign else None, filter=filter,
        district=district_id, street=street_id, firm=firm_id, area=True, order="deadline",
    )

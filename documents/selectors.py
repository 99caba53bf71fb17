"""Reads for printed documents. Every function takes the user and returns only what they may see."""

import datetime

from django.conf import settings
from django.db.models import Count, Max, Min, Q, Sum
from django.http import Http404
from django.urls import reverse
from django.utils import formats, timezone
from django.utils.translation import gettext as _

from campaigns import selectors as campaign_selectors
from campaigns.models import Obligation, Task
from estates import scoping
from estates import selectors as estate_selectors
from estates.models import Agency

from .defaults import DEFAULTS
from .models import NoticeKind, NoticeTemplate


def campaign_list(*, user):
    """Campaigns the user may print for: the campaign engine's own visibility rule."""
    return campaign_selectors.campaign_list(user=user)


def campaign_get(*, user, pk):
    return campaign_selectors.campaign_get(user=user, pk=pk)


def print_estates(*, user, codes=None, firm_id=None, street_id=None, district_id=None):
    """The estates to print for, scoped to the user.

    The selection (a firm, a street or a district) must itself be visible to the user:
    another district's street answers 404, so a URL cannot be used to probe.
    """
    estates = estate_selectors.estate_list(user=user).filter(is_active=True)
    if firm_id is not None:
        firm = estate_selectors.firm_get(user=user, pk=firm_id)
        estates = estates.filter(firm=firm)
    if street_id is not None:
        street = scoping.get_or_404(estate_selectors.agency_list(user=user), pk=street_id, level=Agency.Level.STREET)
        estates = estates.filter(street=street)
    if district_id is not None:
        district = scoping.get_or_404(
            estate_selectors.agency_list(user=user), pk=district_id, level=Agency.Level.DISTRICT
        )
        estates = estates.filter(district=district)
    if codes is not None:
        codes = [c.strip().upper() for c in codes if c and c.strip()]
        estates = estates.filter(code__in=codes)
        if estates.count() != len(set(codes)):
            raise Http404
    return estates.order_by("district__path", "street__path", "code")


def notice_template_for(*, campaign, kind):
    """(title, body) for a campaign: its own text, else the generic one, else the built-in default."""
    rows = {
        (row.campaign_id is not None): row
        for row in NoticeTemplate.objects.filter(Q(campaign=campaign) | Q(campaign__isnull=True), kind=kind)
        if campaign is not None or row.campaign_id is None
    }
    row = rows.get(True) or rows.get(False)
    if row is not None:
        return row.title, row.body
    return DEFAULTS[NoticeKind(kind)]


def _date(value):
    return formats.date_format(value, "DATE_FORMAT") if value else ""


def public_estate_url(code):
    """The resident page the QR code of a notice opens (estates.public_urls)."""
    return settings.SITE_URL + reverse("public:estate", args=[code])


def campaign_values(campaign):
    """Plain values of a campaign for notice texts (see documents/placeholders.py)."""
    if campaign is None:
        return {"name": "文明物业创建活动", "year": "", "document_number": "", "issuer": "物业主管部门",
                "start_date": "", "end_date": ""}
    return {
        "name": campaign.name,
        "year": str(campaign.year),
        "document_number": campaign.document_number,
        "issuer": campaign.issuing_agency.name,
        "start_date": _date(campaign.start_date),
        "end_date": _date(campaign.end_date),
    }


def estate_values(estate, *, campaign_values, today):
    """Plain values of one estate (with its firm) for notice texts. Never model instances."""
    firm = estate.firm
    office = f"{estate.name}物业服务中心"
    return {
        "estate": {
            "name": estate.name,
            "code": estate.code,
            "address": estate.address,
            "district": estate.district.display_name,
            "street": estate.street.display_name,
            "community": estate.community.display_name if estate.community_id else "",
            "households": estate.households,
            "hotline": estate.effective_hotline,
            "complaint_phone": estate.effective_complaint_phone,
            "public_url": public_estate_url(estate.code),
        },
        "firm": {
            "name": firm.name if firm else "",
            "grade": firm.get_grade_display() if firm else "",
            "address": firm.address if firm else "",
            "hotline": firm.hotline if firm else "",
            "complaint_phone": firm.complaint_phone if firm else "",
        },
        "office": {"name": office},
        "campaign": campaign_values,
        "today": _date(today),
    }


def campaign_tasks_for_estates(*, campaign, estates):
    """{estate_id: [task row, ...]} — the campaign's tasks that concern each estate.

    A row is one task with its first and last due date and number of periods, for the
    estate itself and for the firm that manages it. Three queries whatever the number of
    estates.
    """
    if campaign is None:
        return {}
    estate_firm = dict(estates.values_list("pk", "firm_id"))
    by_estate = (
        Obligation.objects.filter(campaign=campaign, estate_id__in=estates.values("pk"))
        .values("estate_id", "task_id")
        .annotate(first_due=Min("due_date"), last_due=Max("due_date"), periods=Count("pk"))
    )
    by_firm = (
        Obligation.objects.filter(campaign=campaign, firm_id__in=estates.values("firm_id"))
        .values("firm_id", "task_id")
        .annotate(first_due=Min("due_date"), last_due=Max("due_date"), periods=Count("pk"))
    )
    estate_rows, firm_rows, task_ids = {}, {}, set()
    for row in by_estate:
        estate_rows.setdefault(row["estate_id"], []).append(row)
        task_ids.add(row["task_id"])
    for row in by_firm:
        firm_rows.setdefault(row["firm_id"], []).append(row)
        task_ids.add(row["task_id"])
    tasks = {t.pk: t for t in Task.objects.filter(pk__in=task_ids).select_related("action")}

    def shape(row, party):
        task = tasks[row["task_id"]]
        return {
            "action": task.action.name,
            "action_order": task.action.order,
            "order": task.order,
            "title": task.title,
            "requirement": task.requirement,
            "party": party,
            "recurrence": task.get_recurrence_display(),
            "min_count": task.min_count,
            "periods": row["periods"],
            "first_due": row["first_due"],
            "last_due": row["last_due"],
        }

    result = {}
    for estate_id, firm_id in estate_firm.items():
        rows = [shape(r, _("小区")) for r in estate_rows.get(estate_id, [])]
        rows += [shape(r, _("企业")) for r in firm_rows.get(firm_id, [])]
        rows.sort(key=lambda r: (r["action_order"], r["order"], r["party"]))
        result[estate_id] = rows
    return result


# --- campaign summary report ---------------------------------------------------------------------

OVERDUE_LIST_LIMIT = 150
# The city report is a summary: it lists the streets and firms furthest behind; every
# street and firm is in its district's report and in the Excel exports.
CITY_RANKING_LIMIT = 30


def _furthest_behind(rows, limit):
    """The ``limit`` rows with the lowest completion (most overdue first among equals)."""
    return sorted(rows, key=lambda r: (r["done_pct"], -r["overdue"], str(r["label"])))[:limit]
TRAINING_LIST_LIMIT = 40


def report_agencies(*, user):
    """Agencies a report can be made for: the city or a district inside the user's scope."""
    return estate_selectors.agency_list(user=user).filter(level__in=[Agency.Level.CITY, Agency.Level.DISTRICT])


def campaign_report_data(*, user, campaign, agency, as_of):
    """Everything the campaign summary report prints, built on the campaign engine's selectors.

    ``agency`` is the city (every district) or one district (its area only); rows are also
    scoped to ``user``. Overdue is judged at ``as_of``; for a past ``as_of`` the states are
    those obligations had at the end of that day (their ObligationEvent history), so work
    accepted later shows as still open. A fixed number of queries whatever the size of the city.
    """
    from campaigns.models import Activity

    narrow = {"district": agency} if agency.level == Agency.Level.DISTRICT else {}
    history_at = None
    if as_of < timezone.localdate():
        history_at = timezone.make_aware(datetime.datetime.combine(as_of, datetime.time.max))
    kwargs = {"user": user, "campaign": campaign, "today": as_of, **narrow}
    totals = campaign_selectors.campaign_totals(history_at=history_at, **kwargs)
    by_action = campaign_selectors.progress(by="action", history_at=history_at, **kwargs)
    by_task = campaign_selectors.progress(by="task", history_at=history_at, **kwargs)
    by_district = campaign_selectors.progress(by="district", history_at=history_at, **kwargs)
    by_street = campaign_selectors.progress(by="street", history_at=history_at, **kwargs)
    by_firm = campaign_selectors.progress(by="firm", history_at=history_at, **kwargs)

    street_count, firm_count = len(by_street), len(by_firm)
    if agency.level == Agency.Level.CITY:
        by_street = _furthest_behind(by_street, CITY_RANKING_LIMIT)
        by_firm = _furthest_behind(by_firm, CITY_RANKING_LIMIT)

    if history_at is None:
        overdue = campaign_selectors.overdue_list(**kwargs)
    else:
        overdue = campaign_selectors.overdue_at(history_at=history_at, **kwargs)
    overdue_count = totals["overdue"]
    overdue_rows = list(overdue.order_by("due_date", "district__path", "estate__code", "pk")[:OVERDUE_LIST_LIMIT])
    for row in overdue_rows:
        if history_at is not None:
            row.state = row.state_then  # the list prints the state of the report date
    # Overdue by task and district: the matrix behind the list, one GROUP BY.
    matrix_rows = (
        overdue.order_by().values("task_id", "district_id").annotate(n=Count("pk"))
    )
    matrix = {}
    for row in matrix_rows:
        matrix.setdefault(row["task_id"], {})[row["district_id"]] = row["n"]
    districts = [(row["key"], row["label"]) for row in by_district]
    overdue_matrix = [
        {"label": task["label"], "cells": [matrix.get(task["key"], {}).get(d, 0) for d, _label in districts],
         "total": sum(matrix.get(task["key"], {}).values())}
        for task in by_task if matrix.get(task["key"])
    ]

    tasks = {t.pk: t for t in Task.objects.filter(action__campaign=campaign).only("window_start", "deadline")}
    timeline = [
        {"label": row["label"], "window_start": tasks[row["key"]].window_start,
         "deadline": tasks[row["key"]].deadline, "done_pct": row["done_pct"]}
        for row in sorted(by_task, key=lambda r: (r["deadline"], r["order"]))
        if row["key"] in tasks
    ]

    # Trainings and activities held from the campaign's start to the report date, in the area.
    span = (campaign.start_date, as_of)
    area_agencies = Q(organiser_agency__path__startswith=agency.path)
    area_firms = Q(organiser_firm__district__path__startswith=agency.path)
    trainings = campaign_selectors.training_list(user=user).filter(area_agencies | area_firms, date__range=span)
    training_summary = trainings.aggregate(
        count=Count("pk"),
        by_agencies=Count("pk", filter=Q(organiser_agency__isnull=False)),
        by_firms=Count("pk", filter=Q(organiser_firm__isnull=False)),
        attendees=Sum("attendee_count"),
    )
    training_rows = list(trainings.prefetch_related(None).order_by("-date", "pk")[:TRAINING_LIST_LIMIT])
    activities = campaign_selectors.activity_list(user=user).filter(
        firm__district__path__startswith=agency.path, date__range=span
    )
    activity_counts = {row["kind"]: row for row in activities.order_by().values("kind").annotate(
        n=Count("pk"), people=Sum("participant_count"))}
    activity_summary = [
        {"label": label, "count": activity_counts.get(kind, {}).get("n", 0),
         "people": activity_counts.get(kind, {}).get("people") or 0}
        for kind, label in Activity.Kind.choices
    ]
    return {
        "campaign": campaign,
        "agency": agency,
        "is_city": agency.level == Agency.Level.CITY,
        "as_of": as_of,
        "totals": totals,
        "by_action": by_action,
        "by_task": by_task,
        "by_district": by_district,
        "by_street": by_street,
        "by_firm": by_firm,
        "street_count": street_count,
        "firm_count": firm_count,
        "ranked": agency.level == Agency.Level.CITY and (street_count > len(by_street) or firm_count > len(by_firm)),
        "overdue_rows": overdue_rows,
        "overdue_count": overdue_count,
        "overdue_limit": OVERDUE_LIST_LIMIT,
        "overdue_districts": [label for _key, label in districts],
        "overdue_matrix": overdue_matrix,
        "timeline": timeline,
        "training_summary": training_summary,
        "training_rows": training_rows,
        "training_limit": TRAINING_LIST_LIMIT,
        "activity_summary": activity_summary,
        "extra_sections": _extra_sections(campaign=campaign, user=user, agency=agency, as_of=as_of),
    }


# The report's own sections are 一 to 六; the ones later apps register (core/report_sections.py) follow.
EXTRA_SECTION_NUMBERS = ("七", "八", "九", "十", "十一", "十二", "十三", "十四", "十五")


def _extra_sections(*, campaign, user, agency, as_of):
    from core import report_sections

    built = report_sections.build(campaign=campaign, user=user, agency=agency, start=campaign.start_date, end=as_of)
    for number, section in zip(EXTRA_SECTION_NUMBERS, built, strict=False):
        section["number"] = number
    return built[:len(EXTRA_SECTION_NUMBERS)]

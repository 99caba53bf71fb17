"""Bureau pages added to the admin with ModelAdmin.get_urls + admin_site.admin_view:
the progress dashboard of a campaign, its Excel exports, the district's coordinator
roster, the review queue, the review of one obligation, the deadline move of a task and
the obligation export (a long job when large).

Each view parses input, makes one selector or service call and renders. Objects come from
the scoped selectors or the ModelAdmin's scoped queryset: outside the user's area → 404.
"""

import hashlib

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.http import FileResponse, Http404, HttpResponseRedirect
from django.shortcuts import redirect
from django.template.response import TemplateResponse
from django.urls import reverse
from django.utils import timezone
from django.utils.http import urlencode
from django.utils.translation import gettext as _

from core import xlsx
from core.pagination import IdsFirstPaginator, keep_count, query_key
from core.text import join_messages, labelled
from estates import scoping
from estates.models import Agency

from . import exports, selectors, services
from .forms import MoveDeadlineForm, ReturnForm, ReviewForm
from .models import OPEN_STATES, Campaign, Task
from .selectors import obligations_version

QUEUE_PAGE_SIZE = 100
#: What a row of the review queue shows (admin/campaigns/obligation/review_queue.html): the task's title, the party
#: (estate, firm or agency), the district and the street. selectors.review_queue joins thirteen tables: planning
#: them cost PostgreSQL more than running these six joins, and Python eight model instances a row more.
QUEUE_ROW_RELATED = ("task", "estate", "firm", "agency", "district", "street")
PROGRESS_PAGE_SIZE = 50  # rows of each progress table per page (?by=<table>&page=<n>)
# Drill-down: the obligation changelist parameter of each progress dimension.
DRILL_PARAM = {"action": "action", "task": "task", "district": "district", "street": "street", "firm": "firm"}


def _xlsx(fh, title):
    return FileResponse(fh, as_attachment=True, filename=exports.export_name(title),
                        content_type=xlsx.XLSX_CONTENT_TYPE)


def _context(model_admin, request, **extra):
    return {**model_admin.admin_site.each_context(request), "opts": model_admin.opts, **extra}


def report_bulk(request, count, refused, *, done):
    if count:
        messages.success(request, done % {"n": count})
    for obligation, message in refused[:20]:
        messages.warning(request, labelled(obligation, message))
    if len(refused) > 20:
        messages.warning(request, _("另有 %(n)s 条未处理。") % {"n": len(refused) - 20})
    if not count and not refused:
        messages.info(request, _("没有可处理的任务责任。"))


# --- progress ----------------------------------------------------------------------------------

def _narrow(request, user):
    """An optional ?district= / ?street= narrowing; an agency outside the user's scope is a 404."""
    narrow = {}
    for key in ("district", "street"):
        raw = request.GET.get(key, "")
        if raw.isdigit():
            level = Agency.Level.DISTRICT if key == "district" else Agency.Level.STREET
            visible = scoping.restrict(Agency.objects.filter(level=level), user, **scoping.AGENCY_LINKS)
            narrow[key] = scoping.get_or_404(visible, pk=raw)
    return narrow


def _table_page(request, by, rows, narrow):
    """The page of one progress table shown: the one ``?by=`` names at ``?page=``, the first of the others; with
    the addresses of its neighbours (the narrowing kept)."""
    page = Paginator(rows, PROGRESS_PAGE_SIZE).get_page(request.GET.get("page") if request.GET.get("by") == by else 1)

    def url(number):
        return f"{request.path}?{urlencode({**{k: v.pk for k, v in narrow.items()}, 'by': by, 'page': number})}#by-{by}"

    page.previous_url = url(page.previous_page_number()) if page.has_previous() else ""
    page.next_url = url(page.next_page_number()) if page.has_next() else ""
    return page


def progress(model_admin, request, pk):
    """The summary (totals, chart) first, then each table a page of PROGRESS_PAGE_SIZE rows; the figures come
    from selectors.progress_figures (cached until the campaign's work changes)."""
    user = request.user
    campaign = selectors.campaign_get(user=user, pk=pk)
    today = timezone.localdate()
    narrow = _narrow(request, user)
    figures = selectors.progress_figures(user=user, campaign=campaign, today=today, **narrow)
    tables = []
    for by, title in exports.PROGRESS_TITLES.items():
        page = _table_page(request, by, figures["tables"][by], narrow)
        rows = [dict(row) for row in page.object_list]  # the cached rows stay as they are
        base = {"campaign": campaign.pk, **{k: v.pk for k, v in narrow.items()}}
        changelist = reverse("admin:campaigns_obligation_changelist")
        for row in rows:
            params = {**base, DRILL_PARAM[by]: row["key"]}
            row["url_all"] = f"{changelist}?{urlencode(params)}"
            row["url_overdue"] = f"{changelist}?{urlencode({**params, 'overdue': '1'})}"
            row["url_returned"] = f"{changelist}?{urlencode({**params, 'state__exact': 'returned'})}"
            row["url_submitted"] = f"{changelist}?{urlencode({**params, 'state__exact': 'submitted'})}"
            if by in ("district", "street"):
                row["url_drill"] = f"{request.path}?{urlencode({by: row['key']})}"
        export_url = reverse("admin:campaigns_campaign_progress_export", args=[campaign.pk, by])
        if narrow:
            export_url += "?" + urlencode({k: v.pk for k, v in narrow.items()})
        tables.append({"by": by, "title": title, "rows": rows, "page": page, "count": page.paginator.count,
                       "export_url": export_url})
    totals = figures["totals"]
    chart_by = "street" if (narrow or (user.agency_id and user.agency.level != Agency.Level.CITY)) else "district"
    chart_rows = figures["tables"][chart_by]  # every row, not the table's page
    chart = {
        "labels": [r["label"] for r in chart_rows],
        "done": [r["done_pct"] for r in chart_rows],
        "overdue": [r["overdue"] for r in chart_rows],
        "labels_text": {"done": _("完成率（%）"), "overdue": _("逾期未完成")},
    }
    roster_url = reverse("admin:campaigns_campaign_roster")
    if narrow.get("district"):
        roster_url += "?" + urlencode({"district": narrow["district"].pk})
    return TemplateResponse(request, "admin/campaigns/campaign/progress.html", _context(
        model_admin, request, title=_("%(name)s · 进度") % {"name": campaign.name}, campaign=campaign,
        tables=tables, totals=totals, today=today, narrow=narrow, chart=chart,
        chart_title=_("按街道") if chart_by == "street" else _("按区"),
        overdue_url=reverse("admin:campaigns_obligation_changelist") + "?" + urlencode(
            {"campaign": campaign.pk, "overdue": "1", **{k: v.pk for k, v in narrow.items()}}),
        roster_url=roster_url, reviewed_elsewhere=figures["reviewed_elsewhere"],
    ))


def progress_export(model_admin, request, pk, by):
    if by not in exports.PROGRESS_TITLES:
        raise Http404
    user = request.user
    campaign = selectors.campaign_get(user=user, pk=pk)
    rows = selectors.progress(user=user, campaign=campaign, by=by, **_narrow(request, user))
    title = _("%(name)s_按%(by)s进度") % {"name": campaign.name, "by": exports.PROGRESS_TITLES[by]}
    return _xlsx(exports.export_progress(rows, by), title)


def roster_export(model_admin, request):
    """The aggregated coordinator roster of the user's area: what a district reports up."""
    narrow = _narrow(request, request.user)
    roster = selectors.coordinator_roster(user=request.user, **narrow)
    area = narrow.get("district") or narrow.get("street") or request.user.agency or _("全市")
    return _xlsx(exports.export_roster(roster), _("%(area)s协调员名册") % {"area": area})


# --- tasks -------------------------------------------------------------------------------------

def move_deadline(model_admin, request, pk):
    task = model_admin.get_object(request, str(pk))
    if task is None:
        raise Http404
    campaign = Campaign.objects.select_related("issuing_agency").get(pk=task.action.campaign_id)
    from .admin import _issued_by_me

    if not _issued_by_me(request.user, campaign):
        raise PermissionDenied
    form = MoveDeadlineForm(request.POST or None, initial={"deadline": task.deadline})
    if request.method == "POST" and form.is_valid():
        try:
            moved, created, removed = services.task_move_deadline(
                task=task, deadline=form.cleaned_data["deadline"], user=request.user, note=form.cleaned_data["note"])
        except ValidationError as exc:
            for message in exc.messages:
                form.add_error("deadline", message)
        else:
            messages.success(request, _("完成期限已调整：%(m)s 条任务责任随之调整，新增 %(c)s 条，取消 %(r)s 条。") % {
                "m": moved, "c": created, "r": removed})
            return HttpResponseRedirect(reverse("admin:campaigns_task_change", args=[task.pk]))
    return TemplateResponse(request, "admin/campaigns/task/move_deadline.html", _context(
        model_admin, request, title=_("调整完成期限"), task=task, campaign=campaign, form=form,
        pending=Task.objects.filter(pk=task.pk, obligations__state__in=OPEN_STATES).count(),
    ))


# --- review ------------------------------------------------------------------------------------

def review_queue(model_admin, request):
    user = request.user
    campaign = None
    if request.GET.get("campaign", "").isdigit():
        campaign = selectors.campaign_get(user=user, pk=request.GET["campaign"])
    queue = selectors.review_queue(user=user, campaign=campaign)
    if request.GET.get("export") == "xlsx":
        return _xlsx(exports.export_obligations(queue, review=True), _("审核队列"))
    return_form = ReturnForm(request.POST if request.POST.get("do") == "return" else None)
    if request.method == "POST":
        ids = [int(i) for i in request.POST.getlist("ids") if i.isdigit()]
        # Only ids that are in this user's queue: the rest are not theirs to touch.
        ids = list(queue.filter(pk__in=ids).values_list("pk", flat=True))
        if not ids:
            messages.warning(request, _("请先勾选要审核的任务责任。"))
        elif request.POST.get("do") == "accept":
            count, refused = services.obligation_accept_many(obligations=ids, user=user,
                                                             note=request.POST.get("note", ""))
            report_bulk(request, count, refused, done=_("已审核通过 %(n)s 条。"))
            return redirect(request.get_full_path())
        elif request.POST.get("do") == "return" and return_form.is_valid():
            count, refused = services.obligation_return_many(obligations=ids, user=user,
                                                             reason=return_form.cleaned_data["reason"])
            report_bulk(request, count, refused, done=_("已退回 %(n)s 条。"))
            return redirect(request.get_full_path())
    # The page's ids first (obligation_state_submitted_id), then the rows' related tables for those rows only; the
    # count and the page's rows kept under the obligations' version (the statements, the user's scope with them,
    # in the keys).
    version = obligations_version()
    rows = queue.select_related(None).select_related(*QUEUE_ROW_RELATED)
    page = keep_count(IdsFirstPaginator(rows, QUEUE_PAGE_SIZE), version).get_page(request.GET.get("page"))
    reviewed_elsewhere = selectors.reviewed_elsewhere_kept(user=user, campaign=campaign, version=version)
    shown = page.end_index() - page.start_index() + 1 if page.paginator.count else 0
    return TemplateResponse(request, "admin/campaigns/obligation/review_queue.html", _context(
        model_admin, request, title=_("审核队列"), page=page, rows=page.object_list, has_rows=bool(shown),
        campaign=campaign,
        rows_html=_queue_rows(page, shown, version, bool(reviewed_elsewhere)),
        campaigns=selectors.campaign_list(user=user).filter(status=Campaign.Status.PUBLISHED),
        return_form=return_form, today=timezone.localdate(), reviewed_elsewhere=reviewed_elsewhere,
        export_url=request.path + "?" + urlencode({**({"campaign": campaign.pk} if campaign else {}),
                                                   "export": "xlsx"}),
    ))


def _queue_rows(page, shown, version, elsewhere):
    """The review queue's rows (admin/campaigns/obligation/review_queue_rows.html), kept under the obligations'
    version, the page's statement, the language, the time zone and the script prefix; read and drawn on a miss."""
    from django.template.loader import render_to_string
    from django.urls import get_script_prefix
    from django.utils.safestring import mark_safe
    from django.utils.translation import get_language

    from estates.scoped_admin import keep_rows, kept_rows

    parts = (query_key(page.object_list), shown, elsewhere, get_language(), timezone.get_current_timezone_name(),
             get_script_prefix())
    key = f"campaigns:review-queue:{version}:{hashlib.sha256(repr(parts).encode()).hexdigest()[:32]}"
    kept = kept_rows(key)
    if kept is not None:
        return mark_safe(kept[1])  # noqa: S308 - the HTML the template drew, kept
    html = render_to_string("admin/campaigns/obligation/review_queue_rows.html",
                            {"rows": page.object_list, "elsewhere": elsewhere})
    keep_rows(key, shown, html)
    return html


def review(model_admin, request, obligation):
    """Accept or return one obligation (POST from its change page)."""
    change_url = reverse("admin:campaigns_obligation_change", args=[obligation.pk])
    if request.method != "POST":
        return HttpResponseRedirect(change_url)
    form = ReviewForm(request.POST)
    if not form.is_valid():
        for errors in form.errors.values():
            for message in errors:
                messages.error(request, message)
        return HttpResponseRedirect(change_url)
    note = form.cleaned_data["note"]
    try:
        if form.cleaned_data["decision"] == "accept":
            services.obligation_accept(obligation=obligation, user=request.user, note=note)
            messages.success(request, _("已审核通过。"))
        else:
            services.obligation_return(obligation=obligation, user=request.user, reason=note)
            messages.success(request, _("已退回，责任单位会看到退回原因。"))
    except ValidationError as exc:
        messages.error(request, join_messages(exc.messages))
    if request.POST.get("next") == "queue":
        return redirect("admin:campaigns_obligation_review_queue")
    return HttpResponseRedirect(change_url)


# --- export ------------------------------------------------------------------------------------

def obligation_export(model_admin, request):
    """The changelist's own rows: in the request up to the limit, as a long job above it."""
    if not model_admin.has_xlsx_export_permission(request):
        raise PermissionDenied
    from django.contrib.admin.options import IncorrectLookupParameters

    try:
        changelist = model_admin.get_changelist_instance(request)
    except IncorrectLookupParameters:
        return redirect("admin:campaigns_obligation_changelist")
    qs = changelist.queryset
    count = qs.count()
    if count > exports.OBLIGATION_EXPORT_SYNC_LIMIT:
        from .admin import obligation_search_args
        from .jobs import obligations_export_start

        # The list's filters and search as selector arguments: the worker runs the same search.
        job = obligations_export_start(user=request.user, count=count, area=False, order="deadline",
                                       **obligation_search_args(request.GET))
        messages.info(request, _("共 %(n)s 条，正在后台导出，完成后可在此页下载。") % {"n": count})
        return redirect("jobs:detail", pk=job.pk)
    return _xlsx(exports.export_obligations(qs), _("任务责任"))

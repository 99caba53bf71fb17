"""Excel exports of every campaign list (obligations, review queue, progress tables,
trainings, activities, coordinator roster), through core.xlsx.write_xlsx.

Each export takes a queryset (or rows) that the caller has already scoped and filtered —
the same one the page shows — and streams it with ``values_list(...).iterator()`` into
openpyxl's write-only mode: memory stays flat for any size. Dates stay Excel dates.

Obligation exports larger than ``OBLIGATION_EXPORT_SYNC_LIMIT`` rows run as a long job
(core/jobs.py, kind ``campaigns.obligations_export`` in campaigns/jobs.py) instead of in
the request: ``obligations_export`` writes ``selectors.obligation_search`` for it.
"""

from django.conf import settings
from django.db.models.functions import Coalesce
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from core.xlsx import ExportColumn, write_xlsx, write_xlsx_path

from .models import OPEN_STATES, Activity, Obligation, PartyKind, Recurrence

OBLIGATION_EXPORT_SYNC_LIMIT = getattr(settings, "OBLIGATION_EXPORT_SYNC_LIMIT", 5000)


def _short(name, short):
    return short or name or ""


def _labels(choices):
    return {value: str(label) for value, label in choices}


# --- obligations -------------------------------------------------------------------------------

def obligation_columns(*, review=False):
    columns = [
        ExportColumn(_("创建活动"), width=28), ExportColumn(_("专项行动"), width=22),
        ExportColumn(_("工作任务"), width=36), ExportColumn(_("责任主体"), width=24),
        ExportColumn(_("小区编码"), width=12), ExportColumn(_("物业服务企业"), width=28),
        ExportColumn(_("资质等级")), ExportColumn(_("所属区")), ExportColumn(_("所属街道")),
        ExportColumn(_("周期开始")), ExportColumn(_("周期结束")), ExportColumn(_("完成期限")),
        ExportColumn(_("状态")), ExportColumn(_("逾期")), ExportColumn(_("逾期提交")),
        ExportColumn(_("已完成次数")), ExportColumn(_("提交时间"), width=18),
        ExportColumn(_("审核单位")), ExportColumn(_("审核时间"), width=18), ExportColumn(_("审核意见"), width=40),
    ]
    if review:
        columns.append(ExportColumn(_("提交人")))
    return columns


_OBLIGATION_FIELDS = (
    "campaign__name", "task__action__name", "task__title", "party_name", "estate__code", "firm_name", "firm_grade",
    "district__name", "district__short_name", "street__name", "street__short_name", "period_start", "period_end",
    "due_date", "state", "late", "count_achieved", "submitted_at", "reviewer__name", "reviewer__short_name",
    "reviewed_at", "review_note",
)


def obligation_rows(queryset, *, today=None, review=False):
    """Rows of obligations; ``queryset`` is already scoped, filtered and ordered."""
    today = today or timezone.localdate()
    states = _labels(Obligation.State.choices)
    grades = {1: _("一级"), 2: _("二级"), 3: _("三级")}
    fields = _OBLIGATION_FIELDS + (("submitted_by__username",) if review else ())
    qs = queryset.annotate(
        party_name=Coalesce("estate__name", "firm__name", "agency__name"),
        firm_name=Coalesce("firm__name", "estate__firm__name"),
        firm_grade=Coalesce("firm__grade", "estate__firm__grade"),
    ).values_list(*fields)
    for values in qs.iterator(chunk_size=2000):
        (campaign, action, task, party, code, firm, grade, d_name, d_short, s_name, s_short, p_start, p_end, due,
         state, late, count, submitted, r_name, r_short, reviewed, note) = values[:22]
        row = [campaign, action, task, party, code or "", firm or "", grades.get(grade, ""), _short(d_name, d_short),
               _short(s_name, s_short), p_start, p_end, due, states.get(state, state),
               state in OPEN_STATES and due < today, late, count, submitted, _short(r_name, r_short), reviewed, note]
        if review:
            row.append(values[22] or "")
        yield row


def export_obligations(queryset, *, today=None, review=False):
    return write_xlsx(obligation_columns(review=review), obligation_rows(queryset, today=today, review=review),
                      sheet_title=_("审核队列") if review else _("任务责任"))


def export_obligations_path(queryset, path, *, today=None, progress=None, total=None):
    rows = obligation_rows(queryset, today=today)
    if progress is not None and total:
        rows = _reporting(rows, progress, total)
    return write_xlsx_path(obligation_columns(), rows, path, sheet_title=_("任务责任"))


def obligations_export(*, user, path, progress=None, total=None, **search):
    """Write ``selectors.obligation_search(user=user, **search)`` to ``path`` (the body of the long job
    ``campaigns.obligations_export``; ``progress`` is its core.jobs.Progress). Returns the row count.

    Rows stream from the database (``values_list(...).iterator()``, a server-side cursor on PostgreSQL)
    into openpyxl's write-only mode on disk: 100,000 rows cost about the memory of 1,000."""
    from . import selectors

    queryset = selectors.obligation_search(user=user, **search)
    written = 0

    def counted(rows):
        nonlocal written
        for row in rows:
            written += 1
            yield row

    rows = obligation_rows(queryset)
    if progress is not None:
        rows = _reporting(rows, progress, total or queryset.count())
    write_xlsx_path(obligation_columns(), counted(rows), path, sheet_title=_("任务责任"))
    return written


def _reporting(rows, progress, total):
    for index, row in enumerate(rows, start=1):
        if index % 1000 == 0:
            progress.step(index, total, _("已导出 %(n)s / %(total)s 条") % {"n": index, "total": total}, end=95)
        yield row


# --- progress ----------------------------------------------------------------------------------

PROGRESS_TITLES = {
    "action": gettext_lazy("专项行动"), "task": gettext_lazy("工作任务"), "district": gettext_lazy("区"),
    "street": gettext_lazy("街道"), "firm": gettext_lazy("物业服务企业"),
}


def progress_columns(by):
    columns = [ExportColumn(str(PROGRESS_TITLES[by]), width=36 if by in ("task", "firm") else 20)]
    if by == "task":
        columns += [ExportColumn(_("专项行动"), width=22), ExportColumn(_("责任主体"), width=18),
                    ExportColumn(_("频次")), ExportColumn(_("完成期限"))]
    elif by == "street":
        columns.append(ExportColumn(_("所属区")))
    elif by == "firm":
        columns.append(ExportColumn(_("资质等级")))
    columns += [ExportColumn(_("总数")), ExportColumn(_("已通过")), ExportColumn(_("完成率（%）"), number_format="0.0"),
                ExportColumn(_("待审核")), ExportColumn(_("待完成")), ExportColumn(_("已退回")),
                ExportColumn(_("逾期未完成")), ExportColumn(_("逾期提交"))]
    return columns


def progress_rows(rows, by):
    parties = _labels(PartyKind.choices)
    recurrences = _labels(Recurrence.choices)
    grades = {1: _("一级"), 2: _("二级"), 3: _("三级")}
    for row in rows:
        line = [row["label"]]
        if by == "task":
            line += [row.get("action", ""), parties.get(row.get("party_kind"), ""),
                     recurrences.get(row.get("recurrence"), ""), row.get("deadline")]
        elif by == "street":
            line.append(row.get("district") or "")
        elif by == "firm":
            line.append(grades.get(row.get("grade"), ""))
        line += [row["total"], row["accepted"], row["done_pct"], row["submitted"], row["open"], row["returned"],
                 row["overdue"], row["late"]]
        yield line


def export_progress(rows, by):
    return write_xlsx(progress_columns(by), progress_rows(rows, by),
                      sheet_title=_("按%(by)s统计") % {"by": PROGRESS_TITLES[by]})


# --- records -----------------------------------------------------------------------------------

def training_columns():
    return [ExportColumn(_("培训日期")), ExportColumn(_("培训主题"), width=32), ExportColumn(_("主办单位"), width=28),
            ExportColumn(_("培训对象"), width=24), ExportColumn(_("参训人数")), ExportColumn(_("地点"), width=20),
            ExportColumn(_("内容摘要"), width=40), ExportColumn(_("登记人")), ExportColumn(_("登记时间"), width=18)]


def training_rows(queryset):
    qs = queryset.annotate(organiser_name=Coalesce("organiser_firm__name", "organiser_agency__name")).values_list(
        "date", "topic", "organiser_name", "audience", "attendee_count", "place", "notes", "created_by__username",
        "created_at")
    for values in qs.order_by("-date", "pk").iterator(chunk_size=2000):
        yield [v if v is not None else "" for v in values]


def export_trainings(queryset):
    return write_xlsx(training_columns(), training_rows(queryset), sheet_title=_("培训记录"))


def activity_columns():
    return [ExportColumn(_("活动日期")), ExportColumn(_("活动类型")), ExportColumn(_("活动名称"), width=32),
            ExportColumn(_("物业服务企业"), width=28), ExportColumn(_("小区"), width=20),
            ExportColumn(_("合作单位"), width=28), ExportColumn(_("参加人数")), ExportColumn(_("活动情况"), width=40),
            ExportColumn(_("登记人")), ExportColumn(_("登记时间"), width=18)]


def activity_rows(queryset):
    kinds = _labels(Activity.Kind.choices)
    qs = queryset.values_list("date", "kind", "title", "firm__name", "estate__name", "partners",
                              "participant_count", "description", "created_by__username", "created_at")
    for values in qs.order_by("-date", "pk").iterator(chunk_size=2000):
        values = list(values)
        values[1] = kinds.get(values[1], values[1])
        yield [v if v is not None else "" for v in values]


def export_activities(queryset):
    return write_xlsx(activity_columns(), activity_rows(queryset), sheet_title=_("活动记录"))


# --- coordinator roster ------------------------------------------------------------------------

def roster_columns():
    return [ExportColumn(_("所属区")), ExportColumn(_("所属街道")), ExportColumn(_("小区编码"), width=12),
            ExportColumn(_("小区名称"), width=24), ExportColumn(_("物业服务企业"), width=28),
            ExportColumn(_("协调员姓名")), ExportColumn(_("联系电话"), width=16), ExportColumn(_("聘任日期"))]


def roster_rows(queryset):
    """Rows of ``campaigns.selectors.coordinator_roster`` (annotated estates)."""
    qs = queryset.values_list("district__name", "district__short_name", "street__name", "street__short_name", "code",
                              "name", "firm__name", "coordinator_name", "coordinator_phone",
                              "coordinator_appointed_on")
    for d_name, d_short, s_name, s_short, code, name, firm, c_name, c_phone, c_date in qs.iterator(chunk_size=2000):
        yield [_short(d_name, d_short), _short(s_name, s_short), code, name, firm or "", c_name or _("（未备案）"),
               c_phone or "", c_date]


def export_roster(queryset):
    return write_xlsx(roster_columns(), roster_rows(queryset), sheet_title=_("协调员名册"))


def export_name(title):
    return f"{title}_{timezone.localdate():%Y%m%d}.xlsx"


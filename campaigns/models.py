"""The campaign engine: campaigns, actions, tasks, obligations, evidence, review and records.

Vocabulary (see ../shared/domain/BRIEF.md):

* A **Campaign** (创建活动) is issued by an agency (usually the city bureau) and goes
  draft → published → closed. It has ordered **Actions** (专项行动), each with **Tasks**
  (one row of the work breakdown table).
* A Task says *who* must do it (``party_kind``: each estate, each firm, each district
  bureau, each street office, the city bureau), *which of them* (applicability: firm grades,
  estate categories, old estates only, districts — an empty filter means "all"), *when*
  (window start and deadline; ``once``, ``monthly`` or ``quarterly`` within the window with
  ``min_count`` per period) and *what proves it* (``evidence_kinds``; ``record_kind`` says
  which records — trainings, activities, coordinators — count towards it automatically).
  ``source`` says where the campaign's documents ask for the task (or that we added it).
  Lead and co-lead units are free text: they are often departments inside a bureau or
  bodies outside the registry (people's congress, CPPCC), so they are labels, not links.
* An **Obligation** is task × responsible party × period. Exactly one of ``estate``,
  ``firm``, ``agency`` is set (a check constraint), so scoping is
  ``scoping.restrict(qs, user, estate="estate", firm="firm", agency="agency")``. Estate
  obligations do *not* copy the estate's firm: the firm sees them through the estate, so a
  change of firm moves them with the estate. ``district`` and ``street`` are denormalised
  for the progress tables (kept in step by campaigns/signals.py); ``reviewer`` is the
  supervising agency that accepts or returns the work (the district for its estates, firms
  and streets; the city — the parent — for districts; the issuing agency for its own).
* State: open → submitted → accepted, or submitted → returned → submitted → accepted.
  *Overdue* is derived — open or returned with ``due_date < today``, and never for a
  voluntary task (``Task.is_voluntary``: opt-in work such as an application) — never stored
  (``ObligationQuerySet.overdue(today)`` / ``with_flags(today)``). ``late`` is stored: it
  is set when a submission arrives after the due date and never cleared.
* Nothing with evidence is deleted: Evidence, EvidenceFile, ObligationEvent and
  Obligation itself are protected (``on_delete=PROTECT``) up the chain to the task.

The reminder sweep (issue 4) asks for "open/returned obligations due on date D": the
``(state, due_date)`` index serves it.
"""

import uuid
from datetime import timedelta

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from core.text import join_list
from estates import scoping
from estates.models import Agency, Estate, PropertyFirm
from estates.scoping import ScopedManager, ScopedQuerySet

from . import record_kinds


def new_figures_token():
    """A fresh random token (never a counter: a restored database or a test's rolled-back ids must not meet the
    figures cached under an old number)."""
    return uuid.uuid4().hex


class Campaign(models.Model):
    class Status(models.TextChoices):
        DRAFT = "draft", _("草稿")
        PUBLISHED = "published", _("已发布")
        CLOSED = "closed", _("已结束")

    name = models.CharField(_("活动名称"), max_length=200)
    year = models.PositiveSmallIntegerField(_("年度"))
    issuing_agency = models.ForeignKey(
        Agency, verbose_name=_("发文单位"), on_delete=models.PROTECT, related_name="issued_campaigns"
    )
    document_number = models.CharField(_("文号"), max_length=100, blank=True)
    issued_on = models.DateField(_("发文日期"), null=True, blank=True)
    start_date = models.DateField(_("开始日期"))
    end_date = models.DateField(_("结束日期"))
    description = models.TextField(_("活动说明"), blank=True)
    status = models.CharField(_("状态"), max_length=10, choices=Status.choices, default=Status.DRAFT, db_index=True)
    template_key = models.CharField(
        _("模板标识"), max_length=60, blank=True, help_text=_("从模板载入时记录模板的标识，如 ningbo-2011。")
    )
    copied_from = models.ForeignKey(
        "self", verbose_name=_("复制自"), null=True, blank=True, on_delete=models.SET_NULL, related_name="copies"
    )
    published_at = models.DateTimeField(_("发布时间"), null=True, blank=True)
    published_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("发布人"), null=True, blank=True, on_delete=models.SET_NULL,
        related_name="+",
    )
    closed_at = models.DateTimeField(_("结束时间"), null=True, blank=True)
    created_at = models.DateTimeField(_("创建时间"), auto_now_add=True)
    # Changes whenever the campaign's figures may change (its obligations, tasks, the registry):
    # the key of their cache (campaigns.services.figures, selectors.progress_figures).
    figures_token = models.CharField(max_length=32, default=new_figures_token, editable=False)

    # Issued inside my subtree, or issued above me (my agency's or my firm's district's ancestors) once
    # published or closed: a district follows the city's campaign, a firm its district's and city's.
    scope_links = {"issuer": "issuing_agency", "shared_when": {"status__in": ["published", "closed"]}}
    objects = ScopedManager()

    class Meta:
        verbose_name = _("创建活动")
        verbose_name_plural = pgettext_lazy("plural", "创建活动")
        ordering = ["-year", "-start_date", "pk"]

    def __str__(self):
        return self.name

    def clean(self):
        if self.start_date and self.end_date and self.end_date < self.start_date:
            raise ValidationError({"end_date": _("结束日期不能早于开始日期。")})

    @property
    def is_published(self):
        return self.status == self.Status.PUBLISHED


class Action(models.Model):
    """A special action (专项行动) of a campaign, shown in ``order``."""

    campaign = models.ForeignKey(Campaign, verbose_name=_("创建活动"), on_delete=models.CASCADE, related_name="actions")
    order = models.PositiveSmallIntegerField(_("序号"))
    code = models.SlugField(_("标识"), max_length=40, help_text=_("模板中的标识，如 harmony。"))
    name = models.CharField(_("行动名称"), max_length=200)
    description = models.TextField(_("说明"), blank=True)

    scope_links = {"via": "campaign"}
    objects = ScopedManager()

    class Meta:
        verbose_name = _("专项行动")
        verbose_name_plural = pgettext_lazy("plural", "专项行动")
        ordering = ["campaign", "order"]
        constraints = [
            models.UniqueConstraint(fields=["campaign", "order"], name="action_unique_order"),
            models.UniqueConstraint(fields=["campaign", "code"], name="action_unique_code"),
        ]

    def __str__(self):
        return self.name


class PartyKind(models.TextChoices):
    ESTATE = "estate", _("各住宅小区")
    FIRM = "firm", _("各物业服务企业")
    DISTRICT = "district", _("各县（市）区主管部门")
    STREET = "street", _("各街道（乡镇）")
    CITY = "city", _("市级主管部门")


class Recurrence(models.TextChoices):
    ONCE = "once", _("一次")
    MONTHLY = "monthly", _("每月")
    QUARTERLY = "quarterly", _("每季度")


class EvidenceKind(models.TextChoices):
    TEXT = "text", _("文字说明")
    PHOTOS = "photos", _("照片")
    DOCUMENTS = "documents", _("文件")
    ROSTER = "roster", _("名单")
    COUNT = "count", _("数量")
    TRAINING = "training", _("培训记录")
    ACTIVITY = "activity", _("活动记录")


class RecordKind(models.TextChoices):
    """The record kinds campaigns registers itself (campaigns/builtin_record_kinds.py). ``Task.record_kind``
    accepts any key of the open registry (campaigns/record_kinds.py): later apps add theirs."""

    NONE = "", _("无")
    TRAINING = "training", _("培训")
    FRIENDSHIP = "friendship", _("联谊活动")
    CONVENIENCE = "convenience", _("便民活动")
    PAIRING = "pairing", _("结对帮困活动")
    COORDINATOR = "coordinator", _("协调员备案")


class Task(models.Model):
    """One row of the work breakdown table, and the rule that turns it into obligations."""

    action = models.ForeignKey(Action, verbose_name=_("专项行动"), on_delete=models.CASCADE, related_name="tasks")
    order = models.PositiveSmallIntegerField(_("序号"))
    code = models.SlugField(_("标识"), max_length=60, help_text=_("模板中的标识，活动内唯一。"))
    title = models.CharField(_("工作任务"), max_length=200)
    requirement = models.TextField(_("工作要求"), blank=True)
    window_start = models.DateField(_("开始日期"))
    deadline = models.DateField(_("完成期限"))
    lead_unit = models.CharField(_("牵头单位"), max_length=200, blank=True)
    co_lead_unit = models.CharField(_("配合单位"), max_length=200, blank=True)
    participating_units = models.TextField(_("参与单位"), blank=True)
    party_kind = models.CharField(_("责任主体"), max_length=10, choices=PartyKind.choices)
    firm_grades = models.JSONField(
        _("适用企业资质等级"), default=list, blank=True,
        help_text=_("留空表示全部；小区类任务按小区所属企业的资质等级筛选。"),
    )
    estate_categories = models.JSONField(_("适用小区类别"), default=list, blank=True, help_text=_("留空表示全部。"))
    old_estates_only = models.BooleanField(_("仅限老小区"), default=False)
    districts = models.ManyToManyField(
        Agency, verbose_name=_("适用区域"), blank=True, related_name="+",
        limit_choices_to={"level": Agency.Level.DISTRICT}, help_text=_("留空表示全部区域。"),
    )
    recurrence = models.CharField(_("频次"), max_length=10, choices=Recurrence.choices, default=Recurrence.ONCE)
    min_count = models.PositiveSmallIntegerField(_("每期最少次数"), default=1)
    evidence_kinds = models.JSONField(_("佐证材料"), default=list, blank=True)
    # Choices are read from the registry each time (a callable), so a kind an app registers later is
    # offered and validated without a migration here.
    record_kind = models.CharField(
        _("自动计入的记录"), max_length=record_kinds.KEY_MAX_LENGTH, choices=record_kinds.choices,
        default=RecordKind.NONE, blank=True,
    )
    is_voluntary = models.BooleanField(
        _("自愿参加"), default=False,
        help_text=_("如“自愿申报”：未参加的不算逾期，不计入完成率，不发送自动提醒。"),
    )
    source = models.TextField(
        _("依据"), blank=True,
        help_text=_("该任务在活动文件中的出处（引用或位置）；文件中没有的，写明是平台补充的及其理由。"),
    )

    scope_links = {"via": "action__campaign"}
    objects = ScopedManager()

    class Meta:
        verbose_name = _("工作任务")
        verbose_name_plural = pgettext_lazy("plural", "工作任务")
        ordering = ["action__order", "order"]
        constraints = [
            models.UniqueConstraint(fields=["action", "order"], name="task_unique_order"),
        ]

    def __str__(self):
        return self.title

    def clean(self):
        errors = {}
        if self.window_start and self.deadline and self.deadline < self.window_start:
            errors["deadline"] = _("完成期限不能早于开始日期。")
        if self.min_count is not None and self.min_count < 1:
            errors["min_count"] = _("每期最少次数至少为 1。")
        bad = [k for k in self.evidence_kinds or [] if k not in EvidenceKind.values]
        if bad:
            errors["evidence_kinds"] = _("未知的佐证材料类型：%(kinds)s") % {"kinds": join_list(bad)}
        if any(g not in PropertyFirm.Grade.values for g in self.firm_grades or []):
            errors["firm_grades"] = _("资质等级只能是 1、2、3。")
        if any(c not in Estate.Category.values for c in self.estate_categories or []):
            errors["estate_categories"] = _("小区类别只能是 1、2、3。")
        if self.party_kind not in (PartyKind.ESTATE,) and (self.estate_categories or self.old_estates_only):
            errors["estate_categories"] = _("小区类别和老小区条件只适用于以小区为责任主体的任务。")
        if self.party_kind not in (PartyKind.ESTATE, PartyKind.FIRM) and self.firm_grades:
            errors["firm_grades"] = _("资质等级条件只适用于以小区或企业为责任主体的任务。")
        if errors:
            raise ValidationError(errors)

    @property
    def campaign_id(self):
        return self.action.campaign_id


#: The states in which an obligation still expects work from its party (Obligation.State.OPEN and
#: .RETURNED; plain strings because the choices class is defined below). The one definition: selectors,
#: services, exports, reminders and documents all use it.
OPEN_STATES = ("open", "returned")


class ObligationQuerySet(ScopedQuerySet):
    OPEN_STATES = OPEN_STATES
    # Pending work of a voluntary task is not overdue: nobody owes it.
    OVERDUE_Q = Q(state__in=OPEN_STATES, task__is_voluntary=False)

    def pending(self):
        """Work still expected from the responsible party (open or returned)."""
        return self.filter(state__in=self.OPEN_STATES)

    def overdue(self, today):
        return self.filter(self.OVERDUE_Q, due_date__lt=today)

    def due_within(self, today, days):
        """Pending and due from today to today + days (inclusive), not yet overdue."""
        return self.filter(state__in=self.OPEN_STATES, due_date__gte=today,
                           due_date__lte=today + timedelta(days=days))

    def due_on(self, day):
        """The reminder sweep's query (served by the (state, due_date) index)."""
        return self.filter(state__in=self.OPEN_STATES, due_date=day)

    def for_firm(self, firm):
        """A firm's own obligations and those of the estates it manages."""
        return self.filter(scoping.firm_work_q(firm))

    def with_flags(self, today):
        """Annotate ``is_overdue`` (open or returned and past due on `today`)."""
        return self.annotate(
            is_overdue=models.Case(
                models.When(self.OVERDUE_Q & Q(due_date__lt=today), then=models.Value(True)),
                default=models.Value(False), output_field=models.BooleanField(),
            ),
        )


class Obligation(models.Model):
    class State(models.TextChoices):
        OPEN = "open", _("待完成")
        SUBMITTED = "submitted", _("待审核")
        ACCEPTED = "accepted", _("已通过")
        RETURNED = "returned", _("已退回")

    campaign = models.ForeignKey(Campaign, verbose_name=_("创建活动"), on_delete=models.PROTECT,
                                 related_name="obligations")
    task = models.ForeignKey(Task, verbose_name=_("工作任务"), on_delete=models.PROTECT, related_name="obligations")
    estate = models.ForeignKey(Estate, verbose_name=_("小区"), null=True, blank=True, on_delete=models.PROTECT,
                               related_name="obligations")
    firm = models.ForeignKey(PropertyFirm, verbose_name=_("物业服务企业"), null=True, blank=True,
                             on_delete=models.PROTECT, related_name="obligations")
    agency = models.ForeignKey(Agency, verbose_name=_("责任机构"), null=True, blank=True, on_delete=models.PROTECT,
                               related_name="obligations")
    reviewer = models.ForeignKey(Agency, verbose_name=_("审核单位"), on_delete=models.PROTECT,
                                 related_name="obligations_to_review")
    # Denormalised for the progress tables; campaigns/signals.py keeps them in step.
    district = models.ForeignKey(Agency, verbose_name=_("所属区"), null=True, blank=True, on_delete=models.PROTECT,
                                 related_name="+")
    street = models.ForeignKey(Agency, verbose_name=_("所属街道"), null=True, blank=True, on_delete=models.PROTECT,
                               related_name="+")
    period_start = models.DateField(_("周期开始"))
    period_end = models.DateField(_("周期结束"))
    due_date = models.DateField(_("完成期限"))
    state = models.CharField(_("状态"), max_length=10, choices=State.choices, default=State.OPEN)
    late = models.BooleanField(_("逾期提交"), default=False)
    count_achieved = models.PositiveIntegerField(_("已完成次数"), default=0)
    submitted_at = models.DateTimeField(_("提交时间"), null=True, blank=True)
    submitted_by = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("提交人"), null=True, blank=True,
                                     on_delete=models.PROTECT, related_name="+")
    reviewed_at = models.DateTimeField(_("审核时间"), null=True, blank=True)
    reviewed_by = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("审核人"), null=True, blank=True,
                                    on_delete=models.PROTECT, related_name="+")
    review_note = models.TextField(_("审核意见"), blank=True)
    created_at = models.DateTimeField(_("生成时间"), default=timezone.now)

    objects = ObligationQuerySet.as_manager()

    scope_links = {"estate": "estate", "firm": "firm", "agency": "agency"}

    class Meta:
        verbose_name = _("任务责任")
        verbose_name_plural = pgettext_lazy("plural", "任务责任")
        ordering = ["due_date", "pk"]
        constraints = [
            models.CheckConstraint(
                condition=(
                    Q(estate__isnull=False, firm__isnull=True, agency__isnull=True)
                    | Q(estate__isnull=True, firm__isnull=False, agency__isnull=True)
                    | Q(estate__isnull=True, firm__isnull=True, agency__isnull=False)
                ),
                name="obligation_exactly_one_party",
            ),
            # NULLs never collide in a unique index, so one partial constraint per party link.
            models.UniqueConstraint(fields=["task", "estate", "period_start"], condition=Q(estate__isnull=False),
                                    name="obligation_unique_estate_period"),
            models.UniqueConstraint(fields=["task", "firm", "period_start"], condition=Q(firm__isnull=False),
                                    name="obligation_unique_firm_period"),
            models.UniqueConstraint(fields=["task", "agency", "period_start"], condition=Q(agency__isnull=False),
                                    name="obligation_unique_agency_period"),
        ]
        indexes = [
            models.Index(fields=["state", "due_date"], name="obligation_state_due"),
            models.Index(fields=["campaign", "state"], name="obligation_campaign_state"),
            models.Index(fields=["reviewer", "state"], name="obligation_reviewer_state"),
            # The lists' default order (Meta.ordering), alone and after the usual filters (the admin's campaign
            # filter, a district's own work): the page's ids are read in index order, no sort of the whole table
            # (docs/PERFORMANCE.md, core.pagination.IdsFirstPaginator).
            models.Index(fields=["due_date", "id"], name="obligation_due_id"),
            models.Index(fields=["campaign", "due_date", "id"], name="obligation_campaign_due_id"),
            models.Index(fields=["district", "due_date", "id"], name="obligation_district_due_id"),
            # The review queue's order (submitted obligations, oldest submission first): its page's ids in index
            # order (issue 16, campaigns.selectors.review_queue).
            models.Index(fields=["state", "submitted_at", "id"], name="obligation_state_submitted_id"),
        ]

    def __str__(self):
        return f"{self.task} — {self.party}"

    @property
    def party(self):
        return self.estate or self.firm or self.agency

    @property
    def party_id(self):
        return self.estate_id or self.firm_id or self.agency_id

    def is_overdue(self, today=None):
        today = today or timezone.localdate()
        return (self.state in ObligationQuerySet.OPEN_STATES and self.due_date < today
                and not self.task.is_voluntary)


class ObligationEvent(models.Model):
    """One transition of an obligation: who, when, from which state to which, and why."""

    class Kind(models.TextChoices):
        SUBMIT = "submit", _("提交")
        RESUBMIT = "resubmit", _("重新提交")
        AUTO_SUBMIT = "auto_submit", _("记录达标自动提交")
        ACCEPT = "accept", _("审核通过")
        RETURN = "return", _("退回")
        DEADLINE = "deadline", _("调整期限")
        # A training or activity counted here was corrected or withdrawn by its organiser.
        RECORD = "record", _("记录更正或撤回")

    obligation = models.ForeignKey(Obligation, verbose_name=_("任务责任"), on_delete=models.PROTECT,
                                   related_name="events")
    kind = models.CharField(_("操作"), max_length=12, choices=Kind.choices)
    actor = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("操作人"), null=True, blank=True,
                              on_delete=models.PROTECT, related_name="+")
    at = models.DateTimeField(_("时间"), default=timezone.now)
    from_state = models.CharField(_("原状态"), max_length=10, choices=Obligation.State.choices)
    to_state = models.CharField(_("新状态"), max_length=10, choices=Obligation.State.choices)
    note = models.TextField(_("说明"), blank=True)

    scope_links = {"via": "obligation"}
    objects = ScopedManager()

    class Meta:
        verbose_name = _("办理记录")
        verbose_name_plural = pgettext_lazy("plural", "办理记录")
        ordering = ["obligation", "at", "pk"]

    def __str__(self):
        # Local time: the admin's history rows show this beside the (localised) "at" column.
        at = f" {timezone.localtime(self.at):%Y-%m-%d %H:%M}" if self.at else ""
        return f"{self.get_kind_display()}{at}"


class Evidence(models.Model):
    """What the responsible party handed in with one submission (text, a count, files)."""

    obligation = models.ForeignKey(Obligation, verbose_name=_("任务责任"), on_delete=models.PROTECT,
                                   related_name="evidence")
    round = models.PositiveSmallIntegerField(_("提交轮次"), default=1)
    text = models.TextField(_("情况说明"), blank=True)
    count = models.PositiveIntegerField(_("数量"), null=True, blank=True)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("提交人"), null=True, blank=True,
                                   on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(_("提交时间"), default=timezone.now)

    scope_links = {"via": "obligation"}
    objects = ScopedManager()

    class Meta:
        verbose_name = _("佐证材料")
        verbose_name_plural = pgettext_lazy("plural", "佐证材料")
        ordering = ["obligation", "round", "pk"]

    def __str__(self):
        return _("第 %(n)s 次提交") % {"n": self.round}


class EvidenceFile(models.Model):
    class Kind(models.TextChoices):
        PHOTO = "photo", _("照片")
        DOCUMENT = "document", _("文件")
        ROSTER = "roster", _("名单")

    evidence = models.ForeignKey(Evidence, verbose_name=_("佐证材料"), on_delete=models.PROTECT, related_name="files")
    kind = models.CharField(_("类型"), max_length=10, choices=Kind.choices)
    file = models.FileField(_("文件"), upload_to="evidence/%Y/%m/")
    original_name = models.CharField(_("原文件名"), max_length=255, blank=True)
    size = models.PositiveIntegerField(_("大小（字节）"), default=0)
    uploaded_at = models.DateTimeField(_("上传时间"), default=timezone.now)

    scope_links = {"via": "evidence__obligation"}
    objects = ScopedManager()

    class Meta:
        verbose_name = _("佐证文件")
        verbose_name_plural = pgettext_lazy("plural", "佐证文件")
        ordering = ["evidence", "pk"]

    def __str__(self):
        return self.original_name or self.file.name


class Training(models.Model):
    """A training held by an agency or a firm (文明素质提升行动)."""

    date = models.DateField(_("培训日期"))
    topic = models.CharField(_("培训主题"), max_length=200)
    organiser_agency = models.ForeignKey(Agency, verbose_name=_("主办机构"), null=True, blank=True,
                                         on_delete=models.PROTECT, related_name="trainings")
    organiser_firm = models.ForeignKey(PropertyFirm, verbose_name=_("主办企业"), null=True, blank=True,
                                       on_delete=models.PROTECT, related_name="trainings")
    audience = models.CharField(_("培训对象"), max_length=200, blank=True)
    attendee_count = models.PositiveIntegerField(_("参训人数"), default=0)
    place = models.CharField(_("地点"), max_length=200, blank=True)
    notes = models.TextField(_("内容摘要"), blank=True)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("登记人"), null=True, blank=True,
                                   on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(_("登记时间"), default=timezone.now)

    scope_links = {"agency": "organiser_agency", "firm": "organiser_firm"}
    objects = ScopedManager()

    class Meta:
        verbose_name = _("培训记录")
        verbose_name_plural = pgettext_lazy("plural", "培训记录")
        ordering = ["-date", "pk"]
        constraints = [
            models.CheckConstraint(
                condition=(Q(organiser_agency__isnull=False, organiser_firm__isnull=True)
                           | Q(organiser_agency__isnull=True, organiser_firm__isnull=False)),
                name="training_one_organiser",
            ),
        ]
        indexes = [models.Index(fields=["organiser_firm", "date"]), models.Index(fields=["organiser_agency", "date"])]

    def __str__(self):
        return f"{self.date} {self.topic}"

    @property
    def organiser(self):
        return self.organiser_agency or self.organiser_firm


class Activity(models.Model):
    """A liaison or community activity of a firm with the street/community (和谐关系促进行动)."""

    class Kind(models.TextChoices):
        FRIENDSHIP = "friendship", _("联谊活动")
        CONVENIENCE = "convenience", _("便民活动")
        PAIRING = "pairing", _("结对帮困活动")

    kind = models.CharField(_("活动类型"), max_length=12, choices=Kind.choices)
    date = models.DateField(_("活动日期"))
    title = models.CharField(_("活动名称"), max_length=200)
    firm = models.ForeignKey(PropertyFirm, verbose_name=_("物业服务企业"), on_delete=models.PROTECT,
                             related_name="activities")
    estate = models.ForeignKey(Estate, verbose_name=_("小区"), null=True, blank=True, on_delete=models.PROTECT,
                               related_name="activities")
    partners = models.CharField(_("合作单位"), max_length=300, blank=True, help_text=_("如街道、社区、业委会。"))
    participant_count = models.PositiveIntegerField(_("参加人数"), default=0)
    description = models.TextField(_("活动情况"), blank=True)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("登记人"), null=True, blank=True,
                                   on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(_("登记时间"), default=timezone.now)

    scope_links = {"firm": "firm", "estate": "estate"}
    objects = ScopedManager()

    class Meta:
        verbose_name = _("活动记录")
        verbose_name_plural = pgettext_lazy("plural", "活动记录")
        ordering = ["-date", "pk"]
        indexes = [models.Index(fields=["firm", "kind", "date"])]

    def __str__(self):
        return f"{self.date} {self.title}"


class RecordPhoto(models.Model):
    """A photo of a training or an activity."""

    training = models.ForeignKey(Training, verbose_name=_("培训记录"), null=True, blank=True,
                                 on_delete=models.CASCADE, related_name="photos")
    activity = models.ForeignKey(Activity, verbose_name=_("活动记录"), null=True, blank=True,
                                 on_delete=models.CASCADE, related_name="photos")
    file = models.FileField(_("照片"), upload_to="records/%Y/%m/")
    original_name = models.CharField(_("原文件名"), max_length=255, blank=True)
    uploaded_at = models.DateTimeField(_("上传时间"), default=timezone.now)

    scope_links = {"via": ("training", "activity")}
    objects = ScopedManager()

    class Meta:
        verbose_name = _("记录照片")
        verbose_name_plural = pgettext_lazy("plural", "记录照片")
        ordering = ["pk"]
        constraints = [
            models.CheckConstraint(
                condition=(Q(training__isnull=False, activity__isnull=True)
                           | Q(training__isnull=True, activity__isnull=False)),
                name="record_photo_one_record",
            ),
        ]

    def __str__(self):
        return self.original_name or self.file.name

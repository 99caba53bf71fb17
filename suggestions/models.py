"""The online suggestion box (网上意见箱): residents' entries for an estate, their history and photos.

An entry (:class:`Suggestion`) is located at an estate and follows it (estates/scoping.py: whoever
sees the estate sees its entries; the managing firm handles them). It holds residents' personal
data, so it has no ``objects``: ``public_objects`` (entries not hidden by a moderator) and
``private_objects`` (every row, for services and scoped staff pages). Nothing here is ever
deleted by the portal: moderators hide, redact and the retention job erases personal data while
the row (category, dates, state, rating) stays for the statistics.

The lifecycle (suggestions/services.py holds every transition)::

    new ──acknowledge──▶ acknowledged ──start──▶ in_progress ──resolve──▶ resolved
     │                       │                        │                       │
     └──────── close (with a reason, no fix) / refer (to the district) ───────┘
                                                               reopen (once) ─┘→ in_progress

Every change is one :class:`SuggestionEvent` (the tracking page shows the public ones; moderation
events are private). Photos (:class:`SuggestionPhoto`) belong to the entry or to one event (a reply).
"""

import secrets

from django.conf import settings
from django.core.validators import MaxLengthValidator, MaxValueValidator, MinLengthValidator, MinValueValidator
from django.db import models
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from estates import scoping
from estates.models import Agency, Estate, PropertyFirm

TEXT_MIN, TEXT_MAX = 10, 2000


def new_token():
    """The private part of a tracking link: 256 random bits, URL-safe (43 characters)."""
    return secrets.token_urlsafe(32)


class Category(models.TextChoices):
    ENVIRONMENT = "environment", _("环境卫生")
    SAFETY = "safety", _("秩序安全")
    FACILITIES = "facilities", _("设施维修")
    GREENING = "greening", _("绿化养护")
    FEES = "fees", _("收费与财务")
    ATTITUDE = "attitude", _("服务态度")
    OTHER = "other", _("其他")


class DeadlinePolicy(models.Model):
    """Working days to acknowledge and to answer, for a district or for a campaign.

    An entry takes the policy of a running campaign covering its estate, else its district's,
    else the defaults in settings (SUGGESTION_ACKNOWLEDGE_WORKDAYS, SUGGESTION_ANSWER_WORKDAYS).
    """

    district = models.OneToOneField(
        Agency, verbose_name=_("区"), null=True, blank=True, on_delete=models.CASCADE,
        related_name="suggestion_policy", limit_choices_to={"level": Agency.Level.DISTRICT},
    )
    campaign = models.OneToOneField(
        "campaigns.Campaign", verbose_name=_("创建活动"), null=True, blank=True, on_delete=models.CASCADE,
        related_name="suggestion_policy",
    )
    acknowledge_workdays = models.PositiveSmallIntegerField(
        _("受理时限（工作日）"), default=1, validators=[MinValueValidator(1), MaxValueValidator(30)])
    answer_workdays = models.PositiveSmallIntegerField(
        _("答复时限（工作日）"), default=2, validators=[MinValueValidator(1), MaxValueValidator(60)])

    scope_links = {"agency": "district", "via": "campaign"}
    objects = scoping.ScopedManager()

    class Meta:
        verbose_name = _("意见办理时限")
        verbose_name_plural = pgettext_lazy("plural", "意见办理时限")
        constraints = [
            models.CheckConstraint(
                condition=(models.Q(district__isnull=False, campaign__isnull=True)
                           | models.Q(district__isnull=True, campaign__isnull=False)),
                name="suggestion_policy_district_xor_campaign",
            ),
        ]

    def __str__(self):
        return str(self.district or self.campaign)

    def clean(self):
        from django.core.exceptions import ValidationError

        if bool(self.district_id) == bool(self.campaign_id):
            raise ValidationError(_("请选择一个区或一个创建活动（二者选一）。"))
        if self.answer_workdays is not None and self.acknowledge_workdays is not None \
                and self.answer_workdays < self.acknowledge_workdays:
            raise ValidationError({"answer_workdays": _("答复时限不能短于受理时限。")})


class Suggestion(models.Model):
    class State(models.TextChoices):
        NEW = "new", _("待受理")
        ACKNOWLEDGED = "acknowledged", _("已受理")
        IN_PROGRESS = "in_progress", _("办理中")
        RESOLVED = "resolved", _("已解决")
        CLOSED = "closed", _("已办结（未解决）")
        REFERRED = "referred", _("已转区主管部门")

    OPEN_STATES = (State.NEW, State.ACKNOWLEDGED, State.IN_PROGRESS)
    FINISHED_STATES = (State.RESOLVED, State.CLOSED, State.REFERRED)

    class Source(models.TextChoices):
        WEB = "web", _("网上意见箱")
        HOTLINE = "hotline", _("12345 热线")

    # Unique through Meta.constraints, not unique=True: looked up whole, never by LIKE, so PostgreSQL needs no second
    # (varchar_pattern_ops) index for each. Every index is written by each submission: Meta.indexes keeps those a
    # page or a sweep reads, and the composite ones that lead with estate, firm or district serve their foreign keys.
    number = models.CharField(_("受理编号"), max_length=20, editable=False)
    token = models.CharField(_("查询口令"), max_length=64, default=new_token, editable=False)
    estate = models.ForeignKey(Estate, verbose_name=_("小区"), on_delete=models.PROTECT, related_name="suggestions",
                               db_index=False)
    # The handling firm when the entry arrived (an estate may later change firm; its figures stay with this one).
    firm = models.ForeignKey(PropertyFirm, verbose_name=_("办理企业"), null=True, blank=True,
                             on_delete=models.PROTECT, related_name="suggestions", db_index=False)
    district = models.ForeignKey(Agency, verbose_name=_("区"), on_delete=models.PROTECT, related_name="+",
                                 db_index=False)
    street = models.ForeignKey(Agency, verbose_name=_("街道"), null=True, blank=True, on_delete=models.PROTECT,
                               related_name="+")
    source = models.CharField(_("来源"), max_length=10, choices=Source.choices, default=Source.WEB)
    external_id = models.CharField(_("外部编号"), max_length=64, blank=True,
                                   help_text=_("12345 热线平台的工单号。"))
    category = models.CharField(_("类别"), max_length=20, choices=Category.choices)
    text = models.TextField(_("内容"), validators=[MinLengthValidator(TEXT_MIN), MaxLengthValidator(TEXT_MAX)])
    # What everybody but the handling firm reads once a moderator has removed personal details.
    text_redacted = models.TextField(_("隐去个人信息后的内容"), blank=True)
    name = models.CharField(_("称呼"), max_length=50, blank=True)
    mobile = models.CharField(_("手机号码"), max_length=20, blank=True)
    anonymous = models.BooleanField(_("匿名"), default=False)
    consent_contact = models.BooleanField(_("同意联系"), default=False)
    # A keyed hash of the sender's address, for the rate limits only (never the address itself).
    client_hash = models.CharField(max_length=64, blank=True, editable=False)

    state = models.CharField(_("状态"), max_length=20, choices=State.choices, default=State.NEW)
    submitted_at = models.DateTimeField(_("提交时间"), db_index=True)
    acknowledge_due = models.DateField(_("受理期限"))
    answer_due = models.DateField(_("答复期限"))
    acknowledged_at = models.DateTimeField(_("受理时间"), null=True, blank=True)
    answered_at = models.DateTimeField(_("答复时间"), null=True, blank=True)
    finished_at = models.DateTimeField(_("办结时间"), null=True, blank=True)
    # Judged once, at the first acknowledgement and the first answer; a reopened entry keeps them.
    acknowledged_on_time = models.BooleanField(_("按时受理"), null=True, blank=True)
    answered_on_time = models.BooleanField(_("按时答复"), null=True, blank=True)
    close_reason = models.CharField(_("办结说明"), max_length=500, blank=True)
    reopened_at = models.DateTimeField(_("重新办理时间"), null=True, blank=True)
    reopen_count = models.PositiveSmallIntegerField(_("重新办理次数"), default=0)
    rating = models.PositiveSmallIntegerField(_("满意度"), null=True, blank=True,
                                              validators=[MinValueValidator(1), MaxValueValidator(5)])
    rating_comment = models.CharField(_("评价"), max_length=500, blank=True)
    rated_at = models.DateTimeField(_("评价时间"), null=True, blank=True)

    hidden = models.BooleanField(_("已屏蔽"), default=False)
    hidden_reason = models.CharField(_("屏蔽原因"), max_length=200, blank=True)
    erased_at = models.DateTimeField(_("个人信息删除时间"), null=True, blank=True)

    # Located at its estate (whoever sees the estate sees it); the handling firm keeps the entries it was given.
    scope_links = {"estate": "estate", "firm": "firm"}
    public_objects, private_objects = scoping.personal_data_managers(public={"hidden": False})

    class Meta:
        verbose_name = _("意见建议")
        verbose_name_plural = pgettext_lazy("plural", "意见建议")
        base_manager_name = "private_objects"
        default_manager_name = "private_objects"
        ordering = ["-submitted_at", "-pk"]
        indexes = [
            models.Index(fields=["estate", "-submitted_at"], name="suggestion_estate_recent"),
            models.Index(fields=["firm", "state", "-submitted_at"], name="suggestion_firm_inbox"),
            models.Index(fields=["district", "-submitted_at"], name="suggestion_district_recent"),
            models.Index(fields=["client_hash", "estate", "submitted_at"], name="suggestion_rate_limit"),
            models.Index(fields=["mobile", "submitted_at"], name="suggestion_mobile_limit"),
            models.Index(fields=["state", "answer_due"], name="suggestion_open_due"),
            # The firm's inbox (selectors/inbox.py): newest first, or by deadline; the sweep's late-to-acknowledge.
            models.Index(fields=["firm", "-submitted_at", "-id"], name="suggestion_firm_recent"),
            models.Index(fields=["firm", "answer_due", "acknowledge_due", "id"], name="suggestion_firm_due"),
            models.Index(fields=["state", "acknowledge_due"], name="suggestion_new_due"),
        ]
        constraints = [
            models.UniqueConstraint(fields=["number"], name="suggestion_unique_number"),
            models.UniqueConstraint(fields=["token"], name="suggestion_unique_token"),
            models.UniqueConstraint(fields=["source", "external_id"], condition=~models.Q(external_id=""),
                                    name="suggestion_unique_external_id"),
        ]

    def __str__(self):
        return self.number

    @property
    def is_open(self):
        return self.state in self.OPEN_STATES

    @property
    def public_text(self):
        """The text for everybody but the handling firm: the redacted version once there is one."""
        return self.text_redacted or self.text

    @property
    def can_reopen(self):
        return self.state in (self.State.RESOLVED, self.State.CLOSED) and self.reopen_count < 1

    @property
    def can_rate(self):
        return self.state in self.FINISHED_STATES and self.answered_at is not None


class SuggestionEvent(models.Model):
    """One step in an entry's history: a state change, a reply, the resident's follow-up or rating,
    or a moderation action (those are not public: the tracking page never shows them)."""

    class Kind(models.TextChoices):
        SUBMITTED = "submitted", _("提交")
        ACKNOWLEDGED = "acknowledged", _("受理")
        STARTED = "started", _("开始办理")
        REPLY = "reply", _("答复")
        RESOLVED = "resolved", _("解决")
        CLOSED = "closed", _("办结（未解决）")
        REFERRED = "referred", _("转区主管部门")
        FOLLOW_UP = "follow_up", _("居民补充")
        RATED = "rated", _("居民评价")
        REOPENED = "reopened", _("重新办理")
        OVERDUE = "overdue", _("逾期")
        HIDDEN = "hidden", _("屏蔽")
        UNHIDDEN = "unhidden", _("取消屏蔽")
        REDACTED = "redacted", _("隐去个人信息")
        ERASED = "erased", _("删除个人信息")

    PRIVATE_KINDS = (Kind.HIDDEN, Kind.UNHIDDEN, Kind.REDACTED, Kind.ERASED, Kind.OVERDUE)

    suggestion = models.ForeignKey(Suggestion, verbose_name=_("意见建议"), on_delete=models.CASCADE,
                                   related_name="events")
    kind = models.CharField(_("类型"), max_length=20, choices=Kind.choices)
    state = models.CharField(_("办理后状态"), max_length=20, choices=Suggestion.State.choices)
    text = models.TextField(_("内容"), blank=True)
    by_user = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("操作人"), null=True, blank=True,
                                on_delete=models.SET_NULL, related_name="+")
    by_resident = models.BooleanField(_("居民"), default=False)
    public = models.BooleanField(_("公开"), default=True)
    created_at = models.DateTimeField(_("时间"), auto_now_add=True)

    scope_links = {"via": "suggestion"}
    objects = scoping.ScopedManager()

    class Meta:
        verbose_name = _("办理记录")
        verbose_name_plural = pgettext_lazy("plural", "办理记录")
        ordering = ["created_at", "pk"]
        indexes = [models.Index(fields=["suggestion", "created_at"], name="suggestion_event_history")]

    def __str__(self):
        return f"{self.suggestion_id} {self.get_kind_display()}"


def photo_path(instance, filename):
    return f"suggestions/{instance.suggestion.submitted_at:%Y/%m}/{filename}"


class SuggestionPhoto(models.Model):
    """A photo of an entry (from the resident) or of a reply (from the firm), re-encoded on upload:
    no uploaded byte is ever served, EXIF and location are gone (suggestions/photos.py)."""

    suggestion = models.ForeignKey(Suggestion, verbose_name=_("意见建议"), on_delete=models.CASCADE,
                                   related_name="photos")
    event = models.ForeignKey(SuggestionEvent, verbose_name=_("办理记录"), null=True, blank=True,
                              on_delete=models.CASCADE, related_name="photos")
    image = models.ImageField(_("照片"), upload_to=photo_path, width_field="width", height_field="height")
    thumbnail = models.ImageField(_("缩略图"), upload_to=photo_path)
    width = models.PositiveIntegerField(default=0, editable=False)
    height = models.PositiveIntegerField(default=0, editable=False)
    created_at = models.DateTimeField(auto_now_add=True)

    scope_links = {"via": "suggestion"}
    objects = scoping.ScopedManager()

    class Meta:
        verbose_name = _("照片")
        verbose_name_plural = pgettext_lazy("plural", "照片")
        ordering = ["pk"]

    def __str__(self):
        return self.image.name


class ReplyTemplate(models.Model):
    """A firm's reusable reply text."""

    firm = models.ForeignKey(PropertyFirm, verbose_name=_("企业"), on_delete=models.CASCADE,
                             related_name="reply_templates")
    title = models.CharField(_("标题"), max_length=60)
    text = models.TextField(_("内容"), validators=[MaxLengthValidator(TEXT_MAX)])

    scope_links = {"firm": "firm"}
    objects = scoping.ScopedManager()

    class Meta:
        verbose_name = _("答复模板")
        verbose_name_plural = pgettext_lazy("plural", "答复模板")
        ordering = ["title", "pk"]
        constraints = [models.UniqueConstraint(fields=["firm", "title"], name="reply_template_unique_title")]

    def __str__(self):
        return self.title


class PosterPrint(models.Model):
    """A poster of an estate's suggestion box printed (downloaded as PDF, alone or in a batch): with the
    box open online, this is what the campaign's "suggestion box" task counts (a record kind)."""

    estate = models.ForeignKey(Estate, verbose_name=_("小区"), on_delete=models.CASCADE, related_name="+")
    printed_on = models.DateField(_("打印日期"))
    printed_by = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("打印人"), null=True, blank=True,
                                   on_delete=models.SET_NULL, related_name="+")
    created_at = models.DateTimeField(_("时间"), auto_now_add=True)

    scope_links = {"estate": "estate"}
    objects = scoping.ScopedManager()

    class Meta:
        verbose_name = _("意见箱海报打印记录")
        verbose_name_plural = pgettext_lazy("plural", "意见箱海报打印记录")
        ordering = ["-printed_on", "-pk"]
        indexes = [models.Index(fields=["estate", "printed_on"], name="poster_print_estate_day")]

    def __str__(self):
        return f"{self.estate} {self.printed_on}"


class ApiClient(models.Model):
    """A hotline platform (12345) allowed to post entries for the estates of one district through the
    Open311-style API. Only a hash of its token is stored; the token is shown once, when issued."""

    district = models.ForeignKey(Agency, verbose_name=_("区"), on_delete=models.CASCADE, related_name="+",
                                 limit_choices_to={"level": Agency.Level.DISTRICT})
    name = models.CharField(_("名称"), max_length=100, help_text=_("如“海曙区 12345 热线平台”。"))
    token_hash = models.CharField(max_length=64, unique=True, editable=False)
    token_prefix = models.CharField(_("令牌前缀"), max_length=8, editable=False)
    is_active = models.BooleanField(_("启用"), default=True)
    created_at = models.DateTimeField(_("创建时间"), auto_now_add=True)
    last_used_at = models.DateTimeField(_("最近使用"), null=True, blank=True)

    scope_links = {"agency": "district"}
    objects = scoping.ScopedManager()

    class Meta:
        verbose_name = _("热线平台接口")
        verbose_name_plural = pgettext_lazy("plural", "热线平台接口")
        ordering = ["district__path", "name"]

    def __str__(self):
        return self.name


class UsedChallenge(models.Model):
    """A proof-of-work challenge (ALTCHA, suggestions/abuse.py) already redeemed: each is accepted once.

    Kept in the database, not in a per-process cache, so that a replay to another gunicorn worker
    is refused too; rows are deleted once the challenge has expired (it could not pass again anyway).
    """

    salt = models.CharField(max_length=64, unique=True)
    expires_at = models.DateTimeField(db_index=True)

    class Meta:
        verbose_name = _("已使用的验证")
        verbose_name_plural = pgettext_lazy("plural", "已使用的验证")

    def __str__(self):
        return self.salt

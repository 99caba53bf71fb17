"""Notifications (in-app), reminder policies and the exactly-once delivery log.

* :class:`Notification` is the in-app channel: one row per user and message; always on.
* :class:`ReminderPolicy` says when obligations of a task (or, as the default, of a campaign)
  are reminded: days before the deadline, on the day, every N days while overdue, in calendar
  or working days. No row means :data:`DEFAULT_POLICY`.
* :class:`Delivery` is the exactly-once log every outgoing message of the portal goes through:
  a row is stored under a unique key *before* anything is sent, then moves
  pending → sending → sent / failed / skipped. A sender claims rows by a conditional UPDATE
  (only one claimer can win a row) and holds the claim for a lease; a claim older than the
  lease is taken again, so a crashed worker loses nothing and two workers double nothing.
  :class:`Reminder` (key: obligation, kind, date) and :class:`Digest` (key: officer, week)
  are the campaigns' reminder log (their rows predate the generic outbox and keep their
  tables); :class:`OutboxMessage` is the generic row any app queues a registered message
  kind into (notifications/registry.py, notifications/outbox.py), for any recipient: a user,
  an organisation (agency or firm) or a bare address without an account.
"""

import uuid

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models, transaction
from django.db.models import Q
from django.db.models.signals import post_delete, post_save
from django.dispatch import receiver
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from estates.scoping import ScopedManager


class Notification(models.Model):
    class Category(models.TextChoices):
        REMINDER = "reminder", _("到期提醒")
        DIGEST = "digest", _("逾期汇总")
        MANUAL = "manual", _("人工催办")
        GENERAL = "general", _("通知")

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("接收人"), on_delete=models.CASCADE, related_name="notifications"
    )
    category = models.CharField(_("类别"), max_length=10, choices=Category.choices, default=Category.GENERAL)
    title = models.CharField(_("标题"), max_length=200)
    body = models.TextField(_("内容"), blank=True)
    link = models.CharField(_("链接"), max_length=300, blank=True)
    read_at = models.DateTimeField(_("阅读时间"), null=True, blank=True)
    created_at = models.DateTimeField(_("时间"), default=timezone.now)

    scope_links = {"user": "user"}  # one user's own
    objects = ScopedManager()

    class Meta:
        verbose_name = _("站内通知")
        verbose_name_plural = pgettext_lazy("plural", "站内通知")
        ordering = ["-created_at", "-pk"]
        indexes = [models.Index(fields=["user", "read_at"], name="notification_user_unread")]

    def __str__(self):
        return self.title

    @property
    def is_read(self):
        return self.read_at is not None


def parse_days(value):
    """"7,3,1" -> [7, 3, 1]; raises ValueError on anything else."""
    days = []
    for part in str(value or "").replace("，", ",").split(","):
        part = part.strip()
        if not part:
            continue
        n = int(part)
        if n < 1 or n > 365:
            raise ValueError(part)
        days.append(n)
    return sorted(set(days), reverse=True)


class ReminderPolicy(models.Model):
    """When reminders go out for a task's obligations; a campaign's row is the default of its tasks."""

    campaign = models.OneToOneField(
        "campaigns.Campaign", verbose_name=_("创建活动"), null=True, blank=True, on_delete=models.CASCADE,
        related_name="reminder_policy",
    )
    task = models.OneToOneField(
        "campaigns.Task", verbose_name=_("工作任务"), null=True, blank=True, on_delete=models.CASCADE,
        related_name="reminder_policy",
    )
    enabled = models.BooleanField(_("启用提醒"), default=True)
    days_before = models.CharField(
        _("提前提醒天数"), max_length=60, blank=True, default="7,3,1",
        help_text=_("用逗号分隔，如“7,3,1”表示到期前 7 天、3 天和 1 天各提醒一次；留空表示不提前提醒。"),
    )
    on_due_day = models.BooleanField(_("到期当天提醒"), default=True)
    overdue_every = models.PositiveSmallIntegerField(
        _("逾期后每隔几天提醒"), default=3,
        help_text=_("逾期次日发出第一次逾期提醒，之后每隔这么多天提醒一次；"
                    "0 表示逾期后不再单独提醒（仍计入每周逾期汇总）。"),
    )
    in_workdays = models.BooleanField(
        _("按工作日计算"), default=False,
        help_text=_("按法定工作日计算天数（节假日和调休以平台日历为准），期限落在节假日的顺延到下一个工作日。"),
    )
    updated_at = models.DateTimeField(_("修改时间"), auto_now=True)

    # Set by the issuer of the campaign (or of the task's campaign), not by those who follow it.
    scope_links = {"agency": ("campaign__issuing_agency", "task__action__campaign__issuing_agency")}
    objects = ScopedManager()

    class Meta:
        verbose_name = _("提醒规则")
        verbose_name_plural = pgettext_lazy("plural", "提醒规则")
        constraints = [
            models.CheckConstraint(
                condition=Q(campaign__isnull=False, task__isnull=True) | Q(campaign__isnull=True, task__isnull=False),
                name="reminder_policy_campaign_xor_task",
            )
        ]

    def __str__(self):
        target = self.task or self.campaign
        return _("%(target)s 的提醒规则") % {"target": target}

    def clean(self):
        errors = {}
        if bool(self.campaign_id) == bool(self.task_id):
            errors["task"] = _("请选择创建活动或工作任务之一：活动的规则是其各任务的默认规则。")
        try:
            self.days_before = ",".join(str(d) for d in parse_days(self.days_before))
        except ValueError:
            errors["days_before"] = _("请填写 1 到 365 之间的整数，用逗号分隔，如“7,3,1”。")
        if self.overdue_every and self.overdue_every > 90:
            errors["overdue_every"] = _("逾期提醒间隔不能超过 90 天。")
        if errors:
            raise ValidationError(errors)

    def as_rule(self):
        from .policy import Rule

        return Rule(
            enabled=self.enabled,
            days_before=tuple(parse_days(self.days_before)),
            on_due_day=self.on_due_day,
            overdue_every=self.overdue_every,
            in_workdays=self.in_workdays,
        )


class Delivery(models.Model):
    """The exactly-once log: a message's row exists before it is sent (see module docstring)."""

    class State(models.TextChoices):
        PENDING = "pending", _("待发送")
        SENDING = "sending", _("发送中")
        SENT = "sent", _("已发送")
        FAILED = "failed", _("发送失败")
        # Nobody could receive it (the party has no active account): not a sending failure; the
        # log says who to add, and the next sweep tries again.
        NO_RECIPIENT = "nobody", _("无接收人")
        SKIPPED = "skipped", _("已跳过")

    state = models.CharField(_("状态"), max_length=10, choices=State.choices, default=State.PENDING)
    attempts = models.PositiveSmallIntegerField(_("尝试次数"), default=0)
    claim_token = models.UUIDField(_("领取标识"), null=True, blank=True, editable=False)
    claimed_at = models.DateTimeField(_("领取时间"), null=True, blank=True)
    sent_at = models.DateTimeField(_("发送时间"), null=True, blank=True)
    recipients = models.TextField(_("接收人"), blank=True, help_text=_("站内通知的用户和邮件地址。"))
    channels_done = models.CharField(_("已完成渠道"), max_length=100, blank=True)
    last_error = models.TextField(_("错误信息"), blank=True)
    created_at = models.DateTimeField(_("创建时间"), default=timezone.now)

    class Meta:
        abstract = True


class Reminder(Delivery):
    class Kind(models.TextChoices):
        BEFORE = "before", _("到期前提醒")
        DUE = "due", _("到期当天提醒")
        OVERDUE = "overdue", _("逾期提醒")
        MANUAL = "manual", _("人工催办")

    obligation = models.ForeignKey(
        "campaigns.Obligation", verbose_name=_("任务责任"), on_delete=models.CASCADE, related_name="reminders"
    )
    campaign = models.ForeignKey(
        "campaigns.Campaign", verbose_name=_("创建活动"), on_delete=models.CASCADE, related_name="+"
    )
    kind = models.CharField(_("类型"), max_length=10, choices=Kind.choices)
    date = models.DateField(_("提醒日期"))
    # 0 for every automatic reminder; a forced repeat of a manual reminder on the same day gets 1, 2...
    seq = models.PositiveSmallIntegerField(_("序号"), default=0)
    offset = models.SmallIntegerField(
        _("天数"), default=0, help_text=_("到期前提醒为提前的天数，逾期提醒为已逾期的天数。")
    )
    due_date = models.DateField(_("完成期限"))
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("催办人"), null=True, blank=True, on_delete=models.SET_NULL,
        related_name="+",
    )

    scope_links = {"via": "obligation"}
    objects = ScopedManager()
    #: The ListVersion renewed by every write of these rows (notifications/outbox.py, campaigns/reminders.py).
    list_version = "reminders"

    class Meta:
        verbose_name = _("提醒记录")
        verbose_name_plural = pgettext_lazy("plural", "提醒记录")
        ordering = ["-date", "-pk"]
        constraints = [
            models.UniqueConstraint(fields=["obligation", "kind", "date", "seq"], name="reminder_unique_key"),
        ]
        indexes = [
            # The claim query: unsent rows, and sending rows whose lease ran out.
            models.Index(fields=["state", "claimed_at"], name="reminder_state_claimed"),
            models.Index(fields=["claim_token"], name="reminder_claim_token"),
            models.Index(fields=["date", "state"], name="reminder_date_state"),
            # The admin log's order (Meta.ordering, read backwards): its page's ids come from this index, no sort
            # of every reminder (issue 16, docs/PERFORMANCE.md, core.pagination.IdsFirstPaginator).
            models.Index(fields=["date", "id"], name="reminder_date_id"),
        ]

    def __str__(self):
        return f"{self.get_kind_display()} {self.date} #{self.obligation_id}"


class Digest(Delivery):
    """The weekly overdue digest of one officer of a reviewing agency; key (user, week)."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("接收人"), on_delete=models.CASCADE, related_name="digests"
    )
    agency = models.ForeignKey(
        "estates.Agency", verbose_name=_("主管机构"), on_delete=models.CASCADE, related_name="+"
    )
    week = models.DateField(_("周（周一）"))
    date = models.DateField(_("汇总日期"))
    overdue_count = models.PositiveIntegerField(_("逾期事项数"), default=0)

    scope_links = {"agency": "agency"}
    objects = ScopedManager()

    class Meta:
        verbose_name = _("逾期汇总记录")
        verbose_name_plural = pgettext_lazy("plural", "逾期汇总记录")
        ordering = ["-week", "-pk"]
        constraints = [models.UniqueConstraint(fields=["user", "week"], name="digest_unique_user_week")]
        indexes = [
            models.Index(fields=["state", "claimed_at"], name="digest_state_claimed"),
            models.Index(fields=["claim_token"], name="digest_claim_token"),
        ]

    def __str__(self):
        return f"{self.user} {self.week}"


class SweepRun(models.Model):
    """One day the reminder sweep stored its reminders. The next sweep looks for the days
    between the last run and today that have no row and catches their reminders up
    (notifications/services.py), so a day the sweep did not run is never silently lost."""

    date = models.DateField(_("提醒日期"), unique=True)
    ran_at = models.DateTimeField(_("运行时间"), default=timezone.now)
    caught_up_days = models.PositiveSmallIntegerField(
        _("补发天数"), default=0, help_text=_("本次补上的未运行日期的天数。")
    )

    class Meta:
        verbose_name = _("提醒运行记录")
        verbose_name_plural = pgettext_lazy("plural", "提醒运行记录")
        ordering = ["-date"]

    def __str__(self):
        return f"{self.date}"


class OutboxMessage(Delivery):
    """One message of a registered kind to one recipient, stored before it is sent.

    The unique key is (kind, natural key, date, recipient): queuing the same event twice
    stores one row. The recipient is a user, an organisation (an agency or a firm: expanded
    to its active users when sent) or a bare address with the channel that reaches it (a
    resident's phone, a group robot's webhook, an email address without an account).
    ``recipient`` is the key's text form ("user:7", "firm:3", "sms:13800000000") because a
    unique constraint over nullable foreign keys would not be unique (NULLs differ).
    """

    class State(models.TextChoices):
        # Delivery.State and two states of its own (an enum with members cannot be extended).
        PENDING = "pending", _("待发送")
        SENDING = "sending", _("发送中")
        SENT = "sent", _("已发送")
        FAILED = "failed", _("发送失败")
        NO_RECIPIENT = "nobody", _("无接收人")
        SKIPPED = "skipped", _("已跳过")
        # An event of a digest kind waits for its recipient's daily digest (HELD), then is folded
        # into the digest message (DIGESTED) and never sent on its own.
        HELD = "held", _("待汇总")
        DIGESTED = "digested", _("已汇总")

    class RecipientKind(models.TextChoices):
        USER = "user", _("用户")
        AGENCY = "agency", _("主管机构")
        FIRM = "firm", _("物业服务企业")
        ADDRESS = "address", _("地址")

    state = models.CharField(_("状态"), max_length=10, choices=State.choices, default=State.PENDING)
    kind = models.CharField(_("消息类型"), max_length=80)
    key = models.CharField(_("业务标识"), max_length=200)
    date = models.DateField(_("日期"))
    recipient = models.CharField(_("接收方标识"), max_length=300)
    recipient_kind = models.CharField(_("接收方类型"), max_length=10, choices=RecipientKind.choices)
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("接收用户"), null=True, blank=True, on_delete=models.CASCADE,
        related_name="+",
    )
    agency = models.ForeignKey(
        "estates.Agency", verbose_name=_("主管机构"), null=True, blank=True, on_delete=models.CASCADE,
        related_name="+",
    )
    firm = models.ForeignKey(
        "estates.PropertyFirm", verbose_name=_("物业服务企业"), null=True, blank=True, on_delete=models.CASCADE,
        related_name="+",
    )
    address = models.CharField(_("地址"), max_length=255, blank=True)
    address_channel = models.CharField(_("地址渠道"), max_length=20, blank=True)
    payload = models.JSONField(_("内容数据"), default=dict, blank=True)
    subject = models.CharField(_("标题"), max_length=200, blank=True)
    digest = models.ForeignKey(
        "self", verbose_name=_("所属汇总"), null=True, blank=True, on_delete=models.SET_NULL, related_name="items",
    )

    # A message to an organisation follows it (an agency's subtree; a firm's supervising district and
    # the firm); one to a user is that user's. Bare addresses (no account) only the superuser sees.
    scope_links = {"agency": "agency", "firm": "firm", "user": "user"}
    objects = ScopedManager()

    class Meta:
        verbose_name = _("消息记录")
        verbose_name_plural = pgettext_lazy("plural", "消息记录")
        ordering = ["-date", "-pk"]
        constraints = [
            models.UniqueConstraint(fields=["kind", "key", "date", "recipient"], name="outbox_unique_key"),
            models.CheckConstraint(
                condition=(Q(recipient_kind="user", user__isnull=False)
                           | Q(recipient_kind="agency", agency__isnull=False)
                           | Q(recipient_kind="firm", firm__isnull=False)
                           | (Q(recipient_kind="address") & ~Q(address=""))),
                name="outbox_recipient_present",
            ),
        ]
        indexes = [
            models.Index(fields=["state", "claimed_at"], name="outbox_state_claimed"),
            models.Index(fields=["claim_token"], name="outbox_claim_token"),
            models.Index(fields=["kind", "state", "date"], name="outbox_kind_state_date"),
            # The admin log's order (Meta.ordering, read backwards): its page's ids come from this index, no sort
            # of every message joined to its recipient (notifications/admin.py).
            models.Index(fields=["date", "id"], name="outbox_date_id"),
        ]

    def __str__(self):
        return f"{self.kind} {self.key} → {self.recipient}"


class ListVersion(models.Model):
    """A token renewed, in the transaction of the write, by every write of the rows a kept list shows (``name``:
    e.g. "reminders", the reminder log's, Reminder.list_version); read from the database, so every worker sees
    a write at once (a per-process cache would not). Under it the list keeps its count and rendered rows
    (ScopedAdmin.list_cache_version). One UPDATE per batch of writes, not one per row."""

    name = models.CharField(_("列表"), max_length=40, primary_key=True)
    token = models.CharField(_("版本"), max_length=32)

    class Meta:
        verbose_name = _("列表版本")
        verbose_name_plural = pgettext_lazy("plural", "列表版本")

    def __str__(self):
        return f"{self.name}: {self.token}"

    @classmethod
    def renew(cls, name):
        """A new token for ``name`` (one UPDATE; the row is created the first time)."""
        token = uuid.uuid4().hex
        if not cls.objects.filter(name=name).update(token=token):
            cls.objects.update_or_create(name=name, defaults={"token": token})

    @classmethod
    def renew_for(cls, model, count=1):
        """Renew the version of ``model``'s rows (if it keeps one) when ``count`` rows were written."""
        name = getattr(model, "list_version", None)
        if name and count:
            cls.renew(name)


@receiver(post_save, sender=Reminder, dispatch_uid="notifications_reminder_saved")
def reminder_saved(sender, instance, using, raw=False, **kwargs):
    """A reminder saved one by one, outside the services that write them in bulk and renew the version themselves
    (a script, the shell, a test creating one), renews the log's version: one UPDATE a save."""
    if not raw:
        ListVersion.objects.using(using).filter(name=Reminder.list_version).update(token=uuid.uuid4().hex)


@receiver(post_delete, sender=Reminder, dispatch_uid="notifications_reminder_deleted")
def reminder_deleted(sender, instance, using, **kwargs):
    """A deleted reminder (e.g. with its obligation) renews the log's version, once per transaction however many
    rows go: the connection's list of commit hooks is a new list in every transaction (a new savepoint renews
    again)."""
    conn = transaction.get_connection(using)
    marker = (conn.run_on_commit, tuple(conn.savepoint_ids))
    done = getattr(conn, "_reminders_renewed", None)
    if done is not None and done[0] is marker[0] and done[1] == marker[1]:
        return
    ListVersion.objects.using(using).filter(name=Reminder.list_version).update(token=uuid.uuid4().hex)
    conn._reminders_renewed = marker

"""Platform-wide models that every app reuses: long jobs and the working-day calendar."""

import uuid

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy


def generic_key(model, pk):
    """The generic key of a row of any model: "<app_label>.<model_name>:<pk>" (e.g. "estates.agency:12")."""
    return f"{model._meta.label_lower}:{pk}"


class JobQuerySet(models.QuerySet):
    def visible_to(self, user):
        """The jobs the user may follow (the declared rule, core.jobs.job_visible_q): the same method as the
        querysets of estates.scoping.ScopedQuerySet, which core does not import."""
        from core.jobs import job_visible_q

        return self.filter(job_visible_q(user))


class Job(models.Model):
    """A long job run off the request (import, PDF batch, export, report).

    The page that started it polls the job's progress and offers the result file for
    download to the owner and users of the owner's organisation until ``expires_at``.
    See core/jobs.py for the runner and the registry of job kinds.
    """

    class State(models.TextChoices):
        PENDING = "pending", _("排队中")
        RUNNING = "running", _("处理中")
        DONE = "done", _("已完成")
        FAILED = "failed", _("失败")

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    kind = models.CharField(_("类型"), max_length=60, db_index=True)
    title = models.CharField(_("名称"), max_length=200, blank=True)
    params = models.JSONField(_("参数"), default=dict, blank=True)
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("发起人"), on_delete=models.CASCADE, related_name="jobs"
    )
    # The organisation the result belongs to (its users may download it too), as a generic key
    # "<app_label>.<model>:<pk>" (generic_key above; the user model's ``organisation_key``): core knows no
    # domain app, so it keeps no foreign key to the registry's agencies and firms. Empty: the owner's alone.
    # A job outlives no organisation for long: every result expires (``expires_at``).
    organisation = models.CharField(max_length=100, blank=True, db_index=True, editable=False)
    state = models.CharField(_("状态"), max_length=10, choices=State.choices, default=State.PENDING, db_index=True)
    progress = models.PositiveSmallIntegerField(_("进度"), default=0)
    message = models.TextField(_("说明"), blank=True)
    result = models.FileField(_("结果文件"), upload_to="jobs/%Y/%m/", blank=True)
    result_name = models.CharField(_("文件名"), max_length=200, blank=True)
    created_at = models.DateTimeField(_("创建时间"), auto_now_add=True)
    started_at = models.DateTimeField(_("开始时间"), null=True, blank=True)
    finished_at = models.DateTimeField(_("完成时间"), null=True, blank=True)
    expires_at = models.DateTimeField(_("过期时间"), null=True, blank=True, db_index=True)

    # Its own rule (the owner and the owner's organisation, not the registry): core/jobs.py. A dotted
    # path, so that core imports nothing of estates/scoping.py, which reads it.
    scope_links = {"rule": "core.jobs.job_visible_q"}
    objects = JobQuerySet.as_manager()

    class Meta:
        verbose_name = _("后台任务")
        verbose_name_plural = pgettext_lazy("plural", "后台任务")
        ordering = ["-created_at"]

    def __str__(self):
        return self.title or self.kind


class CalendarDay(models.Model):
    """A day whose working status differs from the built-in calendar.

    chinese-calendar knows statutory holidays and make-up working days only up to the
    year of its release; staff add later years (and local exceptions) here. A row wins
    over the library.
    """

    class Holiday(models.TextChoices):
        """The statutory holidays (全体公民放假的节日): a year is complete in the calendar when
        each has at least one day off entered (core.workdays.missing_holidays)."""

        NEW_YEAR = "new_year", _("元旦")
        SPRING_FESTIVAL = "spring_festival", _("春节")
        QINGMING = "qingming", _("清明节")
        LABOUR_DAY = "labour_day", _("劳动节")
        DRAGON_BOAT = "dragon_boat", _("端午节")
        MID_AUTUMN = "mid_autumn", _("中秋节")
        NATIONAL_DAY = "national_day", _("国庆节")

    date = models.DateField(_("日期"), unique=True)
    is_workday = models.BooleanField(_("工作日"))
    holiday = models.CharField(
        _("法定节假日"), max_length=20, choices=Holiday.choices, blank=True,
        help_text=_("放假的日子属于哪个法定节假日；调休上班日和地方性调整可留空。"),
    )
    note = models.CharField(_("说明"), max_length=50, blank=True, help_text=_("如“春节”“国庆节调休上班”。"))

    class Meta:
        verbose_name = _("节假日调整")
        verbose_name_plural = pgettext_lazy("plural", "节假日调整")
        ordering = ["date"]

    def __str__(self):
        return f"{self.date} {self.note}"

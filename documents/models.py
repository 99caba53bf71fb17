"""Notice texts that bureau staff edit per campaign.

A :class:`NoticeTemplate` holds the title and body of one kind of printed notice (the
open letter to owners, the list of service contents, the campaign task notice) for one
campaign, or for every campaign without its own (``campaign`` empty). Title and body are
Django templates with simple placeholders (``{{ estate.name }}``) rendered against a
restricted context of plain values (documents/placeholders.py): no tags but ``if``, no
filters but ``default``, and the output is escaped as plain text.
"""

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from estates.scoping import ScopedManager


class NoticeKind(models.TextChoices):
    OPEN_LETTER = "open_letter", _("致全体业主的一封信")
    SERVICE_LIST = "service_list", _("物业服务内容清单")
    CAMPAIGN_NOTICE = "campaign_notice", _("创建活动任务告知书")


class NoticeTemplate(models.Model):
    campaign = models.ForeignKey(
        "campaigns.Campaign", verbose_name=_("创建活动"), null=True, blank=True, on_delete=models.CASCADE,
        related_name="notice_templates", help_text=_("留空表示通用文本，适用于没有专用文本的活动。"),
    )
    kind = models.CharField(_("文书类型"), max_length=20, choices=NoticeKind.choices)
    title = models.CharField(_("标题"), max_length=200)
    body = models.TextField(
        _("正文"),
        help_text=_("空一行分段；以“## ”开头的行是小标题。可用占位符如 {{ estate.name }}，见下方说明。"),
    )
    updated_at = models.DateTimeField(_("修改时间"), auto_now=True)
    updated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("修改人"), null=True, blank=True, on_delete=models.SET_NULL,
        related_name="+",
    )

    # Campaign texts follow the issuer's subtree; the generic texts (no campaign) are shared by all.
    scope_links = {"agency": "campaign__issuing_agency", "shared_when_null": "campaign"}
    objects = ScopedManager()

    class Meta:
        verbose_name = _("公告文本")
        verbose_name_plural = pgettext_lazy("plural", "公告文本")
        ordering = ["campaign_id", "kind"]
        constraints = [
            models.UniqueConstraint(fields=["campaign", "kind"], condition=Q(campaign__isnull=False),
                                    name="notice_template_unique_per_campaign"),
            models.UniqueConstraint(fields=["kind"], condition=Q(campaign__isnull=True),
                                    name="notice_template_unique_generic"),
        ]

    def __str__(self):
        return f"{self.campaign or _('通用')} · {self.get_kind_display()}"

    def clean(self):
        from .placeholders import PlaceholderError, compile_text

        errors = {}
        for field in ("title", "body"):
            try:
                compile_text(getattr(self, field))
            except PlaceholderError as exc:
                errors[field] = str(exc)
        if errors:
            raise ValidationError(errors)

"""Users. Every user belongs to at most one organisation: an agency or a property firm.

Residents have no accounts. What a user may see follows from the organisation alone
(see estates/scoping.py).
"""

from django.contrib.auth.models import AbstractUser, UserManager
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy
from simple_history.models import HistoricalRecords

from core.models import generic_key
from estates.scoping import ScopedQuerySet


class ScopedUserManager(UserManager.from_queryset(ScopedQuerySet)):
    """Django's UserManager (create_user, ...) with ``User.objects.visible_to(user)``."""


class User(AbstractUser):
    class Role(models.TextChoices):
        STAFF = "staff", _("工作人员")
        MANAGER = "manager", _("负责人")

    agency = models.ForeignKey(
        "estates.Agency", verbose_name=_("所属主管机构"), null=True, blank=True, on_delete=models.PROTECT,
        related_name="users",
    )
    firm = models.ForeignKey(
        "estates.PropertyFirm", verbose_name=_("所属物业企业"), null=True, blank=True, on_delete=models.PROTECT,
        related_name="users",
    )
    role = models.CharField(_("角色"), max_length=10, choices=Role.choices, default=Role.STAFF)
    phone = models.CharField(_("手机"), max_length=30, blank=True)
    email_notifications = models.BooleanField(
        _("接收邮件提醒"), default=True, help_text=_("站内通知始终开启；关闭后不再发送提醒邮件。")
    )
    history = HistoricalRecords(excluded_fields=["password", "last_login"], verbose_name=_("用户变更记录"),
                                verbose_name_plural=pgettext_lazy("plural", "用户变更记录"))

    scope_links = {"agency": "agency", "firm": "firm"}
    objects = ScopedUserManager()

    class Meta:
        verbose_name = _("用户")
        verbose_name_plural = pgettext_lazy("plural", "用户")
        constraints = [
            models.CheckConstraint(
                condition=Q(agency__isnull=True) | Q(firm__isnull=True), name="user_one_organisation"
            )
        ]

    def save(self, *args, **kwargs):
        # Bureau staff work in the Django admin, which requires is_staff; firm users never do.
        self.is_staff = bool(self.is_superuser or self.agency_id)
        super().save(*args, **kwargs)

    @property
    def organisation(self):
        return self.agency or self.firm

    @property
    def organisation_key(self):
        """The generic key of the organisation ("estates.agency:12"), from its id alone (no query): how core's
        records (a Job's ``organisation``) name it without knowing the registry. "" for none."""
        for name in ("agency", "firm"):
            pk = getattr(self, f"{name}_id")
            if pk:
                return generic_key(self._meta.get_field(name).related_model, pk)
        return ""

    @property
    def is_bureau(self):
        """Bureau staff work in the admin."""
        return self.is_active and (self.agency_id is not None or self.is_superuser)

    @property
    def is_firm_user(self):
        return self.is_active and self.firm_id is not None

    @property
    def agency_level(self):
        return self.agency.level if self.agency_id else None

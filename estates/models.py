"""The registry: the agency tree, property firms and estates.

Agencies form a tree city -> district -> street -> community. Each agency stores a
materialised ``path`` ("000001/000007/") so that a whole subtree is one prefix filter;
scoping (estates/scoping.py) is built on it.
"""

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import MinValueValidator, RegexValidator
from django.db import models, transaction
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy
from simple_history.models import HistoricalRecords

from core.text import with_note
from core.validators import normalize_credit_code, normalize_phone, validate_cn_phone, validate_credit_code

from .scoping import ScopedManager, ScopedQuerySet


class Agency(models.Model):
    class Level(models.TextChoices):
        CITY = "city", _("市级主管部门")
        DISTRICT = "district", _("县（市）区主管部门")
        STREET = "street", _("街道（乡镇）")
        COMMUNITY = "community", _("社区居委会")

    # Which level may sit under which: a district has streets, a street has communities.
    PARENT_LEVEL = {
        Level.CITY: None,
        Level.DISTRICT: Level.CITY,
        Level.STREET: Level.DISTRICT,
        Level.COMMUNITY: Level.STREET,
    }

    name = models.CharField(_("名称"), max_length=100)
    short_name = models.CharField(_("简称"), max_length=30, blank=True, help_text=_("如“海曙区”，用于报表和列表。"))
    level = models.CharField(_("层级"), max_length=10, choices=Level.choices, db_index=True)
    parent = models.ForeignKey(
        "self", verbose_name=_("上级"), null=True, blank=True, on_delete=models.PROTECT, related_name="children"
    )
    path = models.CharField(_("路径"), max_length=255, db_index=True, editable=False, default="")
    division_code = models.CharField(_("行政区划代码"), max_length=12, blank=True)
    phone = models.CharField(_("联系电话"), max_length=30, blank=True, validators=[validate_cn_phone])
    address = models.CharField(_("地址"), max_length=200, blank=True)
    history = HistoricalRecords(verbose_name=_("主管机构变更记录"),
                                verbose_name_plural=pgettext_lazy("plural", "主管机构变更记录"))

    scope_links = {"agency": ""}  # the registry itself: the user's subtree (estates/scoping.py)
    objects = ScopedManager()

    class Meta:
        verbose_name = _("主管机构")
        verbose_name_plural = pgettext_lazy("plural", "主管机构")
        ordering = ["path"]
        constraints = [
            models.UniqueConstraint(fields=["parent", "name"], name="agency_unique_name_per_parent"),
        ]

    def __str__(self):
        return self.short_name or self.name

    @property
    def display_name(self):
        return self.short_name or self.name

    def clean(self):
        expected = self.PARENT_LEVEL.get(self.level)
        if expected is None and self.parent_id:
            raise ValidationError({"parent": _("市级主管部门不能有上级。")})
        if expected is not None:
            if not self.parent_id:
                raise ValidationError({"parent": _("请选择上级机构。")})
            if self.parent.level != expected:
                raise ValidationError(
                    {"parent": _("%(level)s 的上级必须是 %(expected)s。")
                     % {"level": self.get_level_display(), "expected": self.Level(expected).label}}
                )
        if self.pk and self.parent_id and self.parent.path.startswith(self.path or "\0"):
            raise ValidationError({"parent": _("上级不能是本机构或其下级。")})

    def save(self, *args, **kwargs):
        with transaction.atomic():
            old_path = self.path
            super().save(*args, **kwargs)
            new_path = f"{self.parent.path if self.parent_id else ''}{self.pk:06d}/"
            if new_path != old_path:
                Agency.objects.filter(pk=self.pk).update(path=new_path)
                self.path = new_path
                if old_path:  # moved: re-root the subtree
                    for child in Agency.objects.filter(path__startswith=old_path).exclude(pk=self.pk):
                        Agency.objects.filter(pk=child.pk).update(path=new_path + child.path[len(old_path):])

    def get_descendants(self, include_self=True):
        qs = Agency.objects.filter(path__startswith=self.path)
        return qs if include_self else qs.exclude(pk=self.pk)

    def is_ancestor_of(self, other):
        return bool(other and other.path.startswith(self.path))

    def ancestor(self, level):
        """The agency of the given level above (or equal to) this one."""
        node = self
        while node is not None and node.level != level:
            node = node.parent
        return node


class PropertyFirm(models.Model):
    class Grade(models.IntegerChoices):
        ONE = 1, _("一级资质")
        TWO = 2, _("二级资质")
        THREE = 3, _("三级资质")

    name = models.CharField(_("企业名称"), max_length=100)
    credit_code = models.CharField(
        _("统一社会信用代码"), max_length=18, unique=True, validators=[validate_credit_code],
        help_text=_("18 位，含校验位。"),
    )
    grade = models.PositiveSmallIntegerField(_("资质等级"), choices=Grade.choices)
    address = models.CharField(_("地址"), max_length=200, blank=True)
    contact_person = models.CharField(_("联系人"), max_length=50, blank=True)
    contact_phone = models.CharField(_("联系电话"), max_length=30, blank=True, validators=[validate_cn_phone])
    hotline = models.CharField(_("24 小时服务热线"), max_length=30, blank=True, validators=[validate_cn_phone])
    complaint_phone = models.CharField(_("投诉电话"), max_length=30, blank=True, validators=[validate_cn_phone])
    email = models.EmailField(_("电子邮箱"), blank=True)
    district = models.ForeignKey(
        Agency, verbose_name=_("监管区主管部门"), on_delete=models.PROTECT, related_name="supervised_firms",
        limit_choices_to={"level": Agency.Level.DISTRICT},
    )
    is_active = models.BooleanField(_("在册"), default=True)
    created_at = models.DateTimeField(_("登记时间"), auto_now_add=True)
    history = HistoricalRecords(verbose_name=_("物业服务企业变更记录"),
                                verbose_name_plural=pgettext_lazy("plural", "物业服务企业变更记录"))

    scope_links = {"firm": ""}
    objects = ScopedManager()

    class Meta:
        verbose_name = _("物业服务企业")
        verbose_name_plural = pgettext_lazy("plural", "物业服务企业")
        ordering = ["name"]

    def __str__(self):
        return self.name

    def clean(self):
        self.credit_code = normalize_credit_code(self.credit_code)
        for field in ("contact_phone", "hotline", "complaint_phone"):
            setattr(self, field, normalize_phone(getattr(self, field)))
        if self.district_id and self.district.level != Agency.Level.DISTRICT:
            raise ValidationError({"district": _("监管部门必须是县（市）区主管部门。")})


class EstateQuerySet(ScopedQuerySet):
    def old(self):
        return self.filter(year_built__lt=settings.OLD_ESTATE_BEFORE_YEAR)

    def not_old(self):
        return self.exclude(year_built__lt=settings.OLD_ESTATE_BEFORE_YEAR)


estate_code_validator = RegexValidator(
    r"^[A-Za-z0-9][A-Za-z0-9-]{1,31}$",
    _("小区编码只能包含字母、数字和连字符，2–32 位。"),
)


class Estate(models.Model):
    class Category(models.IntegerChoices):
        ONE = 1, _("一类")
        TWO = 2, _("二类")
        THREE = 3, _("三类")

    code = models.CharField(
        _("小区编码"), max_length=32, unique=True, validators=[estate_code_validator],
        help_text=_("唯一且长期不变，用于公开网址和二维码。"),
    )
    name = models.CharField(_("小区名称"), max_length=100)
    address = models.CharField(_("地址"), max_length=200, blank=True)
    district = models.ForeignKey(
        Agency, verbose_name=_("所属区"), on_delete=models.PROTECT, related_name="district_estates",
        limit_choices_to={"level": Agency.Level.DISTRICT},
    )
    street = models.ForeignKey(
        Agency, verbose_name=_("所属街道"), on_delete=models.PROTECT, related_name="street_estates",
        limit_choices_to={"level": Agency.Level.STREET},
    )
    community = models.ForeignKey(
        Agency, verbose_name=_("所属社区"), on_delete=models.PROTECT, related_name="community_estates",
        null=True, blank=True, limit_choices_to={"level": Agency.Level.COMMUNITY},
    )
    firm = models.ForeignKey(
        PropertyFirm, verbose_name=_("物业服务企业"), on_delete=models.PROTECT, related_name="estates",
        null=True, blank=True,
    )
    category = models.PositiveSmallIntegerField(_("小区类别"), choices=Category.choices, default=Category.TWO)
    year_built = models.PositiveSmallIntegerField(
        _("建成年份"), null=True, blank=True, validators=[MinValueValidator(1900)]
    )
    households = models.PositiveIntegerField(_("户数"), default=0)
    floor_area = models.DecimalField(_("建筑面积（平方米）"), max_digits=12, decimal_places=2, null=True, blank=True)
    has_owners_committee = models.BooleanField(_("已成立业主委员会"), default=False)
    hotline = models.CharField(
        _("服务中心电话"), max_length=30, blank=True, validators=[validate_cn_phone],
        help_text=_("留空则使用企业的服务热线。"),
    )
    complaint_phone = models.CharField(
        _("投诉电话"), max_length=30, blank=True, validators=[validate_cn_phone],
        help_text=_("留空则使用企业的投诉电话。"),
    )
    is_active = models.BooleanField(_("在册"), default=True)
    created_at = models.DateTimeField(_("登记时间"), auto_now_add=True)
    history = HistoricalRecords(verbose_name=_("住宅小区变更记录"),
                                verbose_name_plural=pgettext_lazy("plural", "住宅小区变更记录"))

    objects = EstateQuerySet.as_manager()

    scope_links = {"estate": ""}

    class Meta:
        verbose_name = _("住宅小区")
        verbose_name_plural = pgettext_lazy("plural", "住宅小区")
        ordering = ["code"]
        indexes = [models.Index(fields=["district", "street"]), models.Index(fields=["firm"])]

    def __str__(self):
        return self.name

    @property
    def is_old(self):
        return self.year_built is not None and self.year_built < settings.OLD_ESTATE_BEFORE_YEAR

    @property
    def effective_hotline(self):
        return self.hotline or (self.firm.hotline if self.firm_id else "")

    @property
    def effective_complaint_phone(self):
        return self.complaint_phone or (self.firm.complaint_phone if self.firm_id else "")

    def clean(self):
        self.code = (self.code or "").strip().upper()
        for field in ("hotline", "complaint_phone"):
            setattr(self, field, normalize_phone(getattr(self, field)))
        errors = {}
        if self.street_id and self.district_id and self.street.parent_id != self.district_id:
            errors["street"] = _("所选街道不属于所选区。")
        if self.community_id and self.street_id and self.community.parent_id != self.street_id:
            errors["community"] = _("所选社区不属于所选街道。")
        if errors:
            raise ValidationError(errors)


class Coordinator(models.Model):
    """The coordinator (协调员) a firm appoints for one estate."""

    estate = models.ForeignKey(Estate, verbose_name=_("小区"), on_delete=models.CASCADE, related_name="coordinators")
    name = models.CharField(_("姓名"), max_length=50)
    phone = models.CharField(_("联系电话"), max_length=30, validators=[validate_cn_phone])
    appointed_on = models.DateField(_("聘任日期"))
    is_current = models.BooleanField(_("在任"), default=True)
    history = HistoricalRecords(verbose_name=_("协调员变更记录"),
                                verbose_name_plural=pgettext_lazy("plural", "协调员变更记录"))

    scope_links = {"estate": "estate"}
    objects = ScopedManager()

    class Meta:
        verbose_name = _("协调员")
        verbose_name_plural = pgettext_lazy("plural", "协调员")
        ordering = ["estate__code", "-appointed_on"]
        constraints = [
            models.UniqueConstraint(
                fields=["estate"], condition=models.Q(is_current=True), name="one_current_coordinator_per_estate"
            )
        ]

    def __str__(self):
        return with_note(self.name, self.estate)

from django import forms
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from core.text import with_note
from core.widgets import DateInput
from estates import selectors as estate_selectors
from estates.models import Agency

from . import selectors
from .models import NoticeKind


def _bootstrap(form):
    for field in form.fields.values():
        widget = field.widget
        if isinstance(widget, forms.CheckboxSelectMultiple):
            continue
        widget.attrs.setdefault("class", "form-select" if isinstance(widget, forms.Select) else "form-control")


class _CampaignField(forms.ModelChoiceField):
    def label_from_instance(self, obj):
        return with_note(f"{obj.year} · {obj.name}", obj.get_status_display())


class NoticeBatchForm(forms.Form):
    """What to print and for which estates: exactly one of firm, street, district, codes."""

    campaign = _CampaignField(label=_("创建活动"), queryset=None, required=False, empty_label=_("（通用文本）"))
    kinds = forms.MultipleChoiceField(
        label=_("文书"), choices=NoticeKind.choices, widget=forms.CheckboxSelectMultiple,
        initial=[NoticeKind.OPEN_LETTER],
    )
    district = forms.ModelChoiceField(label=_("按区"), queryset=None, required=False)
    street = forms.ModelChoiceField(label=_("按街道"), queryset=None, required=False)
    firm = forms.ModelChoiceField(label=_("按物业服务企业"), queryset=None, required=False)
    codes = forms.CharField(
        label=_("按小区编码"), required=False, widget=forms.Textarea(attrs={"rows": 2}),
        help_text=_("多个编码用空格、逗号或换行分隔。"),
    )

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, **kwargs)
        self.user = user
        self.fields["campaign"].queryset = selectors.campaign_list(user=user)
        agencies = estate_selectors.agency_list(user=user)
        self.fields["district"].queryset = agencies.filter(level=Agency.Level.DISTRICT)
        self.fields["street"].queryset = agencies.filter(level=Agency.Level.STREET)
        self.fields["firm"].queryset = estate_selectors.firm_list(user=user).filter(is_active=True)
        _bootstrap(self)

    def clean_codes(self):
        import re

        return [c for c in re.split(r"[\s,，;；、]+", self.cleaned_data["codes"] or "") if c]

    def clean(self):
        data = super().clean()
        chosen = [name for name in ("district", "street", "firm", "codes") if data.get(name)]
        if len(chosen) != 1:
            raise forms.ValidationError(_("请在区、街道、企业、小区编码中选择且只选择一种范围。"))
        return data

    def scope(self):
        data = self.cleaned_data
        if data.get("codes"):
            return {"codes": data["codes"]}
        for name in ("district", "street", "firm"):
            if data.get(name):
                return {f"{name}_id": data[name].pk}
        return {}


class CampaignReportForm(forms.Form):
    campaign = _CampaignField(label=_("创建活动"), queryset=None)
    agency = forms.ModelChoiceField(
        label=_("报告范围"), queryset=None, help_text=_("市级为全市汇总，区级为本区汇总。")
    )
    as_of = forms.DateField(label=_("统计日期"), widget=DateInput())

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["campaign"].queryset = selectors.campaign_list(user=user)
        self.fields["agency"].queryset = estate_selectors.agency_list(user=user).filter(
            level__in=[Agency.Level.CITY, Agency.Level.DISTRICT]
        )
        self.fields["as_of"].initial = timezone.localdate()
        _bootstrap(self)

"""Forms of the bureau side: the statistics' date range, moderation (hide with a reason, redact)."""

import datetime

from django import forms
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from core.widgets import DateInput

from .models import TEXT_MAX
from .selectors import stats

# No statistics before the suggestion box existed, nor centuries ahead (a typed year 20260).
EARLIEST = datetime.date(2000, 1, 1)
MAX_SPAN_DAYS = 366 * 10


class DateRangeForm(forms.Form):
    start = forms.DateField(label=gettext_lazy("开始日期"), widget=DateInput(), input_formats=["%Y-%m-%d"])
    end = forms.DateField(label=gettext_lazy("结束日期"), widget=DateInput(), input_formats=["%Y-%m-%d"])

    def clean(self):
        data = super().clean()
        start, end = data.get("start"), data.get("end")
        if start and end:
            if start < EARLIEST or end > datetime.date(2100, 12, 31):
                raise forms.ValidationError(_("日期超出范围。"))
            if end < start:
                self.add_error("end", _("结束日期不能早于开始日期。"))
            elif (end - start).days > MAX_SPAN_DAYS:
                self.add_error("end", _("统计时段最长十年。"))
        return data

    def date_range(self):
        return stats.Range(self.cleaned_data["start"], self.cleaned_data["end"])


def date_range_form(data, *, default=None, extra=None):
    """A bound form from GET parameters (the default range when none are given) and its range, or the
    default range when the parameters are wrong (the form then carries the errors to show)."""
    default = default or stats.default_range()
    form_class = extra or DateRangeForm
    given = {k: data.get(k) for k in ("start", "end", "by") if data.get(k)}
    form = form_class({"start": default.start.isoformat(), "end": default.end.isoformat(), **given})
    if form.is_valid():
        return form, form.date_range()
    return form, default


class StatsForm(DateRangeForm):
    by = forms.ChoiceField(label=gettext_lazy("统计单位"), choices=list(stats.GROUPING_LABELS.items()),
                           initial="estate", required=False)

    def clean_by(self):
        return self.cleaned_data.get("by") or "estate"


class HideForm(forms.Form):
    reason = forms.CharField(label=gettext_lazy("屏蔽原因"), max_length=200,
                             help_text=gettext_lazy("如：辱骂、广告、与小区物业无关。居民和公众看不到此意见，记录保留。"),
                             widget=forms.TextInput(attrs={"size": 60}))


class RedactForm(forms.Form):
    text = forms.CharField(
        label=gettext_lazy("隐去个人信息后的内容"), max_length=TEXT_MAX,
        help_text=gettext_lazy("删去或替换其中的姓名、电话、门牌号等个人信息；原文保留，仅办理企业可见。"),
        widget=forms.Textarea(attrs={"rows": 8, "cols": 80}),
    )

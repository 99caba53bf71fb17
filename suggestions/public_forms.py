"""Forms of the residents' public pages: the suggestion form and the tracking page's three forms.

Every error is a sentence next to its field; what the resident typed comes back with the page
(photos excepted: a browser cannot be handed a file back, so the page says to choose them again).
Photos are checked and re-encoded here (suggestions/photos.py), so a bad one is an error on the
form, before anything is saved.
"""

from django import forms
from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from . import abuse, photos, privacy
from .models import TEXT_MAX, TEXT_MIN, Category
from .services import MAX_PHOTOS


class MultipleFileInput(forms.ClearableFileInput):
    allow_multiple_selected = True


class MultiplePhotoField(forms.FileField):
    """Up to MAX_PHOTOS files in one input (phones let a person pick several at once)."""

    widget = MultipleFileInput

    def clean(self, data, initial=None):
        files = [f for f in (data if isinstance(data, list | tuple) else [data]) if f]
        if len(files) > MAX_PHOTOS:
            raise ValidationError(_("最多上传 %(max)s 张照片（您选择了 %(count)s 张）。") % {
                "max": MAX_PHOTOS, "count": len(files)}, code="too_many")
        prepared, errors = [], []
        for index, uploaded in enumerate(files, start=1):
            try:
                prepared.append(photos.prepare(uploaded))
            except ValidationError as error:
                errors.append(_("第 %(n)s 张照片：%(error)s") % {"n": index, "error": " ".join(error.messages)})
        if errors:
            raise ValidationError(errors)
        return prepared


def _text_field(label, *, minimum, help_text=""):
    return forms.CharField(
        label=label, min_length=minimum, max_length=TEXT_MAX, help_text=help_text,
        error_messages={
            "required": gettext_lazy("请填写内容。"),
            "min_length": gettext_lazy("内容至少 %(limit_value)d 个字（现有 %(show_value)d 个）。"),
            "max_length": gettext_lazy("内容最多 %(limit_value)d 个字（现有 %(show_value)d 个）。"),
        },
        widget=forms.Textarea(attrs={"rows": 6, "maxlength": TEXT_MAX, "data-counter": "true"}),
    )


class SuggestionForm(forms.Form):
    category = forms.ChoiceField(
        label=gettext_lazy("类别"), choices=Category.choices, widget=forms.RadioSelect,
        error_messages={"required": gettext_lazy("请选择类别。"),
                        "invalid_choice": gettext_lazy("请选择类别。")})
    text = _text_field(gettext_lazy("意见建议"), minimum=TEXT_MIN,
                       help_text=gettext_lazy("请写清楚事情、地点和时间，10 到 2000 个字。"))
    photos = MultiplePhotoField(
        label=gettext_lazy("照片（可选，最多 3 张）"), required=False,
        help_text=gettext_lazy(
            "支持手机拍摄的 JPG、PNG、WebP、HEIC 照片，每张不超过 5 MB。照片中的位置等信息会被删除。"),
        widget=MultipleFileInput(attrs={"accept": photos.ACCEPT}))
    anonymous = forms.BooleanField(
        label=gettext_lazy("匿名提交（不留称呼和手机号码）"), required=False)
    name = forms.CharField(label=gettext_lazy("称呼（可选）"), max_length=50, required=False,
                           widget=forms.TextInput(attrs={"autocomplete": "name"}))
    mobile = forms.CharField(
        label=gettext_lazy("手机号码（可选）"), max_length=20, required=False,
        help_text=gettext_lazy("只有负责办理的物业服务企业能看到完整号码。"),
        widget=forms.TextInput(attrs={"inputmode": "tel", "autocomplete": "tel"}))
    consent_contact = forms.BooleanField(
        label=gettext_lazy("同意物业服务企业通过手机与我联系，并接收办理进展短信"), required=False)
    # The honeypot (suggestions/abuse.py): hidden from sight and from assistive technology by the template.
    website = forms.CharField(required=False, max_length=200, label=gettext_lazy("请勿填写此项"))

    def __init__(self, *args, challenge=False, **kwargs):
        super().__init__(*args, **kwargs)
        self.challenge = challenge

    def clean_mobile(self):
        return privacy.normalize_mobile(self.cleaned_data.get("mobile", ""))

    def clean(self):
        data = super().clean()
        if data.get("anonymous"):
            # Anonymous means anonymous: whatever was typed in name and mobile is dropped.
            data["name"], data["mobile"], data["consent_contact"] = "", "", False
            self.errors.pop("mobile", None)
        elif data.get("consent_contact") and not data.get("mobile") and "mobile" not in self.errors:
            self.add_error("mobile", _("同意联系时请留下手机号码，或取消勾选“同意联系”。"))
        if self.challenge and not self.errors and not abuse.verify_challenge(self.data.get(abuse.ALTCHA_FIELD)):
            self.add_error(None, ValidationError(
                _("您短时间内提交较多，请先完成下方的“我不是机器人”验证，再点“提交”。"), code="challenge"))
        return data


class FollowUpForm(forms.Form):
    text = _text_field(gettext_lazy("补充内容"), minimum=2)


class RateForm(forms.Form):
    rating = forms.TypedChoiceField(
        label=gettext_lazy("满意度"), coerce=int, widget=forms.RadioSelect,
        choices=[(5, gettext_lazy("5 分 非常满意")), (4, gettext_lazy("4 分 满意")), (3, gettext_lazy("3 分 一般")),
                 (2, gettext_lazy("2 分 不满意")), (1, gettext_lazy("1 分 非常不满意"))],
        error_messages={"required": gettext_lazy("请选择 1 到 5 分。"),
                        "invalid_choice": gettext_lazy("请选择 1 到 5 分。")})
    comment = forms.CharField(label=gettext_lazy("评价（可选）"), max_length=500, required=False,
                              widget=forms.Textarea(attrs={"rows": 3, "maxlength": 500}),
                              error_messages={"max_length": gettext_lazy("评价最多 %(limit_value)d 个字。")})


class ReopenForm(forms.Form):
    text = _text_field(gettext_lazy("申请重新办理的理由"), minimum=2)

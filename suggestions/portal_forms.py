"""Forms of the firm's inbox: the list's filters (GET), the actions on an entry (each its own POST)
and the reply templates. Forms parse and check what was typed; the rules of each step live in
services.py, whose ValidationErrors are put back on the form next to their field."""

from django import forms
from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from core.widgets import DateInput

from . import photos as photo_files
from .models import TEXT_MAX, Category, Suggestion
from .selectors.inbox import ORDERS, InboxFilter
from .services import MAX_PHOTOS

PHOTO_ACCEPT = ".jpg,.jpeg,.png,.webp,.heic,.heif,image/jpeg,image/png,image/webp,image/heic,image/heif"


class InboxFilterForm(forms.Form):
    """The list's filters. A value that is not one of the choices is an error of its field; the
    other filters still apply (the page never fails on a hand-edited address)."""

    estate = forms.ChoiceField(label=gettext_lazy("小区"), required=False)
    state = forms.ChoiceField(label=gettext_lazy("状态"), required=False,
                              choices=[("", gettext_lazy("全部状态")), *Suggestion.State.choices])
    category = forms.ChoiceField(label=gettext_lazy("类别"), required=False,
                                 choices=[("", gettext_lazy("全部类别")), *Category.choices])
    overdue = forms.BooleanField(label=gettext_lazy("只看逾期"), required=False)
    date_from = forms.DateField(label=gettext_lazy("提交日期从"), required=False, widget=DateInput())
    date_to = forms.DateField(label=gettext_lazy("至"), required=False, widget=DateInput())
    q = forms.CharField(label=gettext_lazy("编号或内容"), required=False, max_length=50)
    order = forms.ChoiceField(label=gettext_lazy("排序"), required=False, choices=[
        ("recent", gettext_lazy("最新提交在前")), ("due", gettext_lazy("期限最近在前"))])

    def __init__(self, data=None, *, estates):
        super().__init__(data)
        self.estates = {e.code: e for e in estates}
        self.fields["estate"].choices = [("", _("全部小区")), *((e.code, f"{e.code} {e.name}") for e in estates)]
        for name, field in self.fields.items():
            css = {"overdue": "form-check-input", "estate": "form-select form-select-sm",
                   "state": "form-select form-select-sm", "category": "form-select form-select-sm",
                   "order": "form-select form-select-sm"}.get(name, "form-control form-control-sm")
            field.widget.attrs["class"] = css
            if self.is_bound and name in (data or {}) and self.has_error(name):
                field.widget.attrs.update({"aria-invalid": "true", "aria-describedby": f"error-{name}"})

    def clean(self):
        data = super().clean()
        if data.get("date_from") and data.get("date_to") and data["date_from"] > data["date_to"]:
            self.add_error("date_to", _("结束日期不能早于开始日期。"))
        return data

    def filters(self):
        """The valid part of what was asked (call after is_valid())."""
        data = {k: v for k, v in getattr(self, "cleaned_data", {}).items() if k not in self.errors}
        order = data.get("order") or "recent"
        return InboxFilter(
            estate=self.estates.get(data.get("estate") or ""), state=data.get("state") or "",
            category=data.get("category") or "", overdue=bool(data.get("overdue")),
            date_from=data.get("date_from"), date_to=data.get("date_to") if "date_to" not in self.errors else None,
            q=(data.get("q") or "").strip(), order=order if order in ORDERS else "recent")


class MultiplePhotoInput(forms.ClearableFileInput):
    allow_multiple_selected = True


class PhotosField(forms.FileField):
    """Up to MAX_PHOTOS photos, each checked by content and re-encoded (suggestions/photos.py):
    cleaned into "prepared" photos the services store; nothing uploaded is ever kept as sent."""

    def __init__(self, **kwargs):
        kwargs.setdefault("required", False)
        kwargs.setdefault("widget", MultiplePhotoInput(attrs={"accept": PHOTO_ACCEPT}))
        super().__init__(**kwargs)

    def clean(self, data, initial=None):
        files = [f for f in (data if isinstance(data, (list, tuple)) else [data]) if f]
        if len(files) > MAX_PHOTOS:
            raise ValidationError(_("最多上传 %(max)s 张照片。") % {"max": MAX_PHOTOS})
        prepared, errors = [], []
        for upload in files:
            try:
                prepared.append(photo_files.prepare(super().clean(upload, initial)))
            except ValidationError as exc:
                name = getattr(upload, "name", "") or _("未命名文件")
                errors.extend(_("“%(name)s”：%(reason)s") % {"name": name, "reason": m} for m in exc.messages)
        if errors:
            raise ValidationError(errors + [_("请重新选择照片后再提交（已填写的文字已保留）。")])
        return prepared


def _photos_help():
    return _("最多 %(n)s 张，JPEG、PNG、WebP 或 HEIC 图片。") % {"n": MAX_PHOTOS}


class TemplateSelect(forms.Select):
    """The reply templates, each option carrying its text (static/js/suggestions-inbox.js fills the
    reply with it; without JavaScript the "填入模板" button does the same on the server)."""

    def __init__(self, *args, texts=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.texts = texts or {}

    def create_option(self, name, value, *args, **kwargs):
        option = super().create_option(name, value, *args, **kwargs)
        text = self.texts.get(str(value))
        if text:
            option["attrs"]["data-template-text"] = text
        return option


class ReplyForm(forms.Form):
    template = forms.ChoiceField(label=gettext_lazy("答复模板"), required=False)
    text = forms.CharField(label=gettext_lazy("答复内容"), max_length=TEXT_MAX,
                           widget=forms.Textarea(attrs={"rows": 5, "data-template-target": "reply"}),
                           error_messages={"required": gettext_lazy("请填写答复内容。")})
    photos = PhotosField(label=gettext_lazy("照片"))

    def __init__(self, *args, templates=(), **kwargs):
        super().__init__(*args, **kwargs)
        templates = list(templates)
        self.templates = {str(t.pk): t for t in templates}
        self.fields["template"].widget = TemplateSelect(
            texts={str(t.pk): t.text for t in templates},
            attrs={"data-template-source": "reply", "class": "form-select"})
        self.fields["template"].choices = [("", _("不使用模板")), *((str(t.pk), t.title) for t in templates)]
        self.fields["photos"].help_text = _photos_help()
        if not templates:
            del self.fields["template"]

    def chosen_template(self):
        return self.templates.get(str(self.data.get("template") or ""))


class ResolveForm(forms.Form):
    text = forms.CharField(label=gettext_lazy("办理结果"), max_length=TEXT_MAX,
                           widget=forms.Textarea(attrs={"rows": 3}),
                           error_messages={"required": gettext_lazy("请写明办理结果。")})
    photos = PhotosField(label=gettext_lazy("照片"))

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["photos"].help_text = _photos_help()


class ReasonForm(forms.Form):
    reason = forms.CharField(label=gettext_lazy("原因"), max_length=500, widget=forms.Textarea(attrs={"rows": 3}),
                             error_messages={"required": gettext_lazy("请填写原因。")})

    def __init__(self, *args, label=None, help_text="", **kwargs):
        super().__init__(*args, **kwargs)
        if label:
            self.fields["reason"].label = label
        self.fields["reason"].help_text = help_text


class ReplyTemplateForm(forms.Form):
    title = forms.CharField(label=gettext_lazy("标题"), max_length=60,
                            error_messages={"required": gettext_lazy("请填写标题。")})
    text = forms.CharField(label=gettext_lazy("内容"), max_length=TEXT_MAX, widget=forms.Textarea(attrs={"rows": 5}),
                           error_messages={"required": gettext_lazy("请填写内容。")})


def add_service_errors(form, exc):
    """Put a service's ValidationError on the form: by field where it names one, else on top."""
    if hasattr(exc, "error_dict"):
        for field, errors in exc.message_dict.items():
            for message in errors:
                form.add_error(field if field in form.fields else None, message)
    else:
        for message in exc.messages:
            form.add_error(None, message)

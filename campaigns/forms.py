"""Forms of the campaign pages: evidence with checked uploads, records, coordinators, review.

Uploads are checked by CONTENT, never by the name or the browser's content type, which the
uploader controls. ``filetype`` (PyPI, no native dependency, unlike python-magic which
needs libmagic) reads the signature of the first bytes; then each kind gets a deeper check
of its own, because a signature alone is a few bytes an attacker can prepend:

* images (JPEG, PNG, WebP): Pillow opens and ``verify()``-s the whole file;
* PDF: the ``%PDF-`` signature and an ``%%EOF`` marker near the end;
* docx/xlsx/pptx: a readable zip with ``[Content_Types].xml`` and the part of its kind
  (``word/``, ``xl/``, ``ppt/``), and not a zip bomb;
* doc/xls: the OLE2 compound-file signature (filetype checks the sub-type markers).

The stored name gets the extension of the detected type, so a PNG called ``x.jpg`` is kept
as ``x.png`` and nothing is ever served under an extension its content does not have.
"""

import os
import zipfile

import filetype
from crispy_forms.helper import FormHelper
from crispy_forms.layout import Submit
from django import forms
from django.conf import settings
from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from core import widgets
from estates.models import Estate

from .models import Activity, EvidenceKind

HEAD_BYTES = 8192  # what filetype reads; enough for every signature we accept
MAX_UNPACKED_RATIO = 50  # an Office file that unpacks to 50x the upload limit is a zip bomb

IMAGE_TYPES = {"image/jpeg": "jpg", "image/png": "png", "image/webp": "webp"}
PDF_TYPES = {"application/pdf": "pdf"}
OOXML_TYPES = {
    "application/vnd.openxmlformats-officedocument.wordprocessingml.document": ("docx", "word/"),
    "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet": ("xlsx", "xl/"),
    "application/vnd.openxmlformats-officedocument.presentationml.presentation": ("pptx", "ppt/"),
}
OLE_TYPES = {"application/msword": "doc", "application/vnd.ms-excel": "xls"}
DOCUMENT_TYPES = {**PDF_TYPES, **{m: e for m, (e, _p) in OOXML_TYPES.items()}, **OLE_TYPES}

PHOTO_ACCEPT = ".jpg,.jpeg,.png,.webp,image/jpeg,image/png,image/webp"
DOCUMENT_ACCEPT = ".pdf,.doc,.docx,.xls,.xlsx,.pptx"


def _megabytes(size):
    return f"{size / 1024 / 1024:.1f} MB"


def _refuse(upload, reason):
    name = getattr(upload, "name", "") or _("未命名文件")
    raise ValidationError(_("“%(name)s”：%(reason)s") % {"name": name, "reason": reason}, code="invalid_upload")


def _check_image(upload, mime):
    from PIL import Image, UnidentifiedImageError

    upload.seek(0)
    try:
        with Image.open(upload) as image:
            if Image.MIME.get(image.format) != mime:
                raise ValueError(image.format)
            image.verify()
    except (UnidentifiedImageError, ValueError, OSError, SyntaxError, Image.DecompressionBombError):
        _refuse(upload, _("图片已损坏或不是有效的 JPEG/PNG/WebP 图片。"))


def _check_pdf(upload):
    upload.seek(0, os.SEEK_END)
    size = upload.tell()
    upload.seek(max(0, size - 2048))
    if b"%%EOF" not in upload.read():
        _refuse(upload, _("PDF 文件不完整或已损坏。"))


def _check_ooxml(upload, part):
    upload.seek(0)
    try:
        with zipfile.ZipFile(upload) as archive:
            names = archive.namelist()
            unpacked = sum(info.file_size for info in archive.infolist())
    except (zipfile.BadZipFile, zipfile.LargeZipFile, OSError, EOFError, ValueError):
        _refuse(upload, _("Office 文件已损坏，无法读取。"))
    if "[Content_Types].xml" not in names or not any(n.startswith(part) for n in names):
        _refuse(upload, _("Office 文件已损坏，无法读取。"))
    if unpacked > settings.MAX_EVIDENCE_UPLOAD_SIZE * MAX_UNPACKED_RATIO:
        _refuse(upload, _("文件解压后过大，不能上传。"))


def check_upload(upload, *, allowed):
    """Validate one uploaded file against ``allowed`` (mime → extension) by its content.

    Returns the detected mime type; renames the upload to carry the matching extension.
    Raises ValidationError with a Chinese message naming the file.
    """
    limit = settings.MAX_EVIDENCE_UPLOAD_SIZE
    size = getattr(upload, "size", 0) or 0
    if size > limit:
        _refuse(upload, _("文件大小为 %(size)s，超过上限 %(limit)s。") % {"size": _megabytes(size),
                                                                     "limit": _megabytes(limit)})
    if size == 0:
        _refuse(upload, _("文件是空的。"))
    upload.seek(0)
    head = upload.read(HEAD_BYTES)
    upload.seek(0)
    kind = filetype.guess(head)
    mime = kind.mime if kind else None
    if mime not in allowed:
        if set(allowed) <= set(IMAGE_TYPES):
            reason = _("文件内容不是 JPEG、PNG 或 WebP 图片（按文件内容检查，与扩展名无关）。")
        else:
            reason = _("文件内容不是允许的类型。只接受 PDF、Word（doc/docx）、Excel（xls/xlsx）、"
                       "PowerPoint（pptx）文件（按文件内容检查，与扩展名无关）。")
        _refuse(upload, reason)
    if mime in IMAGE_TYPES:
        _check_image(upload, mime)
    elif mime in PDF_TYPES:
        _check_pdf(upload)
    elif mime in OOXML_TYPES:
        _check_ooxml(upload, OOXML_TYPES[mime][1])
    upload.seek(0)
    extension = IMAGE_TYPES.get(mime) or DOCUMENT_TYPES[mime]
    stem = os.path.splitext(os.path.basename(upload.name or "file"))[0][:150] or "file"
    upload.name = f"{stem}.{extension}"
    return mime


class MultipleFileInput(forms.ClearableFileInput):
    allow_multiple_selected = True


class MultipleFileField(forms.FileField):
    """Several files in one input (the Django documentation's recipe), each checked by content."""

    def __init__(self, *args, allowed, max_files=20, **kwargs):
        self.allowed = allowed
        self.max_files = max_files
        kwargs.setdefault("widget", MultipleFileInput())
        kwargs.setdefault("required", False)
        super().__init__(*args, **kwargs)

    def clean(self, data, initial=None):
        single = super().clean
        files = [f for f in (data if isinstance(data, (list, tuple)) else [data]) if f]
        if not files:
            if self.required:
                raise ValidationError(self.error_messages["required"], code="required")
            return []
        if len(files) > self.max_files:
            raise ValidationError(_("一次最多上传 %(n)s 个文件。") % {"n": self.max_files})
        errors, cleaned = [], []
        for upload in files:
            try:
                upload = single(upload, initial)
                check_upload(upload, allowed=self.allowed)
            except ValidationError as exc:
                errors.extend(exc.messages)
                continue
            cleaned.append(upload)
        if errors:
            raise ValidationError(errors + [_("请重新选择文件后再提交（已填写的文字已保留）。")])
        return cleaned


def _limit_help(text):
    return gettext_lazy("%(text)s 每个文件不超过 %(mb)s MB，按文件内容检查类型。") % {
        "text": text, "mb": settings.MAX_EVIDENCE_UPLOAD_SIZE // (1024 * 1024)}


def _helper(submit_label):
    helper = FormHelper()
    helper.form_method = "post"  # crispy adds enctype="multipart/form-data" for forms with files
    helper.add_input(Submit("submit", submit_label))
    return helper


# --- evidence ----------------------------------------------------------------------------------

class EvidenceForm(forms.Form):
    """What a firm hands in for one obligation. Fields follow the task's evidence kinds; the
    service (campaigns.services.obligation_submit) checks completeness and its messages
    are shown on the form, with everything typed kept."""

    text = forms.CharField(label=gettext_lazy("情况说明"), required=False, max_length=5000,
                           widget=forms.Textarea(attrs={"rows": 5}))
    count = forms.IntegerField(label=gettext_lazy("数量"), required=False, min_value=0, max_value=1_000_000)
    photos = MultipleFileField(label=gettext_lazy("照片"), allowed=IMAGE_TYPES,
                               widget=MultipleFileInput(attrs={"accept": PHOTO_ACCEPT}))
    documents = MultipleFileField(label=gettext_lazy("文件"), allowed=DOCUMENT_TYPES,
                                  widget=MultipleFileInput(attrs={"accept": DOCUMENT_ACCEPT}))
    roster = MultipleFileField(label=gettext_lazy("名单"), allowed=DOCUMENT_TYPES,
                               widget=MultipleFileInput(attrs={"accept": DOCUMENT_ACCEPT}))

    def __init__(self, *args, task, **kwargs):
        super().__init__(*args, **kwargs)
        kinds = set(task.evidence_kinds or [])
        self.fields["photos"].help_text = _limit_help(_("JPEG、PNG 或 WebP 图片，可多选。"))
        self.fields["documents"].help_text = _limit_help(_("PDF、Word、Excel 或 PowerPoint 文件，可多选。"))
        self.fields["roster"].help_text = _limit_help(_("名单（Excel、Word 或 PDF）。"))
        if EvidenceKind.TEXT in kinds:
            self.fields["text"].label = gettext_lazy("情况说明（必填）")
        if EvidenceKind.COUNT not in kinds:
            del self.fields["count"]
        if EvidenceKind.ROSTER not in kinds:
            del self.fields["roster"]
        if EvidenceKind.PHOTOS in kinds:
            self.fields["photos"].label = gettext_lazy("照片（必传）")
        if EvidenceKind.DOCUMENTS in kinds:
            self.fields["documents"].label = gettext_lazy("文件（必传）")
        self.helper = _helper(_("提交审核"))

    def service_kwargs(self):
        from .models import EvidenceFile

        data = self.cleaned_data
        files = [(EvidenceFile.Kind.PHOTO, f) for f in data.get("photos") or []]
        files += [(EvidenceFile.Kind.DOCUMENT, f) for f in data.get("documents") or []]
        files += [(EvidenceFile.Kind.ROSTER, f) for f in data.get("roster") or []]
        return {"text": data.get("text") or "", "count": data.get("count"), "files": files}


# --- records -----------------------------------------------------------------------------------

# The portal's one date widget (ISO value whatever the language); kept under this name
# because the campaign forms and their callers import it from here.
DateInput = widgets.DateInput


class TrainingForm(forms.Form):
    date = forms.DateField(label=gettext_lazy("培训日期"), widget=DateInput())
    topic = forms.CharField(label=gettext_lazy("培训主题"), max_length=200)
    audience = forms.CharField(label=gettext_lazy("培训对象"), max_length=200, required=False,
                               help_text=gettext_lazy("如项目经理、客服人员、保安保洁人员。"))
    # No initial 0: a count nobody typed must be an error, not a silent 0 (required numbers are required).
    attendee_count = forms.IntegerField(label=gettext_lazy("参训人数"), min_value=0, max_value=100_000)
    place = forms.CharField(label=gettext_lazy("地点"), max_length=200, required=False)
    notes = forms.CharField(label=gettext_lazy("内容摘要"), required=False, widget=forms.Textarea(attrs={"rows": 3}))
    photos = MultipleFileField(label=gettext_lazy("照片"), allowed=IMAGE_TYPES,
                               widget=MultipleFileInput(attrs={"accept": PHOTO_ACCEPT}))

    def __init__(self, *args, submit_label=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["photos"].help_text = _limit_help(_("JPEG、PNG 或 WebP 图片，可多选。"))
        self.helper = _helper(submit_label or _("登记培训"))


class ActivityForm(forms.Form):
    kind = forms.ChoiceField(label=gettext_lazy("活动类型"), choices=Activity.Kind.choices)
    date = forms.DateField(label=gettext_lazy("活动日期"), widget=DateInput())
    title = forms.CharField(label=gettext_lazy("活动名称"), max_length=200)
    estate = forms.ModelChoiceField(label=gettext_lazy("小区"), queryset=Estate.objects.none(), required=False,
                                    empty_label=gettext_lazy("（全企业）"))
    partners = forms.CharField(label=gettext_lazy("合作单位"), max_length=300, required=False,
                               help_text=gettext_lazy("如街道、社区、业委会。"))
    participant_count = forms.IntegerField(label=gettext_lazy("参加人数"), min_value=0, max_value=100_000)
    description = forms.CharField(label=gettext_lazy("活动情况"), required=False,
                                  widget=forms.Textarea(attrs={"rows": 3}))
    photos = MultipleFileField(label=gettext_lazy("照片"), allowed=IMAGE_TYPES,
                               widget=MultipleFileInput(attrs={"accept": PHOTO_ACCEPT}))

    def __init__(self, *args, estates, submit_label=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["estate"].queryset = estates
        self.fields["photos"].help_text = _limit_help(_("JPEG、PNG 或 WebP 图片，可多选。"))
        self.helper = _helper(submit_label or _("登记活动"))


class CoordinatorForm(forms.Form):
    estate = forms.ModelChoiceField(label=gettext_lazy("小区"), queryset=Estate.objects.none())
    name = forms.CharField(label=gettext_lazy("姓名"), max_length=50)
    phone = forms.CharField(label=gettext_lazy("联系电话"), max_length=30)
    appointed_on = forms.DateField(label=gettext_lazy("聘任日期"), widget=DateInput())

    def __init__(self, *args, estates, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["estate"].queryset = estates
        self.helper = _helper(_("备案"))


class RosterUploadForm(forms.Form):
    file = forms.FileField(label=gettext_lazy("协调员名册（Excel）"),
                           help_text=gettext_lazy("请使用下载的模板填写，.xlsx 格式；有一行出错则整批不保存。"),
                           widget=forms.ClearableFileInput(attrs={"accept": ".xlsx"}))

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.helper = _helper(_("上传名册"))


# --- bureau side -------------------------------------------------------------------------------

class ReturnForm(forms.Form):
    reason = forms.CharField(label=gettext_lazy("退回原因"), max_length=2000, widget=forms.Textarea(attrs={"rows": 3}))


class ReviewForm(forms.Form):
    decision = forms.ChoiceField(choices=(("accept", gettext_lazy("通过")), ("return", gettext_lazy("退回"))))
    note = forms.CharField(label=gettext_lazy("审核意见"), required=False, max_length=2000,
                           widget=forms.Textarea(attrs={"rows": 3}),
                           help_text=gettext_lazy("退回时必填，责任单位会看到。"))

    def clean(self):
        data = super().clean()
        if data.get("decision") == "return" and not (data.get("note") or "").strip():
            self.add_error("note", _("请填写退回原因。"))
        return data


class CopyYearForm(forms.Form):
    new_year = forms.IntegerField(label=gettext_lazy("新年度"), min_value=2000, max_value=2100)
    document_number = forms.CharField(
        label=gettext_lazy("新文号"), max_length=100, required=False,
        help_text=gettext_lazy("新年度文件的文号，如“甬建〔2012〕8号”；尚未发文的可以留空，以后在活动页面填写。"))


class MoveDeadlineForm(forms.Form):
    deadline = forms.DateField(label=gettext_lazy("新的完成期限"), widget=DateInput())
    note = forms.CharField(label=gettext_lazy("说明"), required=False, max_length=500,
                           help_text=gettext_lazy("会记入每条任务责任的办理记录。"))


# Imported here, with the bureau-side model forms below, so that this part stays one block.
from django.utils import timezone  # noqa: E402

from core.forms import RequiredNumbersMixin  # noqa: E402
from estates.models import PropertyFirm  # noqa: E402

from .models import Task, Training  # noqa: E402


class TrainingAdminForm(RequiredNumbersMixin, forms.ModelForm):
    required_numbers = ("attendee_count",)

    class Meta:
        model = Training
        fields = ("date", "topic", "audience", "attendee_count", "place", "notes")
        widgets = {"date": DateInput()}


class TaskAdminForm(forms.ModelForm):
    """The task form of the admin: the applicability and evidence lists as checkboxes of their
    valid values (stored as JSON lists), dates as date inputs; empty lists mean "all"."""

    firm_grades = forms.TypedMultipleChoiceField(
        label=gettext_lazy("适用企业资质等级"), required=False, coerce=int, widget=forms.CheckboxSelectMultiple,
        help_text=gettext_lazy("都不选表示全部等级；以小区为责任主体的任务按小区所属企业的资质等级筛选。"))
    estate_categories = forms.TypedMultipleChoiceField(
        label=gettext_lazy("适用小区类别"), required=False, coerce=int, widget=forms.CheckboxSelectMultiple,
        help_text=gettext_lazy("都不选表示全部类别；只适用于以小区为责任主体的任务。"))
    evidence_kinds = forms.MultipleChoiceField(
        label=gettext_lazy("佐证材料"), required=False, widget=forms.CheckboxSelectMultiple,
        help_text=gettext_lazy("责任单位提交时必须提供的材料；都不选时至少要填写说明或上传一个文件。"))

    class Meta:
        model = Task
        # The admin narrows this to its fieldsets.
        fields = ("action", "order", "code", "title", "requirement", "window_start", "deadline", "recurrence",
                  "min_count", "party_kind", "firm_grades", "estate_categories", "old_estates_only", "districts",
                  "lead_unit", "co_lead_unit", "participating_units", "evidence_kinds", "record_kind")
        widgets = {"window_start": DateInput(), "deadline": DateInput()}

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["firm_grades"].choices = PropertyFirm.Grade.choices
        self.fields["estate_categories"].choices = Estate.Category.choices
        self.fields["evidence_kinds"].choices = EvidenceKind.choices
        if "code" in self.fields:
            self.fields["code"].required = False
            self.fields["code"].help_text = gettext_lazy("活动内唯一的英文标识；留空则自动生成。")

    def clean(self):
        data = super().clean()
        action = data.get("action") or (self.instance.action if self.instance.pk else None)
        if "code" in self.fields and not data.get("code") and action is not None and data.get("order"):
            data["code"] = f"{action.code}-{data['order']}"[:60]
        deadline = data.get("deadline")
        if (not self.instance.pk and action is not None and deadline is not None
                and action.campaign.status == action.campaign.Status.PUBLISHED and deadline < timezone.localdate()):
            # services.task_add refuses it too; said here so that it shows on the field.
            self.add_error("deadline", _("活动已发布，新任务的完成期限不能早于今天（%(d)s）。") % {
                "d": timezone.localdate()})
        return data

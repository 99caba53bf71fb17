"""Forms of the firm portal (crispy-forms, Bootstrap 5).

Validation lives on the models (core/validators.py); the forms only choose the fields, lay them out and make
phone inputs friendly on phones (tel keyboard).
"""


from crispy_forms.bootstrap import FormActions
from crispy_forms.helper import FormHelper
from crispy_forms.layout import HTML, Column, Fieldset, Layout, Row, Submit
from django import forms
from django.urls import reverse
from django.utils.html import format_html
from django.utils.translation import gettext_lazy as _

from core.forms import RequiredNumbersMixin

from .models import Estate, PropertyFirm
from .services import ESTATE_PHONE_FIELDS, FIRM_CONTACT_FIELDS

PHONE_ATTRS = {"inputmode": "tel", "autocomplete": "tel"}


def _actions(cancel_url):
    return FormActions(
        Submit("submit", _("保存"), css_class="btn-primary px-4"),
        HTML(format_html('<a class="btn btn-link" href="{}">{}</a>', cancel_url, _("返回"))),
        css_class="mt-3",
    )


class _PortalForm(forms.ModelForm):
    phone_fields = ()

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        for name in self.phone_fields:
            self.fields[name].widget.input_type = "tel"
            self.fields[name].widget.attrs.update(PHONE_ATTRS)
        self.helper = FormHelper()
        self.helper.form_tag = True
        self.helper.attrs = {"novalidate": ""}  # the server's Chinese messages, not the browser's


class FirmContactForm(_PortalForm):
    phone_fields = ("contact_phone", "hotline", "complaint_phone")

    class Meta:
        model = PropertyFirm
        fields = FIRM_CONTACT_FIELDS
        widgets = {"email": forms.EmailInput(attrs={"autocomplete": "email"})}

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["hotline"].help_text = _("印在致业主公开信上；小区未单独填写时使用。")
        self.fields["complaint_phone"].help_text = _("小区未单独填写时使用。")
        self.helper.layout = Layout(
            Fieldset(
                _("对外服务电话"),
                Row(Column("hotline", css_class="col-md-6"), Column("complaint_phone", css_class="col-md-6")),
            ),
            Fieldset(
                _("联系人"),
                Row(
                    Column("contact_person", css_class="col-md-4"),
                    Column("contact_phone", css_class="col-md-4"),
                    Column("email", css_class="col-md-4"),
                ),
                "address",
            ),
            _actions(reverse("portal:dashboard")),
        )


class EstatePhonesForm(_PortalForm):
    phone_fields = ("hotline", "complaint_phone")

    class Meta:
        model = Estate
        fields = ESTATE_PHONE_FIELDS

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        firm = self.instance.firm if self.instance.firm_id else None
        # Show what residents will see when a field is left empty.
        for name in self.phone_fields:
            fallback = getattr(firm, name, "") if firm else ""
            if fallback:
                self.fields[name].widget.attrs["placeholder"] = fallback
                self.fields[name].help_text = _("留空则使用企业的号码 %(phone)s。") % {"phone": fallback}
        self.helper.layout = Layout(
            Row(Column("hotline", css_class="col-md-6"), Column("complaint_phone", css_class="col-md-6")),
            _actions(reverse("portal:dashboard")),
        )


class EstateAdminForm(RequiredNumbersMixin, forms.ModelForm):
    """The admin's estate form: the households must be typed (the import requires them too), never a silent 0."""

    required_numbers = ("households",)

    class Meta:
        model = Estate
        fields = ("households",)  # the admin's fieldsets give the rest

from crispy_forms.helper import FormHelper
from crispy_forms.layout import Submit
from django import forms
from django.utils.translation import gettext_lazy as _

from .models import Estate, PropertyFirm
from .services import ESTATE_PHONE_FIELDS, FIRM_CONTACT_FIELDS


class _CrispyModelForm(forms.ModelForm):
    submit_label = _("保存")

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.helper = FormHelper()
        self.helper.add_input(Submit("submit", self.submit_label))


class FirmContactForm(_CrispyModelForm):
    class Meta:
        model = PropertyFirm
        fields = FIRM_CONTACT_FIELDS


class EstatePhonesForm(_CrispyModelForm):
    class Meta:
        model = Estate
        fields = ESTATE_PHONE_FIELDS

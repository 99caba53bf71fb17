from django import forms
from django.utils.translation import gettext_lazy as _


class ManualReminderForm(forms.Form):
    obligation = forms.IntegerField(
        label=_("任务责任编号"), min_value=1,
        help_text=_("在“任务责任”列表中可以看到编号，也可从任务责任页面直接进入本页。"),
    )
    force = forms.BooleanField(
        label=_("今天已催办过也再发一次"), required=False,
        help_text=_("同一任务责任每天只催办一次；勾选后会再发送一次。"),
    )

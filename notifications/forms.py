from django import forms
from django.utils.translation import gettext_lazy as _


class ManualReminderForm(forms.Form):
    # The obligation comes from the page that links here (the obligation's own page, the reminder log), never typed:
    # the lists show obligations by task, party and deadline, not by their database ids.
    obligation = forms.IntegerField(
        label=_("任务责任"), min_value=1, widget=forms.HiddenInput,
        error_messages={"required": _("请先在任务责任列表中打开要催办的任务责任，再点击“催办”。"),
                        "invalid": _("请先在任务责任列表中打开要催办的任务责任，再点击“催办”。"),
                        "min_value": _("请先在任务责任列表中打开要催办的任务责任，再点击“催办”。")},
    )
    force = forms.BooleanField(
        label=_("今天已催办过也再发一次"), required=False,
        help_text=_("同一任务责任每天只催办一次；勾选后会再发送一次。"),
    )

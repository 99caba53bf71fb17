from crispy_forms.helper import FormHelper
from crispy_forms.layout import Submit
from django import forms
from django.contrib.auth.forms import (
    AuthenticationForm,
    PasswordChangeForm,
    PasswordResetForm,
    SetPasswordForm,
    UserChangeForm,
)
from django.utils.translation import gettext_lazy as _

from .models import User


class LoginForm(AuthenticationForm):
    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["username"].widget.attrs.update({"autocomplete": "username", "autocapitalize": "none"})
        self.fields["password"].widget.attrs.update({"autocomplete": "current-password"})
        self.helper = FormHelper()
        self.helper.attrs = {"novalidate": ""}
        self.helper.add_input(Submit("submit", _("登录"), css_class="w-100 btn-lg"))


class UserSettingsForm(forms.ModelForm):
    class Meta:
        model = User
        fields = ["last_name", "first_name", "email", "phone", "email_notifications"]

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.helper = FormHelper()
        self.helper.add_input(Submit("submit", _("保存")))


def _crispy(form, label):
    form.helper = FormHelper()
    form.helper.add_input(Submit("submit", label))


class PortalPasswordResetForm(PasswordResetForm):
    """"Forgot my password": a link to the address on file (Django never says whether it exists)."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        _crispy(self, _("发送重置链接"))

    def send_mail(self, subject_template_name, email_template_name, context, *args, **kwargs):
        from .services import password_mail_context

        # The link points at SITE_URL like every other mail of the portal, not at the request's Host header.
        context = {**context, **password_mail_context(user=context["user"])}
        super().send_mail(subject_template_name, email_template_name, context, *args, **kwargs)


class PortalSetPasswordForm(SetPasswordForm):
    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        _crispy(self, _("设置密码"))


class PortalPasswordChangeForm(PasswordChangeForm):
    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        _crispy(self, _("修改密码"))


class UserInviteForm(forms.ModelForm):
    """The admin's form for a new account: no password. The person sets it through the link
    mailed to the address given here (accounts.services.user_invite)."""

    class Meta:
        model = User
        fields = ["username", "last_name", "first_name", "email", "phone", "agency", "firm", "role"]
        help_texts = {"email": _("设置密码的链接将发送到这个邮箱，只有本人能设置密码。")}

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if "email" in self.fields:
            self.fields["email"].required = True

    def clean(self):
        data = super().clean()
        if not data.get("agency") and not data.get("firm"):
            raise forms.ValidationError(_("请选择所属主管机构或物业服务企业。"))
        return data


class UserAdminChangeForm(UserChangeForm):
    """Django's change form without its password field (and its link to set someone's password)."""

    password = None


class FirmUserInviteForm(forms.ModelForm):
    """A firm manager opens an account for a colleague (portal); the colleague sets the password."""

    class Meta:
        model = User
        fields = ["username", "last_name", "first_name", "email", "phone", "role"]
        help_texts = {"email": _("设置密码的链接将发送到这个邮箱，只有本人能设置密码。")}

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["email"].required = True
        self.helper = FormHelper()
        self.helper.add_input(Submit("submit", _("开通账号并发送设置密码邮件")))

"""Writes of the accounts app.

Nobody sets another person's password: an account is created without one, and the person
sets it through a one-time link mailed to their own address (Django's password-reset
tokens, ``PASSWORD_RESET_TIMEOUT``). The same link is how a forgotten password is reset.
"""

from django.conf import settings
from django.contrib.auth.forms import PasswordResetForm
from django.contrib.auth.tokens import default_token_generator
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.urls import reverse
from django.utils.encoding import force_bytes
from django.utils.http import urlsafe_base64_encode
from django.utils.translation import gettext as _

from .models import User


def user_update_settings(*, user: User, data: dict) -> User:
    for field, value in data.items():
        setattr(user, field, value)
    user.full_clean()
    user.save(update_fields=[*data.keys()])
    return user


def password_link(*, user: User) -> str:
    """The absolute one-time link with which ``user`` sets a new password."""
    path = reverse("accounts:password_reset_confirm", kwargs={
        "uidb64": urlsafe_base64_encode(force_bytes(user.pk)), "token": default_token_generator.make_token(user)})
    return settings.SITE_URL + path


def password_mail_context(*, user: User, invited: bool = False) -> dict:
    """What accounts/email/password_link.txt needs (also for the "forgot my password" page)."""
    return {"user": user, "link": password_link(user=user), "invited": invited, "site_url": settings.SITE_URL,
            "timeout_days": max(1, settings.PASSWORD_RESET_TIMEOUT // 86400)}


def user_send_password_link(*, user: User, invited: bool = False) -> None:
    """Mail ``user`` a link to set their password (``invited``: the account is new), after commit.

    Raises ValidationError when the user has no email address or is inactive: the link goes to
    the person's own mailbox or nowhere."""
    if not user.is_active:
        raise ValidationError(_("该用户已停用，不能发送设置密码邮件。"))
    if not user.email:
        raise ValidationError(_("该用户没有登记电子邮箱，无法发送设置密码邮件。请本人登录后在个人设置中填写，"
                                "或由管理员先补填邮箱。"))
    context = password_mail_context(user=user, invited=invited)

    def send():
        # PasswordResetForm.send_mail renders the subject (one line) and the body and sends one message.
        PasswordResetForm().send_mail(
            "accounts/email/password_link_subject.txt", "accounts/email/password_link.txt", context,
            None, user.email)

    transaction.on_commit(send)


def user_invite(*, user: User) -> User:
    """A new account has no usable password until its owner follows the mailed link."""
    user.set_unusable_password()
    user.save(update_fields=["password"])
    user_send_password_link(user=user, invited=True)
    return user


def _check_firm_manager(by: User, user: User | None = None) -> None:
    """A firm's own managers manage the firm's accounts (city staff do it in the admin)."""
    if not (by.is_firm_user and by.role == User.Role.MANAGER):
        raise PermissionDenied
    if user is not None and user.firm_id != by.firm_id:
        raise PermissionDenied


@transaction.atomic
def firm_user_invite(*, by: User, data: dict) -> User:
    """A new account of ``by``'s firm, without a password: its owner gets the link by email."""
    _check_firm_manager(by)
    user = User(firm_id=by.firm_id, agency=None, **data)
    user.set_unusable_password()
    user.full_clean()
    user.save()
    user_send_password_link(user=user, invited=True)
    return user


def firm_user_set_active(*, by: User, user: User, active: bool) -> User:
    """Suspend or restore an account of the manager's firm (never their own: a firm keeps a manager)."""
    _check_firm_manager(by, user)
    if user.pk == by.pk:
        raise ValidationError(_("不能停用自己的账号。"))
    user.is_active = active
    user.save(update_fields=["is_active"])
    return user


def firm_user_send_password_link(*, by: User, user: User) -> None:
    _check_firm_manager(by, user)
    user_send_password_link(user=user)

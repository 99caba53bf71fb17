from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from core.text import join_messages
from estates import scoping

from . import services
from .decorators import firm_user_required
from .forms import FirmUserInviteForm, UserSettingsForm
from .models import User


@login_required
def settings_view(request):
    form = UserSettingsForm(request.POST or None, instance=request.user)
    if request.method == "POST" and form.is_valid():
        services.user_update_settings(user=request.user, data=form.cleaned_data)
        messages.success(request, _("个人设置已保存。"))
        return redirect("accounts:settings")
    # The form is rendered once per its values (the user's own, read with the request), labels and language
    # (core/templatetags/portal_forms.py crispy_cached); with errors, afresh.
    return render(request, "accounts/settings.html", {"form": form, "form_key": "accounts:settings"})


@login_required
def password_change_done(request):
    messages.success(request, _("密码已修改。"))
    return redirect("accounts:settings")


def _require_firm_manager(request):
    if request.user.role != User.Role.MANAGER:
        raise PermissionDenied


@firm_user_required
def firm_users(request):
    """The firm's own accounts, managed by the firm's managers (never by a bureau officer)."""
    _require_firm_manager(request)
    form = FirmUserInviteForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        user = services.firm_user_invite(by=request.user, data=form.cleaned_data)
        messages.success(request, _("已开通账号 %(user)s，设置密码的链接已发送到 %(email)s。")
                         % {"user": user.username, "email": user.email})
        return redirect("accounts:firm_users")
    users = User.objects.filter(firm_id=request.user.firm_id).order_by("-is_active", "username")
    return render(request, "accounts/firm_users.html", {"form": form, "users": users,
                                                        "form_key": "accounts:firm-user-invite"})


@firm_user_required
@require_POST
def firm_user_action(request, pk):
    _require_firm_manager(request)
    user = scoping.get_or_404(User.objects.filter(firm_id=request.user.firm_id), pk=pk)
    action = request.POST.get("action")
    try:
        if action == "link":
            services.firm_user_send_password_link(by=request.user, user=user)
            messages.success(request, _("设置密码的链接已发送到 %(email)s。") % {"email": user.email})
        elif action in ("deactivate", "activate"):
            services.firm_user_set_active(by=request.user, user=user, active=action == "activate")
            messages.success(request, _("账号 %(user)s 已停用。") % {"user": user.username} if action == "deactivate"
                             else _("账号 %(user)s 已启用。") % {"user": user.username})
    except ValidationError as exc:
        messages.error(request, join_messages(exc.messages))
    return redirect("accounts:firm_users")

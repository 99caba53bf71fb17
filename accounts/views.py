from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _

from .forms import UserSettingsForm
from .services import user_update_settings


@login_required
def settings_view(request):
    form = UserSettingsForm(request.POST or None, instance=request.user)
    if request.method == "POST" and form.is_valid():
        user_update_settings(user=request.user, data=form.cleaned_data)
        messages.success(request, _("个人设置已保存。"))
        return redirect("accounts:settings")
    return render(request, "accounts/settings.html", {"form": form})

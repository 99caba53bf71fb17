from django.contrib import messages
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _

from accounts.decorators import firm_user_required

from . import selectors, services
from .forms import EstatePhonesForm, FirmContactForm


@firm_user_required
def dashboard(request):
    firm = request.user.firm
    estates = selectors.estate_list(user=request.user).filter(is_active=True).order_by("code")
    return render(
        request,
        "portal/dashboard.html",
        {"firm": firm, "estates": estates, "stats": selectors.firm_dashboard(firm=firm)},
    )


@firm_user_required
def firm_edit(request):
    firm = selectors.firm_get(user=request.user, pk=request.user.firm_id)
    form = FirmContactForm(request.POST or None, instance=firm)
    if request.method == "POST" and form.is_valid():
        services.firm_update_contacts(firm=firm, data=form.cleaned_data)
        messages.success(request, _("企业联系方式已保存。"))
        return redirect("portal:dashboard")
    return render(request, "portal/firm_edit.html", {"form": form, "firm": firm})


@firm_user_required
def estate_edit(request, code):
    estate = selectors.estate_get(user=request.user, code=code)
    form = EstatePhonesForm(request.POST or None, instance=estate)
    if request.method == "POST" and form.is_valid():
        services.estate_update_phones(estate=estate, data=form.cleaned_data)
        messages.success(request, _("%(name)s 的服务电话已保存。") % {"name": estate.name})
        return redirect("portal:dashboard")
    return render(request, "portal/estate_edit.html", {"form": form, "estate": estate})

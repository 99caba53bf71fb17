from django.contrib import messages
from django.core.paginator import Paginator
from django.db.models import Q
from django.http import FileResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.functional import SimpleLazyObject
from django.utils.translation import get_language
from django.utils.translation import gettext as _

from accounts.decorators import firm_user_required
from core.xlsx import XLSX_CONTENT_TYPE

from . import selectors, services
from .exporters import export_estates
from .forms import EstatePhonesForm, FirmContactForm

DASHBOARD_PAGE_SIZE = 50


def _firm_estates(request):
    """The firm's active estates as the dashboard lists them (scoped, searched by ?q=), and the search."""
    estates = selectors.estate_list(user=request.user).filter(is_active=True).order_by("code")
    search = request.GET.get("q", "").strip()
    if search:
        estates = estates.filter(Q(name__icontains=search) | Q(code__icontains=search) | Q(address__icontains=search))
    return estates, search


@firm_user_required
def dashboard(request):
    """The firm's card, counts and estates. Both parts are cached as rendered HTML under the registry version
    (selectors.registry_cache_key: any save of an estate, firm or agency, or an import, renews it), so what is
    below is read only when one is missing; the campaign panels between them have their own cache."""
    user = request.user
    estates, search = _firm_estates(request)
    firm = SimpleLazyObject(lambda: selectors.firm_get(user=user, pk=user.firm_id))
    page = SimpleLazyObject(lambda: Paginator(estates, DASHBOARD_PAGE_SIZE).get_page(request.GET.get("page")))
    language = get_language()
    return render(
        request,
        "portal/dashboard.html",
        {"firm": firm, "page": page, "estates": SimpleLazyObject(lambda: page.object_list), "search": search,
         "stats": SimpleLazyObject(lambda: selectors.firm_dashboard(firm=firm)),
         "card_key": selectors.registry_cache_key("firm-card", user.firm_id, language),
         "estates_key": selectors.registry_cache_key("firm-estates", user.firm_id, language,
                                                     request.GET.urlencode()),
         "cache_ttl": selectors.REGISTRY_TTL},
    )


@firm_user_required
def estate_export(request):
    """The dashboard's estate list (same scope and search) as an Excel download."""
    estates, _search = _firm_estates(request)
    name = f"{_('在管小区')}_{timezone.localdate():%Y%m%d}.xlsx"  # as the admin names its exports
    return FileResponse(export_estates(estates), as_attachment=True, filename=name, content_type=XLSX_CONTENT_TYPE)


def _form_key(instance):
    """What a contact form's cached rendering depends on besides its class, its initial values (the instance's)
    and the language (core/templatetags/portal_forms.py crispy_cached): the instance and the registry version,
    which every save of an estate or firm renews (an estate's form shows its firm's phones as placeholders)."""
    return selectors.registry_cache_key("contact-form", instance._meta.label, instance.pk)


@firm_user_required
def firm_edit(request):
    firm = selectors.firm_get(user=request.user, pk=request.user.firm_id)
    form = FirmContactForm(request.POST or None, instance=firm)
    if request.method == "POST" and form.is_valid():
        services.firm_update_contacts(firm=firm, data=form.cleaned_data)
        messages.success(request, _("企业联系方式已保存。"))
        return redirect("portal:dashboard")
    return render(request, "portal/firm_edit.html", {"form": form, "firm": firm, "form_key": _form_key(firm)})


@firm_user_required
def estate_edit(request, code):
    estate = selectors.estate_get(user=request.user, code=code)
    form = EstatePhonesForm(request.POST or None, instance=estate)
    if request.method == "POST" and form.is_valid():
        services.estate_update_phones(estate=estate, data=form.cleaned_data)
        messages.success(request, _("%(name)s 的服务电话已保存。") % {"name": estate.name})
        return redirect("portal:dashboard")
    return render(request, "portal/estate_edit.html", {"form": form, "estate": estate, "form_key": _form_key(estate)})


def public_estate(request, code):
    """The page behind the QR code on printed notices: no login, public facts only."""
    estate = selectors.estate_public_get(code=code)
    return render(request, "public/estate.html", {"estate": estate})

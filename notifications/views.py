from django.contrib import admin, messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.shortcuts import redirect, render
from django.utils.functional import SimpleLazyObject
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from . import selectors, services


def _template(user, name):
    """Firm users see the portal layout, bureau staff the admin layout."""
    return f"notifications/{name}_{'portal' if user.firm_id else 'admin'}.html"


@login_required
def notification_list(request):
    qs = selectors.notification_list(user=request.user)
    only_unread = request.GET.get("unread") == "1"
    if only_unread:
        qs = qs.filter(read_at__isnull=True)
    page = SimpleLazyObject(lambda: Paginator(qs, 30).get_page(request.GET.get("page")))
    context = {"page": page, "only_unread": only_unread, "title": _("我的通知")}
    if not request.user.firm_id:
        context = {**admin.site.each_context(request), **context}  # the admin header, user links, sidebar
    else:
        # The portal's list is cached as rendered HTML under the user's list version (every write of their
        # notifications renews it, with the unread count it shows) and the address (page, filter, the "next" of
        # its forms): a repeated view reads no notification.
        context["list_key"] = ":".join(("notifications", str(request.user.pk),
                                        selectors.list_version(user=request.user), request.get_full_path()))
    return render(request, _template(request.user, "list"), context)


@login_required
@require_POST
def notification_read(request, pk):
    notification = services.notification_mark_read(
        notification=selectors.notification_get(user=request.user, pk=pk)
    )
    target = request.POST.get("next") or notification.link
    if target and url_has_allowed_host_and_scheme(target, allowed_hosts={request.get_host()},
                                                  require_https=request.is_secure()):
        return redirect(target)
    return redirect("notifications:list")


@login_required
@require_POST
def notification_read_all(request):
    count = services.notification_mark_all_read(user=request.user)
    messages.success(request, _("已将 %(count)s 条通知标记为已读。") % {"count": count})
    return redirect("notifications:list")

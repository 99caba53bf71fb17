"""Users in the admin.

Who manages whose account (the rule of issue 14, here and in accounts/services.py):

* managers (role 负责人) of an agency manage the accounts of their agency's subtree;
* the accounts of a firm are managed by city staff (city-level managers, superusers) only —
  and by the firm's own managers in the portal (accounts/views.py firm_users). A district or street
  officer sees the users of the firms their district supervises, read-only, and can never
  attach an account to a firm: otherwise they could open an account for any firm that manages
  an estate in their area, log in as that firm and read its estates elsewhere;
* nobody sets another person's password: a new account gets no password and its owner
  receives a one-time link by email; later, "发送设置密码邮件" sends a fresh link. Django's
  password form (``<id>/password/``) is closed to everyone; an operator with shell access
  still has ``manage.py changepassword``. An address the person has used is changed by the
  person only (personal settings), so the link cannot be redirected to an officer's mailbox.
"""

from django.contrib import admin, messages
from django.contrib.admin.utils import unquote
from django.contrib.auth.admin import UserAdmin as DjangoUserAdmin
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404, HttpResponseRedirect
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils.html import format_html
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from core.text import join_messages, labelled
from core.xlsx_admin import XlsxAdminMixin
from estates.scoped_admin import ScopedAdmin

from . import services
from .forms import UserAdminChangeForm, UserInviteForm
from .models import User


def _without(fieldsets, *names):
    """The fieldsets minus the given fields (sections left empty are dropped)."""
    out = []
    for title, options in fieldsets:
        fields = tuple(f for f in options["fields"] if f not in names)
        if fields:
            out.append((title, {**options, "fields": fields}))
    return tuple(out)


@admin.register(User)
class UserAdmin(XlsxAdminMixin, ScopedAdmin, DjangoUserAdmin):
    # The Excel export writes list_display only; core.xlsx_admin never writes a password field.
    list_display = ("username", "last_name", "first_name", "agency", "firm", "role", "is_active")
    list_filter = ("role", "is_active", "agency__level")
    list_select_related = ("agency", "firm")
    search_fields = ("username", "first_name", "last_name", "email", "phone")
    autocomplete_fields = ("agency", "firm")
    fieldsets = (
        (None, {"fields": ("username", "password_status")}),
        (_("个人信息"), {"fields": ("last_name", "first_name", "email", "phone", "email_notifications")}),
        (_("所属组织"), {"fields": ("agency", "firm", "role", "is_active")}),
        (_("重要日期"), {"fields": ("last_login", "date_joined")}),
    )
    superuser_fieldsets = ((_("系统权限"), {"fields": ("is_superuser", "groups", "user_permissions")}),)
    form = UserAdminChangeForm
    add_form = UserInviteForm
    add_form_template = None
    add_fieldsets = (
        (None, {"classes": ("wide",), "fields": ("username", "last_name", "first_name", "email", "phone")}),
        (_("所属组织"), {"fields": ("agency", "firm", "role")}),
    )
    readonly_fields = ("password_status", "last_login", "date_joined")
    actions = ["send_password_link"]

    # --- who may do what ---------------------------------------------------------------------------------

    def _is_manager(self, request):
        return request.user.is_superuser or (self._is_bureau(request) and request.user.role == User.Role.MANAGER)

    def _manages_firm_users(self, request):
        """City staff: superusers and the city bureau's managers."""
        return request.user.is_superuser or (self._is_manager(request) and self._is_city(request))

    def may_manage(self, request, obj):
        """Whether the user may change ``obj``'s account (``obj`` is already inside their scope)."""
        if not self._is_manager(request):
            return False
        if obj is None:
            return True
        if obj.is_superuser and not request.user.is_superuser:
            return False
        if obj.firm_id:
            return self._manages_firm_users(request)
        return True

    def has_add_permission(self, request):
        return self._is_manager(request)

    def has_change_permission(self, request, obj=None):
        return self.may_manage(request, obj)

    # --- forms -------------------------------------------------------------------------------------------

    def get_fieldsets(self, request, obj=None):
        fieldsets = super().get_fieldsets(request, obj)
        if obj is not None and request.user.is_superuser:
            fieldsets = tuple(fieldsets) + self.superuser_fieldsets
        if not self._manages_firm_users(request):
            # An officer never attaches an account to a firm (nor sees the choice).
            fieldsets = _without(fieldsets, "firm") if obj is None or not obj.firm_id else fieldsets
        return fieldsets

    def get_readonly_fields(self, request, obj=None):
        readonly = list(super().get_readonly_fields(request, obj))
        if obj is not None:
            if obj.last_login is not None:
                readonly.append("email")  # the person's own address: they change it in their settings
            if not self._manages_firm_users(request):
                readonly.append("firm")
        return readonly

    def formfield_for_foreignkey(self, db_field, request, **kwargs):
        field = super().formfield_for_foreignkey(db_field, request, **kwargs)
        if db_field.name == "firm" and field is not None and not self._manages_firm_users(request):
            field.queryset = field.queryset.none()
        return field

    def save_model(self, request, obj, form, change):
        super().save_model(request, obj, form, change)
        if not change:
            services.user_invite(user=obj)

    def response_add(self, request, obj, post_url_continue=None):
        self.message_user(request, gettext("已创建账号 %(user)s，设置密码的链接已发送到 %(email)s。")
                          % {"user": obj.username, "email": obj.email}, messages.SUCCESS)
        return super().response_add(request, obj, post_url_continue)

    @admin.display(description=_("密码"))
    def password_status(self, obj):
        if obj is None or obj.pk is None:
            return "—"
        state = gettext("已设置") if obj.has_usable_password() else gettext("尚未设置（等待本人通过邮件链接设置）")
        url = reverse("admin:accounts_user_send_password_link", args=[obj.pk])
        return format_html('{} · <a href="{}">{}</a>', state, url, gettext("发送设置密码邮件"))

    # --- passwords: a link to the person's own mailbox, never a password typed by someone else -----------

    def get_urls(self):
        return [
            path("<id>/password-link/", self.admin_site.admin_view(self.send_password_link_view),
                 name="accounts_user_send_password_link"),
        ] + super().get_urls()

    def user_change_password(self, request, id, form_url=""):
        self._require_in_scope(request, id)
        raise PermissionDenied

    def send_password_link_view(self, request, id):
        self._require_in_scope(request, id)
        target = self.get_object(request, unquote(id))
        if target is None:
            raise Http404
        if not self.may_manage(request, target):
            raise PermissionDenied
        change_url = reverse("admin:accounts_user_change", args=[target.pk])
        if request.method == "POST":
            try:
                services.user_send_password_link(user=target)
            except ValidationError as exc:
                self.message_user(request, join_messages(exc.messages), messages.ERROR)
            else:
                self.message_user(request, gettext("设置密码的链接已发送到 %(email)s。") % {"email": target.email},
                                  messages.SUCCESS)
            return HttpResponseRedirect(change_url)
        return TemplateResponse(request, "admin/accounts/user/password_link.html", {
            **self.admin_site.each_context(request), "opts": self.opts, "original": target,
            "title": gettext("发送设置密码邮件"), "target": target, "change_url": change_url,
        })

    @admin.action(description=_("向所选用户发送设置密码邮件"))
    def send_password_link(self, request, queryset):
        sent, refused = 0, []
        for target in queryset:
            if not self.may_manage(request, target):
                refused.append(labelled(target.username, gettext("无权管理该账号")))
                continue
            try:
                services.user_send_password_link(user=target)
            except ValidationError as exc:
                refused.append(labelled(target.username, join_messages(exc.messages)))
            else:
                sent += 1
        if sent:
            self.message_user(request, gettext("已发送 %(n)s 封设置密码邮件。") % {"n": sent}, messages.SUCCESS)
        if refused:
            self.message_user(request, gettext("未发送：%(list)s") % {"list": join_messages(refused)}, messages.WARNING)

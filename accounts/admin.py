from django.contrib import admin
from django.contrib.auth.admin import UserAdmin as DjangoUserAdmin
from django.utils.translation import gettext_lazy as _

from core.admin import ScopedAdmin
from core.xlsx_admin import XlsxAdminMixin

from .models import User


@admin.register(User)
class UserAdmin(XlsxAdminMixin, ScopedAdmin, DjangoUserAdmin):
    # The Excel export writes list_display only; core.xlsx_admin never writes a password field.
    scope_links = {"agency": "agency", "firm": "firm"}
    list_display = ("username", "last_name", "first_name", "agency", "firm", "role", "is_active")
    list_filter = ("role", "is_active", "agency__level")
    list_select_related = ("agency", "firm")
    search_fields = ("username", "first_name", "last_name", "email", "phone")
    autocomplete_fields = ("agency", "firm")
    fieldsets = (
        (None, {"fields": ("username", "password")}),
        (_("个人信息"), {"fields": ("last_name", "first_name", "email", "phone", "email_notifications")}),
        (_("所属组织"), {"fields": ("agency", "firm", "role", "is_active")}),
        (_("重要日期"), {"fields": ("last_login", "date_joined")}),
    )
    superuser_fieldsets = ((_("系统权限"), {"fields": ("is_superuser", "groups", "user_permissions")}),)
    add_fieldsets = (
        (None, {"classes": ("wide",), "fields": ("username", "password1", "password2", "agency", "firm", "role")}),
    )
    readonly_fields = ("last_login", "date_joined")

    def get_fieldsets(self, request, obj=None):
        fieldsets = super().get_fieldsets(request, obj)
        if obj is not None and request.user.is_superuser:
            fieldsets = tuple(fieldsets) + self.superuser_fieldsets
        return fieldsets

    def _is_manager(self, request):
        return request.user.is_superuser or (self._is_bureau(request) and request.user.role == User.Role.MANAGER)

    def has_add_permission(self, request):
        return self._is_manager(request)

    def has_change_permission(self, request, obj=None):
        if obj is not None and obj.is_superuser and not request.user.is_superuser:
            return False
        return self._is_manager(request)

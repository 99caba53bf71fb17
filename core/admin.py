"""Admin building blocks that know no domain app: who works in the admin (bureau staff) and
read-only logs. The scoped base of every bureau-side ModelAdmin, ``ScopedAdmin``, lives next to
the scoping rule it applies: estates/scoped_admin.py.
"""


class BureauPermissionMixin:
    """Only bureau staff (users of an agency) and superusers work in the admin.

    ``city_only_write`` restricts add/change/delete to city-level staff (e.g. the
    agency tree); everything else is editable by any bureau user inside their scope.
    """

    city_only_write = False
    bureau_can_add = True
    bureau_can_delete = False

    def _is_bureau(self, request):
        user = request.user
        return user.is_active and (user.is_superuser or (user.is_staff and user.agency_id is not None))

    def _is_city(self, request):
        user = request.user
        return user.is_superuser or (self._is_bureau(request) and user.agency.level == "city")

    def has_module_permission(self, request):
        return self._is_bureau(request)

    def has_view_permission(self, request, obj=None):
        return self._is_bureau(request)

    def has_add_permission(self, request):
        if self.city_only_write:
            return self._is_city(request)
        return self._is_bureau(request) and self.bureau_can_add

    def has_change_permission(self, request, obj=None):
        if self.city_only_write:
            return self._is_city(request)
        return self._is_bureau(request)

    def has_delete_permission(self, request, obj=None):
        if request.user.is_superuser:
            return True
        if self.city_only_write:
            return self._is_city(request) and self.bureau_can_delete
        return self._is_bureau(request) and self.bureau_can_delete


class ReadOnlyAdminMixin:
    """For logs and work queues: nobody edits them by hand."""

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


# Registered here so that admin autodiscovery of `core` picks the calendar admin up.
from core import admin_calendar  # noqa: E402,F401

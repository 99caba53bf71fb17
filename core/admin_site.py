"""The portal's admin site: a landing page for bureau staff, technical models for superusers only.

Bureau staff open the admin to work on campaigns, so its index is their landing page: the
panels the apps register (core/navigation.py; the campaigns' panel: their campaigns with the
figures of their area, the review queue, the overdue count) and their recent long jobs, above
the list of their apps. The third-party apps that only operators
need (login lock-outs of django-axes, Celery's periodic schedule, Django's groups) are kept
off that page and off the navigation, registered as superuser-only, and reached from a
"系统维护" link that only superusers see (``SYSTEM_APPS``).
"""

from django.contrib import admin
from django.db.models.base import ModelBase
from django.template.response import TemplateResponse
from django.urls import get_script_prefix, path, reverse
from django.utils.translation import get_language
from django.utils.translation import gettext_lazy as _

SYSTEM_APPS = ("axes", "django_celery_beat", "auth")
RECENT_JOBS = 5


class SystemAdminMixin:
    """Technical models: visible to superusers only, whatever model permissions a user holds."""

    def get_object(self, request, object_id, from_field=None):
        # Django's delete view skips its ?_to_field= check for an empty value and then looks the field ""
        # up (FieldDoesNotExist, a 500): the same 400 as for any field the admin does not allow.
        from django.contrib.admin.exceptions import DisallowedModelAdminToField

        if from_field is not None and not self.to_field_allowed(request, from_field):
            raise DisallowedModelAdminToField(f"The field {from_field} cannot be referenced.")
        return super().get_object(request, object_id, from_field)

    def has_module_permission(self, request):
        return request.user.is_active and request.user.is_superuser

    def has_view_permission(self, request, obj=None):
        return self.has_module_permission(request) and super().has_view_permission(request, obj)

    def has_add_permission(self, request, *args):
        return self.has_module_permission(request) and super().has_add_permission(request, *args)

    def has_change_permission(self, request, obj=None):
        return self.has_module_permission(request) and super().has_change_permission(request, obj)

    def has_delete_permission(self, request, obj=None):
        return self.has_module_permission(request) and super().has_delete_permission(request, obj)


#: The business apps' list of the navigation and the index, per app_list_key (kept in the process: the list is a
#: function of that key alone, so nothing can make an entry stale but a new deployment, which starts new processes).
_APP_LISTS = {}
_APP_LISTS_MAX = 256


def app_list_key(request):
    """All that the admins' module and model permissions read of a user (core/admin.py BureauPermissionMixin and
    its subclasses: activity, superuser and staff flags, the agency and its level, a firm, the role; the system
    apps: superusers), with the language and the script prefix of the names and links. None for a user who is
    not logged in (the login page): their list is built each time."""
    user = request.user
    if not getattr(user, "is_authenticated", False):
        return None
    agency_id = getattr(user, "agency_id", None)
    return (get_language(), get_script_prefix(), user.is_active, user.is_superuser, user.is_staff,
            agency_id is not None, user.agency.level if agency_id is not None else None,
            getattr(user, "firm_id", None) is not None, getattr(user, "role", None))


class PortalAdminSite(admin.AdminSite):
    index_template = "admin/portal_index.html"

    def register(self, model_or_iterable, admin_class=None, **options):
        models = [model_or_iterable] if isinstance(model_or_iterable, ModelBase) else list(model_or_iterable)
        for model in models:
            cls = admin_class or admin.ModelAdmin
            if model._meta.app_label in SYSTEM_APPS and not issubclass(cls, SystemAdminMixin):
                cls = type(cls.__name__, (SystemAdminMixin, cls), {"__module__": cls.__module__})
            super().register(model, cls, **options)

    def get_app_list(self, request, app_label=None):
        if app_label is None:  # the index and the navigation (every admin page): once per kind of user
            key = app_list_key(request)
            apps = _APP_LISTS.get(key) if key is not None else None
            if apps is None:
                apps = [app for app in super().get_app_list(request) if app["app_label"] not in SYSTEM_APPS]
                if key is not None:
                    if len(_APP_LISTS) >= _APP_LISTS_MAX:
                        _APP_LISTS.clear()
                    _APP_LISTS[key] = apps
            # Copies: a page may not change what the next one is given.
            return [{**app, "models": [dict(model) for model in app["models"]]} for app in apps]
        return super().get_app_list(request, app_label)

    def system_apps(self, request):
        app_dict = self._build_app_dict(request)
        return [app_dict[label] for label in SYSTEM_APPS if label in app_dict]

    def get_urls(self):
        return [path("system/", self.admin_view(self.system_view), name="system")] + super().get_urls()

    def system_view(self, request):
        """The technical apps of the superuser, in one list (404 for everybody else)."""
        from django.http import Http404

        if not request.user.is_superuser:
            raise Http404
        return TemplateResponse(request, "admin/system_index.html", {
            **self.each_context(request), "title": _("系统维护"), "app_list": self.system_apps(request),
        })

    def index(self, request, extra_context=None):
        return super().index(request, {**landing_context(request), **(extra_context or {})})


def landing_context(request):
    """The landing page of a bureau user (nothing for anyone else): each app's panel (core/navigation.py:
    the campaigns' figures of the user's area…), then the user's recent long jobs."""
    from core.jobs import job_visible_q
    from core.models import Job
    from core.navigation import landing_panels

    user = request.user
    if not getattr(user, "is_bureau", False):  # the user model says who is bureau staff (accounts.User)
        return {}
    panels = landing_panels()
    mine = Job.objects.filter(job_visible_q(user)).filter(owner=user) if user.is_superuser else \
        Job.objects.filter(job_visible_q(user))
    return {
        "bureau_landing": True,
        "landing_panels": [panel.template for panel in panels],
        **{panel.key: panel.build(user=user) for panel in panels},
        "recent_jobs": list(mine.order_by("-created_at")[:RECENT_JOBS]),
        "system_url": reverse("admin:system") if user.is_superuser else None,
    }

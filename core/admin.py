"""The base of every bureau-side ModelAdmin.

``ScopedAdmin`` filters the changelist, change form, history, delete and autocomplete
through estates.scoping, limits foreign-key choices to what the user may see, and
answers 404 for an object outside the user's scope (never the page, never a redirect
that confirms the object exists).
"""

from django.contrib.admin import RelatedFieldListFilter
from django.contrib.admin.exceptions import NotRegistered
from django.contrib.admin.options import TO_FIELD_VAR
from django.contrib.admin.utils import unquote
from django.db.models import Q
from django.http import Http404
from simple_history.admin import SimpleHistoryAdmin

from core.admin_guards import BadParameterAdminMixin
from estates import scoping


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


class ScopedAdmin(BadParameterAdminMixin, BureauPermissionMixin, SimpleHistoryAdmin):
    """A ModelAdmin whose every queryset is scoped to the user's organisation.

    ``scope_links`` says how the model reaches the registry, in the keyword form of
    :func:`estates.scoping.scope_q` (e.g. ``{"estate": "estate", "firm": "firm"}``).
    """

    scope_links: dict = {}
    show_full_result_count = False
    list_per_page = 50

    # Foreign keys to Agency in which a user may also pick the agencies above their own: a street
    # officer files an estate under their own district. Never list a field that grants rights.
    ancestor_choice_fields: tuple = ()

    def get_queryset(self, request):
        q = scoping.scope_q(request.user, **self.scope_links)
        if self._autocomplete_offers_ancestors(request):
            q |= scoping.agency_ancestors_q(request.user)
        return super().get_queryset(request).filter(q)

    def _autocomplete_offers_ancestors(self, request):
        """True when this admin answers the autocomplete of a field listed in ``ancestor_choice_fields``
        of the admin that owns the field (Django resolves the target admin's get_queryset)."""
        match = getattr(request, "resolver_match", None)
        if match is None or match.url_name != "autocomplete":
            return False
        from django.apps import apps

        try:
            source_model = apps.get_model(request.GET.get("app_label", ""), request.GET.get("model_name", ""))
            source_admin = self.admin_site.get_model_admin(source_model)
        except (LookupError, ValueError, NotRegistered):
            return False
        return request.GET.get("field_name") in getattr(source_admin, "ancestor_choice_fields", ())

    def _get_obj_does_not_exist_redirect(self, request, opts, object_id):
        # Django redirects to the index with "doesn't exist"; out-of-scope must be a plain 404.
        raise Http404

    def _require_in_scope(self, request, object_id):
        """404 before any permission check: Django checks permissions first (403 on delete, on POSTs to
        read-only admins) and simple-history falls back to the history rows of objects outside the scope."""
        if scoping.sees_everything(request.user):
            return
        to_field = request.POST.get(TO_FIELD_VAR, request.GET.get(TO_FIELD_VAR))
        if self.get_object(request, unquote(object_id), to_field) is None:
            raise Http404

    def change_view(self, request, object_id, form_url="", extra_context=None):
        self._require_in_scope(request, object_id)
        return super().change_view(request, object_id, form_url, extra_context)

    def delete_view(self, request, object_id, extra_context=None):
        self._require_in_scope(request, object_id)
        return super().delete_view(request, object_id, extra_context)

    def history_view(self, request, object_id, extra_context=None):
        self._require_in_scope(request, object_id)
        return super().history_view(request, object_id, extra_context)

    def history_form_view(self, request, object_id, version_id, extra_context=None):
        self._require_in_scope(request, object_id)
        return super().history_form_view(request, object_id, version_id, extra_context)

    def _registry_choice_q(self, db_field, request):
        """The scope of a choice field (a foreign key, a many-to-many, a list filter by a relation).

        Registry targets follow estates.scoping (plus the ancestors of ``ancestor_choice_fields``); any
        other target that has a scoped admin offers only what that admin lists for the user (a campaign
        another city issued is not a choice, not even in a raw-id field). None: nothing to narrow."""
        from estates.models import Agency, Estate, PropertyFirm

        links = {Agency: scoping.AGENCY_LINKS, Estate: scoping.ESTATE_LINKS, PropertyFirm: scoping.FIRM_LINKS}
        related = db_field.related_model
        if related not in links:
            related_admin = self.admin_site._registry.get(related)
            if isinstance(related_admin, ScopedAdmin) and not scoping.sees_everything(request.user):
                return Q(pk__in=related_admin.get_queryset(request).order_by().values("pk"))
            return None
        q = scoping.scope_q(request.user, **links[related])
        if related is Agency and db_field.name in self.ancestor_choice_fields:
            q |= scoping.agency_ancestors_q(request.user)
        return q

    def get_list_filter(self, request):
        """Filters by a relation offer only the related objects in scope (Django's own lists them all)."""
        return [_scoped_related_filter(self, entry) for entry in super().get_list_filter(request)]

    def formfield_for_foreignkey(self, db_field, request, **kwargs):
        field = super().formfield_for_foreignkey(db_field, request, **kwargs)
        q = self._registry_choice_q(db_field, request)
        if field is not None and q is not None:
            field.queryset = field.queryset.filter(q)
        return field

    def formfield_for_manytomany(self, db_field, request, **kwargs):
        # A task's districts and the like: the same scope as a foreign key's choices.
        field = super().formfield_for_manytomany(db_field, request, **kwargs)
        q = self._registry_choice_q(db_field, request)
        if field is not None and q is not None:
            field.queryset = field.queryset.filter(q)
        return field


class ScopedRelatedFieldListFilter(RelatedFieldListFilter):
    """RelatedFieldListFilter whose choices go through the admin's scope (ScopedAdmin._registry_choice_q)."""

    def field_choices(self, field, request, model_admin):
        q = model_admin._registry_choice_q(field, request)
        if q is None:
            return super().field_choices(field, request, model_admin)
        ordering = self.field_admin_ordering(field, request, model_admin)
        return field.get_choices(include_blank=False, ordering=ordering, limit_choices_to=q)


def _scoped_related_filter(model_admin, entry):
    """A list_filter entry naming a relation of the model (``"campaign"``) becomes a scoped filter."""
    if not isinstance(entry, str) or "__" in entry:
        return entry
    try:
        field = model_admin.model._meta.get_field(entry)
    except Exception:  # noqa: BLE001 - not a model field: Django reports it itself
        return entry
    if getattr(field, "is_relation", False) and field.related_model is not None:
        return (entry, ScopedRelatedFieldListFilter)
    return entry


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

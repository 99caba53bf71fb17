"""Admin pages never answer 500 to a bad parameter (see tests/test_bad_parameters.py).

- ``GuardedChangeList``: Django turns a bad ``?field__lookup=`` into ``IncorrectLookupParameters``
  (the changelist redirects to ``?e=1``), but not an error raised by a ``SimpleListFilter``'s own
  ``queryset()``: ``?campaign=abc`` on a filter doing ``filter(campaign_id=value)`` raised
  ValueError. Every list filter of every admin using this changelist gets the same treatment as
  Django's own lookups, so a new filter cannot bring the 500 back.
- ``history_view``: ScopedAdmin is a simple-history admin for every model, but only some models
  keep a change history; the others raised AttributeError. They get Django's own history page
  (the admin's change log). An object id the primary key cannot hold ("abc") is a 404, as it
  is on the change page, instead of a ValueError inside simple-history's query.
- ``get_object``: a ``?_to_field=`` naming no allowed field is Django's 400 (DisallowedModelAdminToField)
  wherever the object is looked up, not only in Django's own views.

- autocomplete fields: a form sent back with text where an id belongs ("abc" for an agency) is shown again
  with its errors, instead of Django's autocomplete widget failing to look the text up (ValueError, a 500).

NUL characters and numbers too large for the database are refused for every URL by
``core.middleware.BadParameterMiddleware``.
"""

from django.contrib import admin
from django.contrib.admin.exceptions import DisallowedModelAdminToField
from django.contrib.admin.options import IncorrectLookupParameters
from django.contrib.admin.utils import unquote
from django.contrib.admin.views.main import ChangeList
from django.contrib.admin.widgets import AutocompleteSelect, AutocompleteSelectMultiple
from django.core.exceptions import ValidationError
from django.http import Http404

# What a filter raises when the value cannot be used with its field: "abc" for an id
# (ValueError, ValidationError), a wrong type (TypeError), a number too large (OverflowError).
BAD_VALUE_ERRORS = (ValueError, TypeError, ValidationError, OverflowError)


class GuardedChangeList(ChangeList):
    def get_queryset(self, request, exclude_parameters=None):
        try:
            return super().get_queryset(request, exclude_parameters)
        except IncorrectLookupParameters:
            raise
        except BAD_VALUE_ERRORS as exc:
            raise IncorrectLookupParameters(exc) from exc


class _GuardedAutocompleteMixin:
    """Drops the submitted values the target field cannot hold before Django looks them up to label them."""

    def optgroups(self, name, value, attr=None):
        remote = self.field.remote_field
        target = remote.model._meta.get_field(getattr(remote, "field_name", None) or remote.model._meta.pk.name)
        kept = []
        for item in value:
            try:
                target.to_python(item)
            except ValidationError:
                continue
            kept.append(item)
        return super().optgroups(name, kept, attr)


class GuardedAutocompleteSelect(_GuardedAutocompleteMixin, AutocompleteSelect):
    pass


class GuardedAutocompleteSelectMultiple(_GuardedAutocompleteMixin, AutocompleteSelectMultiple):
    pass


def keeps_history(model):
    return hasattr(model._meta, "simple_history_manager_attribute")


class BadParameterAdminMixin:
    """Before simple-history's ``SimpleHistoryAdmin`` in the bases of an admin."""

    def get_changelist(self, request, **kwargs):
        return GuardedChangeList

    def formfield_for_foreignkey(self, db_field, request, **kwargs):
        if "widget" not in kwargs and db_field.name in self.get_autocomplete_fields(request):
            kwargs["widget"] = GuardedAutocompleteSelect(db_field, self.admin_site, using=kwargs.get("using"))
        return super().formfield_for_foreignkey(db_field, request, **kwargs)

    def formfield_for_manytomany(self, db_field, request, **kwargs):
        if "widget" not in kwargs and db_field.name in self.get_autocomplete_fields(request):
            kwargs["widget"] = GuardedAutocompleteSelectMultiple(db_field, self.admin_site,
                                                                 using=kwargs.get("using"))
        return super().formfield_for_manytomany(db_field, request, **kwargs)

    def get_object(self, request, object_id, from_field=None):
        # Django checks ``?_to_field=`` in the views (400), but a scope check that looks the object up
        # first met FieldDoesNotExist: the same 400 here, before any lookup.
        if from_field is not None and not self.to_field_allowed(request, from_field):
            raise DisallowedModelAdminToField(f"The field {from_field} cannot be referenced.")
        return super().get_object(request, object_id, from_field)

    def history_view(self, request, object_id, extra_context=None):
        try:
            self.model._meta.pk.to_python(unquote(object_id))
        except ValidationError:
            raise Http404 from None
        if keeps_history(self.model):
            return super().history_view(request, object_id, extra_context)
        # Django's own page of the admin's change log (LogEntry), with Django's template rather than
        # simple-history's (the response renders lazily, so its template can still be chosen).
        response = admin.ModelAdmin.history_view(self, request, object_id, extra_context)
        opts = self.model._meta
        response.template_name = [
            f"admin/{opts.app_label}/{opts.model_name}/object_history.html",
            f"admin/{opts.app_label}/object_history.html",
            "admin/object_history.html",
        ]
        return response

    def history_form_view(self, request, object_id, version_id, extra_context=None):
        try:
            self.model._meta.pk.to_python(unquote(object_id))
        except ValidationError:
            raise Http404 from None
        if not keeps_history(self.model):
            raise Http404
        return super().history_form_view(request, object_id, version_id, extra_context)

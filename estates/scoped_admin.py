"""The base of every bureau-side ModelAdmin, next to the scoping rule it applies.

``ScopedAdmin`` scopes, from the model declarations of estates/scoping.py and without a line in
the subclass:

* the changelist, the change form, history, delete and the admin's actions (``get_queryset``,
  even when a subclass overrides it: the override's result is filtered too);
* the choices of every foreign key and many-to-many field, by the *target* model's declaration,
  raw-id fields included (their label is not shown for an id outside the scope);
* raw-id lookups and autocomplete, which Django answers with the *target* model's admin (scoped
  by its own declaration; ``ancestor_choice_fields`` of the source admin add the agencies above);
* the choice fields of its inlines, the same way;
* every list filter by a relation (``"campaign"``, ``"task__action"``, ``(field, RelatedOnlyFieldListFilter)``):
  only related objects in scope are offered.

An object outside the user's scope answers 404 (never the page, never a redirect that confirms
the object exists).
"""

import functools
import logging

from django.contrib.admin import RelatedFieldListFilter, RelatedOnlyFieldListFilter, helpers
from django.contrib.admin.exceptions import NotRegistered
from django.contrib.admin.options import TO_FIELD_VAR
from django.contrib.admin.utils import NotRelationField, get_fields_from_path, unquote
from django.contrib.admin.widgets import ForeignKeyRawIdWidget
from django.core.exceptions import FieldDoesNotExist, ValidationError
from django.db.models import Q
from django.http import Http404
from django.utils.html import format_html
from django.utils.translation import gettext as _
from simple_history.admin import SimpleHistoryAdmin

from core.admin import BureauPermissionMixin, ReadOnlyAdminMixin  # noqa: F401 - ReadOnlyAdminMixin re-exported
from core.admin_guards import BadParameterAdminMixin, GuardedChangeList

from . import scoping

logger = logging.getLogger(__name__)
_PENDING = "_scoped_admin_pending"
#: Django admin's own msgid (its catalogue translates it; a variable, so that makemessages leaves it to Django).
_CHECKBOX_LABEL = "Select this object for an action - {}"


def _pending(request):
    """The admins (by id) whose get_queryset override is running for this request: their own base call
    leaves the scoping to the wrapper. Per admin, so that another admin's queryset fetched inside an
    override is scoped as usual."""
    pending = getattr(request, _PENDING, None)
    if pending is None:
        pending = set()
        setattr(request, _PENDING, pending)
    return pending


def _always_scoped(get_queryset):
    """Wrap a subclass's own get_queryset so that its result is scoped whatever it does (calls
    ``super(ScopedAdmin, self)``, starts from another manager or a selector). Scoped once: the
    base's get_queryset, reached from inside the override, leaves the filtering to the wrapper."""

    @functools.wraps(get_queryset)
    def wrapper(self, request):
        pending = _pending(request)
        if id(self) in pending:
            return get_queryset(self, request)
        pending.add(id(self))
        try:
            queryset = get_queryset(self, request)
        finally:
            pending.discard(id(self))
        return self.scope_queryset(request, queryset)

    wrapper.always_scoped = True
    return wrapper


class ScopedForeignKeyRawIdWidget(ForeignKeyRawIdWidget):
    """A raw-id widget that names only an object inside the scope (the label shown next to a
    foreign id typed into the field would tell its name)."""

    def __init__(self, *args, scoped_queryset=None, **kwargs):
        self.scoped_queryset = scoped_queryset
        super().__init__(*args, **kwargs)

    def label_and_url_for_value(self, value):
        if self.scoped_queryset is not None and value not in (None, ""):
            key = self.rel.get_related_field().name
            try:
                if not self.scoped_queryset.filter(**{key: value}).exists():
                    return "", ""
            except (ValueError, TypeError, ValidationError, OverflowError):
                return "", ""  # a malformed id: no label, as Django does
        return super().label_and_url_for_value(value)


def related_choice_q(db_field, request, ancestor_choice_fields=()):
    related = getattr(db_field, "related_model", None)
    if related is None or not scoping.is_declared(related):
        return None
    q = scoping.visible_q(related, request.user)
    if db_field.name in ancestor_choice_fields and related._meta.label == "estates.Agency":
        q |= scoping.agency_ancestors_q(request.user)
    return q


def _scope_inline_choices(inline):
    """Narrow the foreign-key and many-to-many choices of an inline instance (made per request) by the
    targets' declarations."""
    for name in ("formfield_for_foreignkey", "formfield_for_manytomany"):
        original = getattr(inline, name)
        if getattr(original, "always_scoped", False):
            continue

        def scoped(db_field, request, _original=original, **kwargs):
            field = _original(db_field, request, **kwargs)
            q = related_choice_q(db_field, request, getattr(inline, "ancestor_choice_fields", ()))
            if field is not None and q is not None:
                field.queryset = field.queryset.filter(q)
            return field

        scoped.always_scoped = True
        setattr(inline, name, scoped)


class ScopedAdmin(BadParameterAdminMixin, BureauPermissionMixin, SimpleHistoryAdmin):
    """A ModelAdmin whose every queryset is scoped to the user's organisation by the model's
    ``scope_links`` declaration (estates/scoping.py); nothing to write in the subclass."""

    show_full_result_count = False
    list_per_page = 50
    #: The fields a changelist page reads (``QuerySet.only``, select_related paths included), for rows with wide
    #: columns the list never shows (texts, JSON lists). Empty: every column. The export and the actions keep the
    #: changelist's whole queryset (ScopedChangeList).
    list_only: tuple = ()

    # Foreign keys to Agency in which a user may also pick the agencies above their own: a street
    # officer files an estate under their own district. Never list a field that grants rights.
    ancestor_choice_fields: tuple = ()

    def __init_subclass__(cls, **kwargs):
        super().__init_subclass__(**kwargs)
        own = cls.__dict__.get("get_queryset")
        if own is not None and not getattr(own, "always_scoped", False):
            cls.get_queryset = _always_scoped(own)

    def get_queryset(self, request):
        queryset = super().get_queryset(request)
        if id(self) in _pending(request):
            return queryset  # inside this admin's own override: the wrapper scopes its result
        return self.scope_queryset(request, queryset)

    def scope_queryset(self, request, queryset):
        q = scoping.visible_q(self.model, request.user)
        if self._autocomplete_offers_ancestors(request):
            q |= scoping.agency_ancestors_q(request.user)
        return queryset.filter(q)

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

    def action_checkbox(self, obj):
        """Django's checkbox column, the same markup written directly: Django renders a CheckboxInput through the
        form renderer's templates for every row (a third of the rendering time of a 50-row changelist)."""
        label = format_html(_(_CHECKBOX_LABEL), str(obj))
        return format_html('<input type="checkbox" name="{}" value="{}" class="action-select" aria-label="{}">',
                           helpers.ACTION_CHECKBOX_NAME, str(obj.pk), label)

    def get_changelist(self, request, **kwargs):
        return ScopedChangeList

    def list_cache_version(self, request):
        """A token renewed, in the same transaction, by every write that changes what the changelist shows (its
        rows and their count): under it ScopedChangeList keeps the count and each page's rendered rows. None (the
        default): the list is read afresh every time."""
        return None

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

    # --- choices -----------------------------------------------------------------------------

    def related_choice_q(self, db_field, request):
        """The scope of a choice field (a foreign key, a many-to-many, a list filter by a relation):
        the target model's declaration (plus the ancestors of ``ancestor_choice_fields``). None: the
        target declares no scope (the working-day calendar), nothing to narrow."""
        return related_choice_q(db_field, request, self.ancestor_choice_fields)

    def get_inline_instances(self, request, obj=None):
        # Inlines are plain InlineModelAdmins: their choice fields get the same scope, without a line there.
        inlines = super().get_inline_instances(request, obj)
        for inline in inlines:
            _scope_inline_choices(inline)
        return inlines

    _registry_choice_q = related_choice_q  # the issue-14 name

    def get_list_filter(self, request):
        """Filters by a relation offer only the related objects in scope (Django's own lists them all)."""
        return [_scoped_related_filter(self, entry) for entry in super().get_list_filter(request)]

    def formfield_for_foreignkey(self, db_field, request, **kwargs):
        q = self.related_choice_q(db_field, request)
        raw_id = db_field.name in self.raw_id_fields and "widget" not in kwargs
        field = super().formfield_for_foreignkey(db_field, request, **kwargs)
        if field is not None and q is not None:
            field.queryset = field.queryset.filter(q)
            if raw_id:
                widget = ScopedForeignKeyRawIdWidget(db_field.remote_field, self.admin_site,
                                                     using=kwargs.get("using"), scoped_queryset=field.queryset)
                widget.is_required, widget.attrs = field.widget.is_required, field.widget.attrs
                field.widget = widget
        return field

    def formfield_for_manytomany(self, db_field, request, **kwargs):
        # A task's districts and the like: the same scope as a foreign key's choices.
        q = self.related_choice_q(db_field, request)
        field = super().formfield_for_manytomany(db_field, request, **kwargs)
        if field is not None and q is not None:
            field.queryset = field.queryset.filter(q)  # Django's many-to-many raw-id widget shows no labels
        return field


#: How long a kept page of rows lives: its key changes with every write that changes it, the time only bounds the
#: memory it holds.
ROWS_TTL = 600


def kept_rows(key):
    """The kept (length, HTML) of a page of rows, or None (a miss; an unreachable cache is a miss, core/cache.py)."""
    from django.core.cache import cache

    try:
        return cache.get(key)
    except Exception:  # noqa: BLE001 - an unreachable cache must not take the page down
        logger.warning("cache unavailable (get %s)", key, exc_info=True)
        return None


def keep_rows(key, length, html):
    from django.core.cache import cache

    try:
        cache.set(key, (length, str(html)), ROWS_TTL)
    except Exception:  # noqa: BLE001
        logger.warning("cache unavailable (set %s)", key, exc_info=True)


class KeptRows:
    """The page's rows when their HTML is kept: the length known (Django's changelist_view says "0 of 50
    selected"), the rows read from the database only if something iterates them."""

    def __init__(self, queryset, length):
        self.queryset, self.length = queryset, length

    def __len__(self):
        return self.length

    def __bool__(self):
        return self.length > 0

    def __iter__(self):
        return iter(self.queryset)

    def __getitem__(self, index):
        return self.queryset[index]


class ScopedChangeList(GuardedChangeList):
    """The changelist of a ScopedAdmin: its page of rows reads the admin's ``list_only`` fields only.

    An admin whose :meth:`ScopedAdmin.list_cache_version` gives a version keeps, under it, the count of the
    list's rows and the rendered HTML of each page of them (``{% kept_result_list cl %}``,
    core/templatetags/admin_nav.py): keyed on the version and on the statements themselves (the user's scope, the
    filters, the search, the order, the page), the language, the time zone, the date and the query string, so a
    key is a function of what the page shows; a write that changes the rows renews the version in its transaction
    and the next request reads them afresh."""

    #: Set by get_results: the kept HTML of the page's rows (a hit), or the key to keep it under (a miss).
    kept_rows_html = None
    rows_cache_key = None

    def keep_rows_html(self, html):
        """Keep the HTML ``{% kept_result_list %}`` drew for this page (a miss of get_results), if it is to be kept."""
        if self.rows_cache_key is not None:
            keep_rows(self.rows_cache_key, len(self.result_list), html)

    def get_results(self, request):
        only = self.model_admin.list_only
        queryset = self.queryset
        if only:
            self.queryset = queryset.only(*only)
        try:
            version = self._cache_version(request)
            if version is None:
                super().get_results(request)
            else:
                self._get_kept_results(request, version)
        finally:
            self.queryset = queryset  # the export and the actions: the whole rows
        return None

    def _cache_version(self, request):
        if request.method not in ("GET", "HEAD") or self.list_editable:
            return None
        return self.model_admin.list_cache_version(request)

    def _get_kept_results(self, request, version):
        """Django's ChangeList.get_results with the counts kept under ``version`` and the page's rows read only
        when their HTML is not kept."""
        from django.contrib.admin.options import IncorrectLookupParameters
        from django.core.paginator import InvalidPage

        from core.pagination import keep_count, kept_count

        model_admin = self.model_admin
        paginator = keep_count(model_admin.get_paginator(request, self.queryset, self.list_per_page), version)
        result_count = paginator.count
        full_result_count = None
        if model_admin.show_full_result_count:
            full_result_count = kept_count(self.root_queryset, version)
        can_show_all = result_count <= self.list_max_show_all
        multi_page = result_count > self.list_per_page
        if (self.show_all and can_show_all) or not multi_page:
            result_list = self.queryset._clone()
        else:
            try:
                result_list = paginator.page(self.page_num).object_list
            except InvalidPage as exc:
                raise IncorrectLookupParameters from exc
        key = self._rows_key(request, version, result_list)
        kept = kept_rows(key) if key else None
        if kept is not None:
            length, self.kept_rows_html = kept
            result_list = KeptRows(result_list, length)
        else:
            self.rows_cache_key = key
        self.result_count = result_count
        self.show_full_result_count = model_admin.show_full_result_count
        self.show_admin_actions = not self.show_full_result_count or bool(full_result_count)
        self.full_result_count = full_result_count
        self.result_list = result_list
        self.can_show_all = can_show_all
        self.multi_page = multi_page
        self.paginator = paginator

    def _rows_key(self, request, version, result_list):
        """What the rows' HTML is a function of; None when the rows are not a query (then drawn each time)."""
        import hashlib

        from django.db.models import QuerySet
        from django.urls import get_script_prefix
        from django.utils import timezone
        from django.utils.translation import get_language

        from core.pagination import query_key

        if not isinstance(result_list, QuerySet):
            return None
        parts = (
            self.opts.label, type(self.model_admin).__qualname__, query_key(result_list), get_language(),
            timezone.get_current_timezone_name(), timezone.localdate().isoformat(), get_script_prefix(),
            sorted((name, request.GET.getlist(name)) for name in request.GET),
            [getattr(name, "__name__", name) for name in self.list_display],
            [getattr(name, "__name__", name) for name in self.list_display_links or ()],
            self.model_admin.get_empty_value_display(),
        )
        digest = hashlib.sha256(repr(parts).encode()).hexdigest()[:32]
        return f"scoped-admin:rows:{version}:{digest}"


class ScopedRelatedFieldListFilter(RelatedFieldListFilter):
    """RelatedFieldListFilter whose choices follow the target's declaration (ScopedAdmin.related_choice_q)."""

    def field_choices(self, field, request, model_admin):
        q = model_admin.related_choice_q(field, request)
        if q is None:
            return super().field_choices(field, request, model_admin)
        ordering = self.field_admin_ordering(field, request, model_admin)
        return field.get_choices(include_blank=False, ordering=ordering, limit_choices_to=q)


class ScopedRelatedOnlyFieldListFilter(RelatedOnlyFieldListFilter):
    """RelatedOnlyFieldListFilter (the related objects of the listed rows) within the target's scope."""

    def field_choices(self, field, request, model_admin):
        q = model_admin.related_choice_q(field, request)
        if q is None:
            return super().field_choices(field, request, model_admin)
        pk_qs = model_admin.get_queryset(request).distinct().values_list(f"{self.field_path}__pk", flat=True)
        ordering = self.field_admin_ordering(field, request, model_admin)
        return field.get_choices(include_blank=False, ordering=ordering,
                                 limit_choices_to=q & Q(pk__in=pk_qs))


def _scoped_related_filter(model_admin, entry):
    """A list_filter entry naming a relation of the model (``"campaign"``, ``"task__action"``, or a
    ``(path, RelatedFieldListFilter / RelatedOnlyFieldListFilter)`` pair) becomes a scoped filter."""
    if isinstance(entry, str):
        path, filter_class = entry, None
    elif isinstance(entry, list | tuple) and len(entry) == 2 and isinstance(entry[0], str):
        path, filter_class = entry
    else:
        return entry
    try:
        field = get_fields_from_path(model_admin.model, path)[-1]
    except (FieldDoesNotExist, NotRelationField, AttributeError, LookupError):
        # not a model field: Django reports it itself
        return entry
    if not (getattr(field, "is_relation", False) and field.related_model is not None):
        return entry
    if filter_class is None or filter_class is RelatedFieldListFilter:
        return (path, ScopedRelatedFieldListFilter)
    if filter_class is RelatedOnlyFieldListFilter:
        return (path, ScopedRelatedOnlyFieldListFilter)
    return entry

"""Who may see what: the one place that encodes the scoping rule.

The registry (the agency tree, firms, estates):

* a superuser sees everything;
* agency staff see their agency's subtree: city staff the whole city, district staff
  their district, street staff their street, community staff their community. They see
  the estates located there, and the firms they supervise (district and above) or that
  manage an estate located there;
* firm users see their own firm and the estates it manages;
* anybody else sees nothing.

Records (everything that is not the registry: obligations and their evidence, events and
reminders, trainings, activities and their photos, coordinators, users, ...) reach the
registry through links, and the rule for them is:

* **a record located at an estate follows the estate**: whoever sees the estate sees the
  record, nobody else — not the officers of another street where the record's firm also
  manages an estate;
* **a firm-level record** (a firm link and no estate) **follows the firm's supervising
  district**: the firm itself, the district bureau that supervises it and the city above
  it; not the streets and other districts where the firm merely manages estates;
* an agency-level record follows the agency (its subtree, like the registry);
* a firm user also sees every record its own firm is named on (what it filed itself).

Declaring a model's scope (once, on the model)
----------------------------------------------
Every model a user can reach says how it reaches the registry in a class attribute
``scope_links``, a plain dict (plain data, so that an app that must not import this module,
such as ``core``, can declare too)::

    class Obligation(models.Model):
        scope_links = {"estate": "estate", "firm": "firm", "agency": "agency"}
        objects = ObligationQuerySet.as_manager()   # ObligationQuerySet(scoping.ScopedQuerySet)

    class Task(models.Model):
        scope_links = {"via": "action__campaign"}   # follows the campaign's declaration

    class Campaign(models.Model):
        # Issued inside my subtree, or issued above me and published or closed.
        scope_links = {"issuer": "issuing_agency", "shared_when": {"status__in": ["published", "closed"]}}

The keys (several combine with "or"; a value may be one path or a tuple of paths):

* ``estate`` / ``firm`` / ``agency``: the record rule above (``""`` is the registry model itself:
  ``ESTATE_LINKS``, ``FIRM_LINKS``, ``AGENCY_LINKS``);
* ``via``: a foreign key to a model with its own declaration — the record is visible exactly when
  that one is (an action through its campaign, evidence through its obligation);
* ``issuer`` (+ ``shared_when``): something an agency issues for everything below it: the issuer's
  subtree sees it, and, once the ``shared_when`` lookups hold, so do the agencies below the issuer
  and the firms supervised below it (see :func:`issued_q`);
* ``user``: the user at that path sees the row (a notification, a digest sent to them);
* ``shared_when_null``: rows whose link at that path is empty are shared by every active user (a
  notice text of no campaign);
* ``rule``: a callable ``rule(user) -> Q`` or its dotted path, for a model whose rule is its own
  (``core.Job`` follows its owner's organisation, ``core.jobs.job_visible_q``); ``rule`` stands alone.

From a declaration come :func:`visible_q` (the Q), :func:`visible` (a model or queryset filtered to
what the user sees) and ``Model.objects.visible_to(user)`` for models whose queryset class derives
from :class:`ScopedQuerySet`. ``estates.scoped_admin.ScopedAdmin`` reads the declarations of the
model *and of every related model* (foreign keys, many-to-many, raw-id lookups, autocomplete, list
filters), so an admin written without a line of scoping code is scoped. tests/test_scope_declarations.py
fails for a model that has an admin or a portal view and no declaration.

Named rules (the variants that used to be hand-written next to their callers): :func:`issued_by_q` /
:func:`is_issued_by` (the issuer's own subtree: who may change a campaign), :func:`in_area_q` (work
located in an agency's area, for its figures), :func:`reviewable_by_q` / :func:`reviewer_error`
(who reviews), :func:`acts_for` (who does the work of a party: submits evidence).

Residents' personal data (from the next issue on) gets no default manager: :func:`personal_data_managers`
gives the ``public_objects`` / ``private_objects`` pair, so every query says which one it means.

Objects outside the scope answer 404 (see :func:`get_or_404`). :func:`scope_q` / :func:`restrict`
take the links as keyword arguments, for the few callers that scope a model by other links than its
declaration.

``EVERYTHING`` is a real condition (primary key not null), never an empty ``Q()``: Django
drops an empty ``Q`` from ``Q() | X``, so "everything or X" would silently narrow to X
(a superuser's empty lists). Combine scopes with ``|`` and ``&`` freely.
"""

from django.db import models
from django.db.models import BooleanField, Exists, F, Func, OuterRef, Q, Subquery
from django.http import Http404
from django.utils.module_loading import import_string

NOTHING = Q(pk__in=[])
# Matches every row of any model, and survives `|`: EVERYTHING | X is everything, ~EVERYTHING nothing.
EVERYTHING = Q(pk__isnull=False)

# Which field of an estate anchors the rule for each agency level (Agency.Level values: this module
# imports no model at load time, so that models can derive their querysets from ScopedQuerySet).
_ESTATE_FIELD_FOR_LEVEL = {
    "city": "district",
    "district": "district",
    "street": "street",
    "community": "community",
}
_SUPERVISING_LEVELS = ("city", "district")


def sees_everything(user):
    return bool(user and user.is_authenticated and user.is_active and user.is_superuser)


def _active(user):
    return bool(user and user.is_authenticated and user.is_active)


def _ref(prefix, field):
    """OuterRef-able / filter-able path of `field` under `prefix` ('' means the model itself)."""
    return f"{prefix}{field}"


def _pk_ref(prefix):
    """Reference to the id of the object at `prefix` ("firm__" -> "firm_id", "" -> "pk")."""
    if not prefix:
        return "pk"
    head = prefix[:-2]
    return f"{head}_id" if "__" not in head else f"{head}__id"


def _path_ids(agency):
    """Ids of an agency and its ancestors, read from the materialised path (no query)."""
    return [int(part) for part in agency.path.split("/") if part]


class _IdIn(Func):
    """``column IN (subquery)``; on PostgreSQL ``column = ANY(ARRAY(subquery))`` (see :func:`ids_in_q`)."""

    output_field = BooleanField()

    def __init__(self, *expressions, wide=False, **extra):
        super().__init__(*expressions, **extra)
        self.wide = wide

    def as_sql(self, compiler, connection, **extra_context):
        column, column_params = compiler.compile(self.source_expressions[0])
        ids, ids_params = compiler.compile(self.source_expressions[1])  # "(SELECT ...)"
        array = connection.vendor == "postgresql" and not self.wide
        template = "%s = ANY(ARRAY%s)" if array else "%s IN %s"
        return template % (column, ids), (*column_params, *ids_params)


def _wide(user):
    """Whether the user's area is a whole city: their scope holds most rows, and an index would not help."""
    return bool(user.agency_id) and user.agency.level == "city"


def whole_registry_q(user):
    """For a city's staff: a condition true exactly when every agency lies in their subtree (one city in the
    database, the portal's usual case): ``NOT EXISTS (SELECT 1 FROM estates_agency WHERE NOT path LIKE 'P%')``.
    Then every estate, firm and agency is theirs (an estate's district and a firm's supervising district are
    required agencies), and "the link points at a visible estate / firm / agency" is "the link is set". Tested
    in SQL, not cached: the same snapshot as the rows it lets through, however the registry changes (a second
    city, an agency moved elsewhere: then false, and the usual condition decides)."""
    from .models import Agency

    return ~Exists(Agency.objects.exclude(path__startswith=user.agency.path))


def ids_in_q(path, queryset, *, wide=False):
    """Q selecting the rows whose foreign key at `path` is the id of a row of `queryset`.

    The scope of a record is written this way (``estate_id IN (SELECT id FROM estates WHERE firm_id = f)``)
    rather than through the join (``estate.firm_id = f``): a condition on a joined table cannot use an index of
    the record's own table, and an OR of such conditions makes every list and count a sequential scan of the
    records. On PostgreSQL it is ``estate_id = ANY(ARRAY(SELECT ...))``: the ids are read once (an InitPlan)
    and each branch of an OR becomes an index scan of the record's foreign key (a BitmapOr), where an ``IN
    (subquery)`` inside an OR is a hashed SubPlan tested on every row of a sequential scan
    (docs/PERFORMANCE.md). Elsewhere (SQLite) it is ``IN (subquery)``. A row whose link is empty matches
    neither; the path's joins (a link reached through another model) keep Django's outer joins.

    ``wide`` (a city's scope: thousands of ids, most of the rows) keeps ``IN (subquery)`` on PostgreSQL too: the
    array's ids are compared one by one on every row a plan filters (about 0.3 s for a 5,000-estate city's
    36,000 obligations), a hashed SubPlan looks each row up once, and a scan of most of the table is what
    the plan needs anyway."""
    return Q(_IdIn(F(path), Subquery(queryset.order_by().values("pk")), wide=wide))


# --- the registry ---------------------------------------------------------------------------------

def estate_q(user, prefix=""):
    """Q selecting the estates (at `prefix`) the user may see."""
    if sees_everything(user):
        return EVERYTHING
    if not _active(user):
        return NOTHING
    if user.firm_id:
        return Q(**{_ref(prefix, "firm_id"): user.firm_id})
    if user.agency_id:
        agency = user.agency
        field = _ESTATE_FIELD_FOR_LEVEL[agency.level]
        return Q(**{_ref(prefix, f"{field}__path__startswith"): agency.path})
    return NOTHING


def firm_q(user, prefix=""):
    """Q selecting the firms (at `prefix`) the user may see.

    An agency sees the firms it supervises (district and above) and every firm that
    manages an estate inside its area.
    """
    if sees_everything(user):
        return EVERYTHING
    if not _active(user):
        return NOTHING
    if user.firm_id:
        return Q(**{_pk_ref(prefix) if prefix else "pk": user.firm_id})
    if user.agency_id:
        from .models import Estate

        agency = user.agency
        manages_here = Exists(
            Estate.objects.filter(estate_q(user)).filter(firm_id=OuterRef(_pk_ref(prefix)))
        )
        if agency.level in _SUPERVISING_LEVELS:
            return Q(**{_ref(prefix, "district__path__startswith"): agency.path}) | Q(manages_here)
        return Q(manages_here)
    return NOTHING


def agency_q(user, prefix=""):
    """Q selecting the agencies (at `prefix`) the user may see: their own subtree."""
    if sees_everything(user):
        return EVERYTHING
    if not _active(user):
        return NOTHING
    if user.agency_id:
        return Q(**{_ref(prefix, "path__startswith"): user.agency.path})
    return NOTHING


def agency_ancestors_q(user):
    """Q selecting the agencies above the user's own (a street officer's district and city).

    Not part of the scope: only for choice fields that place a record *under* an agency (an estate's
    district), so that a street officer can file an estate in their own district. Never for fields
    that grant rights (a user's agency). The ids come from the materialised path: no query.
    """
    if not (_active(user) and user.agency_id):
        return NOTHING
    ids = [pk for pk in _path_ids(user.agency) if pk != user.agency_id]
    return Q(pk__in=ids) if ids else NOTHING


def firm_home_q(user, prefix=""):
    """Q selecting the firms (at `prefix`) whose *firm-level records* the user may see: their own firm
    (firm users), or the firms supervised inside their area (agency staff: the supervising district
    and the city above it). Unlike :func:`firm_q`, managing an estate in an area gives nothing here."""
    if sees_everything(user):
        return EVERYTHING
    if not _active(user):
        return NOTHING
    if user.firm_id:
        return Q(**{_pk_ref(prefix) if prefix else "pk": user.firm_id})
    if user.agency_id:
        return Q(**{_ref(prefix, "district__path__startswith"): user.agency.path})
    return NOTHING


_REGISTRY_BUILDERS = {"estate": estate_q, "firm": firm_q, "agency": agency_q}
_RECORD_BUILDERS = {"estate": estate_q, "firm": firm_home_q, "agency": agency_q}


def _paths(value):
    if value is None:
        return ()
    return (value,) if isinstance(value, str) else tuple(value)


def _registry_model(kind):
    from .models import Agency, Estate, PropertyFirm

    return {"estate": Estate, "firm": PropertyFirm, "agency": Agency}[kind]


def _record_link_q(user, kind, full):
    """The registry rows at the foreign key `full` that the record rule lets the user see, as a test of the
    record's own column: ``full IN (ids of the visible estates / firms / agencies)`` (see :func:`ids_in_q`),
    or ``full = f`` for a firm user's own firm. Equivalent to the condition through the join
    (``_RECORD_BUILDERS[kind](user, f"{full}__")``) for every row whose link is set."""
    if kind == "firm" and user.firm_id:
        return Q(**{full: user.firm_id})
    condition = _RECORD_BUILDERS[kind](user)
    if condition is NOTHING:
        return NOTHING
    wide = _wide(user)
    q = ids_in_q(full, _registry_model(kind).objects.filter(condition), wide=wide)
    if wide:
        # A city holding the whole registry: every set link is visible (the caller requires the link set).
        # First in the OR: PostgreSQL tests the InitPlan once and never builds the hashed SubPlan of the ids
        # (a count of a 5,000-estate city's 36,000 obligations: ~19 -> ~5 ms).
        q = Q(whole_registry_q(user)) | q
    return q


def _record_links_q(user, links, prefix=""):
    """The record rule for the estate / firm / agency links (see the module docstring)."""
    estate_paths = [p for p in _paths(links.get("estate")) if p]
    q = NOTHING
    for kind in ("estate", "firm", "agency"):
        for path in _paths(links.get(kind)):
            if not path:
                # The registry model itself (at `prefix` when reached through "via").
                part = _REGISTRY_BUILDERS[kind](user, prefix)
                if prefix:
                    part = part & Q(**{f"{prefix[:-2]}__isnull": False})
                q = q | part
                continue
            full = f"{prefix}{path}"
            part = _record_link_q(user, kind, full) & Q(**{f"{full}__isnull": False})
            if kind == "firm" and estate_paths and not user.firm_id:
                # Located at an estate: the estate link alone decides (a firm user keeps its own records).
                for estate_path in estate_paths:
                    part = part & Q(**{f"{prefix}{estate_path}__isnull": True})
            q = q | part
    return q


def scope_q(user, **links):
    """Q for a model that reaches the registry through the given links (see the module docstring).

    ``scope_q(user, estate="estate", firm="firm", agency="agency")`` selects the records whose
    estate is visible, or, having no estate, whose firm is one whose firm-level records the user
    sees, or whose agency is visible (rows with a null link are not matched by it). An empty path
    (``estate=""``, ``firm=""``, ``agency=""``) is the registry model itself. Prefer the model's
    declaration (:func:`visible_q`); this form is for scoping by other links than those.
    """
    for kind in links:
        if kind not in _REGISTRY_BUILDERS:
            raise TypeError(f"unknown scoping link {kind!r}")
    if sees_everything(user):
        return EVERYTHING
    if not _active(user):
        return NOTHING
    return _record_links_q(user, links)


def restrict(queryset, user, **links):
    return queryset.filter(scope_q(user, **links))


def get_or_404(scoped_queryset, **lookup):
    """Fetch one object from an already scoped queryset. Missing and "not yours" look the
    same to the user: 404, never 403, so existence leaks nothing."""
    try:
        return scoped_queryset.get(**lookup)
    except (scoped_queryset.model.DoesNotExist, ValueError):
        raise Http404


# The links of the registry models themselves.
ESTATE_LINKS = {"estate": ""}
FIRM_LINKS = {"firm": ""}
AGENCY_LINKS = {"agency": ""}


# --- named rules ------------------------------------------------------------------------------------

def issued_by_q(user, path="issuing_agency"):
    """Q selecting what was issued inside the user's own agency subtree (only they may change it):
    a campaign (``path="issuing_agency"``), its tasks (``"action__campaign__issuing_agency"``)."""
    if sees_everything(user):
        return EVERYTHING
    if not (_active(user) and user.agency_id):
        return NOTHING
    return Q(**{f"{path}__path__startswith": user.agency.path})


def is_issued_by(user, issuing_agency):
    """:func:`issued_by_q` for one object already loaded (no query beyond the user's agency)."""
    if sees_everything(user):
        return True
    return bool(_active(user) and user.agency_id) and issuing_agency.path.startswith(user.agency.path)


def issued_q(user, path="issuing_agency", shared_when=None, prefix=""):
    """Q selecting what an agency issued that the user may see: issued inside their subtree, or
    issued above them (their own agency's ancestors; for a firm user, the ancestors of the district
    that supervises the firm) once ``shared_when`` holds (a campaign once published)."""
    if sees_everything(user):
        return EVERYTHING
    if not _active(user):
        return NOTHING
    full = f"{prefix}{path}"
    shared = Q(**{f"{prefix}{key}": value for key, value in (shared_when or {}).items()})
    if user.agency_id:
        agency = user.agency
        q = Q(**{f"{full}__path__startswith": agency.path})
        if shared_when is not None:
            q = q | (shared & Q(**{f"{full}__in": _path_ids(agency)}))
        return q
    if user.firm_id and shared_when is not None:
        district = user.firm.district
        return shared & Q(**{f"{full}__in": _path_ids(district)}) if district is not None else NOTHING
    return NOTHING


def in_area_q(user, *, district="district", street="street", agency="agency"):
    """For agency staff, the work located in their area (by its district, street or own agency).

    The scope also shows a district the firms from elsewhere that manage estates in it; their
    firm-level work belongs to the progress and overdue figures of the firm's own district, not to
    this one's. Everything for anybody else (their scope already decides)."""
    if sees_everything(user) or not (_active(user) and user.agency_id):
        return EVERYTHING
    from .models import Agency

    # The record's own columns against the agencies of the area (ids_in_q): index scans, not three joins.
    area = Agency.objects.filter(path__startswith=user.agency.path)
    wide = _wide(user)
    return ids_in_q(district, area, wide=wide) | ids_in_q(street, area, wide=wide) | ids_in_q(agency, area, wide=wide)


def firm_work_q(firm, *, estate="estate", firm_link="firm"):
    """Q selecting a firm's work (not a scope: a narrowing): the records naming the firm, and those located
    at an estate it manages — ``firm_id = f OR estate_id IN (the firm's estates)`` (:func:`ids_in_q`), not
    ``estate.firm_id = f`` through the join, so that both branches read an index."""
    from .models import Estate

    firm_id = getattr(firm, "pk", firm)
    return Q(**{firm_link: firm_id}) | ids_in_q(estate, Estate.objects.filter(firm_id=firm_id))


def in_area(queryset, user, **paths):
    if sees_everything(user) or not (_active(user) and user.agency_id):
        return queryset  # untouched: the same SQL as before for those the area does not narrow
    return queryset.filter(in_area_q(user, **paths))


def reviewable_by_q(user, reviewer="reviewer"):
    """Q selecting the work whose reviewing agency is the user's agency or below it."""
    if sees_everything(user):
        return EVERYTHING
    if not (_active(user) and user.agency_id):
        return NOTHING
    return Q(**{f"{reviewer}__path__startswith": user.agency.path})


def reviewer_error(user, obj, reviewer="reviewer"):
    """Why the user may not review `obj`, whose reviewing agency is at `reviewer` ("" when they may):
    ``"login"``, ``"firm"`` (firms never review) or ``"agency"`` (another agency reviews it). The
    reviewing agency is read only when needed (a superuser's check costs no query)."""
    if not (user and user.is_active):
        return "login"
    if user.is_superuser:
        return ""
    if user.firm_id:
        return "firm"
    if not user.agency_id or not getattr(obj, reviewer).path.startswith(user.agency.path):
        return "agency"
    return ""


def acts_for(user, obj, *, estate="estate", firm="firm", agency="agency"):
    """Whether the user does the work of the party `obj` names (submits its evidence): the firm
    managing its estate, else its firm, else its agency (exactly, not the agencies above it)."""
    if user is None or not user.is_active:
        return False
    if user.is_superuser:
        return True
    if getattr(obj, f"{estate}_id", None):
        return bool(user.firm_id) and user.firm_id == getattr(obj, estate).firm_id
    if getattr(obj, f"{firm}_id", None):
        return user.firm_id == getattr(obj, f"{firm}_id")
    return bool(user.agency_id) and user.agency_id == getattr(obj, f"{agency}_id", None)


# --- declarations ---------------------------------------------------------------------------------

DECLARATION_KEYS = frozenset({"estate", "firm", "agency", "via", "issuer", "shared_when", "user",
                              "shared_when_null", "rule"})


class ScopeDeclarationError(TypeError):
    pass


def declaration(model):
    """The ``scope_links`` a model declares (None when it declares none)."""
    links = getattr(model, "scope_links", None)
    if links is None:
        return None
    if not isinstance(links, dict) or not links:
        raise ScopeDeclarationError(f"{model.__name__}.scope_links must be a non-empty dict")
    unknown = set(links) - DECLARATION_KEYS
    if unknown:
        raise ScopeDeclarationError(f"{model.__name__}.scope_links: unknown key(s) {sorted(unknown)}")
    if "rule" in links and len(links) > 1:
        raise ScopeDeclarationError(f"{model.__name__}.scope_links: 'rule' stands alone")
    if "shared_when" in links and "issuer" not in links:
        raise ScopeDeclarationError(f"{model.__name__}.scope_links: 'shared_when' needs 'issuer'")
    return links


def is_declared(model):
    return declaration(model) is not None


def _related_model(model, path):
    for name in path.split("__"):
        model = model._meta.get_field(name).related_model
    return model


def visible_q(model, user, prefix=""):
    """Q selecting the rows of `model` (at `prefix`, when reached through another model) the user may
    see, from the model's declaration. A model without one raises: scoping is never silently off."""
    links = declaration(model)
    if links is None:
        raise ScopeDeclarationError(f"{model._meta.label} declares no scope_links (see estates/scoping.py)")
    if sees_everything(user):
        return EVERYTHING
    if not _active(user):
        return NOTHING
    if "rule" in links:
        if prefix:
            raise ScopeDeclarationError(f"{model._meta.label} has its own rule: it cannot be reached through 'via'")
        rule = links["rule"]
        return (import_string(rule) if isinstance(rule, str) else rule)(user)
    q = _record_links_q(user, links, prefix)
    for path in _paths(links.get("via")):
        q = q | visible_q(_related_model(model, path), user, prefix=f"{prefix}{path}__")
    for path in _paths(links.get("issuer")):
        q = q | issued_q(user, path, links.get("shared_when"), prefix=prefix)
    for path in _paths(links.get("user")):
        q = q | Q(**{f"{prefix}{path}": user.pk})
    for path in _paths(links.get("shared_when_null")):
        q = q | Q(**{f"{prefix}{path}__isnull": True})
    return q


def visible(model_or_queryset, user):
    """The rows the user may see: ``visible(Campaign, user)`` or ``visible(qs, user)``."""
    if isinstance(model_or_queryset, models.QuerySet):
        queryset = model_or_queryset
    else:
        queryset = model_or_queryset._default_manager.all()
    return queryset.filter(visible_q(queryset.model, user))


def visible_or_404(model_or_queryset, user, **lookup):
    return get_or_404(visible(model_or_queryset, user), **lookup)


class ScopedQuerySet(models.QuerySet):
    """Base of the querysets of declared models: ``Model.objects.visible_to(user)``."""

    def visible_to(self, user):
        return self.filter(visible_q(self.model, user))


ScopedManager = models.Manager.from_queryset(ScopedQuerySet, "ScopedManager")


# --- residents' personal data -----------------------------------------------------------------------

def personal_data_managers(public=None, queryset_class=ScopedQuerySet):
    """``public_objects`` and ``private_objects`` for a model holding residents' personal data,
    which gets *no* ``objects``, so that every query says which it means (DemocracyClub
    EveryElection does the same for its elections)::

        class Suggestion(models.Model):
            scope_links = {"estate": "estate"}
            public_objects, private_objects = scoping.personal_data_managers(public={"published": True})

            class Meta:
                base_manager_name = "private_objects"   # related lookups and the admin's deletes

    ``public_objects`` holds only the rows fit for a public page (``public``: lookups or a Q; none
    at all when not given) and defers nothing else; ``private_objects`` every row, for services and
    for bureau pages, which must still call ``visible_to(user)``. A model that declares ``objects``
    besides these defeats the point: tests/test_scope_declarations.py checks the example.
    """
    if public is None:
        condition = NOTHING
    elif isinstance(public, Q):
        condition = public
    else:
        condition = Q(**public)

    class PublicManager(models.Manager.from_queryset(queryset_class)):
        def get_queryset(self):
            return super().get_queryset().filter(condition)

    class PrivateManager(models.Manager.from_queryset(queryset_class)):
        pass

    PublicManager.__qualname__ = PublicManager.__name__ = "PublicManager"
    PrivateManager.__qualname__ = PrivateManager.__name__ = "PrivateManager"
    return PublicManager(), PrivateManager()

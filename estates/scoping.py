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

Every queryset a user can reach (admin, portal, exports, file downloads, tasks acting for
a user) is filtered through :func:`scope_q` / :func:`restrict`. Models declare how they
reach the registry with the keyword arguments (``estate="obligation__estate"``,
``firm=...``, ``agency=...``); an empty path (``estate=""``, see ``ESTATE_LINKS``) means
the registry model itself. Objects outside the scope answer 404 (see :func:`get_or_404`).

``EVERYTHING`` is a real condition (primary key not null), never an empty ``Q()``: Django
drops an empty ``Q`` from ``Q() | X``, so "everything or X" would silently narrow to X
(a superuser's empty lists). Combine scopes with ``|`` and ``&`` freely.
"""

from django.db.models import Exists, OuterRef, Q
from django.http import Http404

from .models import Agency, Estate

NOTHING = Q(pk__in=[])
# Matches every row of any model, and survives `|`: EVERYTHING | X is everything, ~EVERYTHING nothing.
EVERYTHING = Q(pk__isnull=False)

# Which field of an estate anchors the rule for each agency level.
_ESTATE_FIELD_FOR_LEVEL = {
    Agency.Level.CITY: "district",
    Agency.Level.DISTRICT: "district",
    Agency.Level.STREET: "street",
    Agency.Level.COMMUNITY: "community",
}


def sees_everything(user):
    return bool(user and user.is_authenticated and user.is_active and user.is_superuser)


def _ref(prefix, field):
    """OuterRef-able / filter-able path of `field` under `prefix` ('' means the model itself)."""
    return f"{prefix}{field}"


def _pk_ref(prefix):
    """Reference to the id of the object at `prefix` ("firm__" -> "firm_id", "" -> "pk")."""
    if not prefix:
        return "pk"
    head = prefix[:-2]
    return f"{head}_id" if "__" not in head else f"{head}__id"


def estate_q(user, prefix=""):
    """Q selecting the estates (at `prefix`) the user may see."""
    if sees_everything(user):
        return EVERYTHING
    if not (user and user.is_authenticated and user.is_active):
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
    if not (user and user.is_authenticated and user.is_active):
        return NOTHING
    if user.firm_id:
        return Q(**{_pk_ref(prefix) if prefix else "pk": user.firm_id})
    if user.agency_id:
        agency = user.agency
        manages_here = Exists(
            Estate.objects.filter(estate_q(user)).filter(firm_id=OuterRef(_pk_ref(prefix)))
        )
        if agency.level in (Agency.Level.CITY, Agency.Level.DISTRICT):
            return Q(**{_ref(prefix, "district__path__startswith"): agency.path}) | Q(manages_here)
        return Q(manages_here)
    return NOTHING


def agency_q(user, prefix=""):
    """Q selecting the agencies (at `prefix`) the user may see: their own subtree."""
    if sees_everything(user):
        return EVERYTHING
    if not (user and user.is_authenticated and user.is_active):
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
    if not (user and user.is_authenticated and user.is_active and user.agency_id):
        return NOTHING
    ids = [int(part) for part in user.agency.path.split("/") if part and int(part) != user.agency_id]
    return Q(pk__in=ids) if ids else NOTHING


def firm_home_q(user, prefix=""):
    """Q selecting the firms (at `prefix`) whose *firm-level records* the user may see: their own firm
    (firm users), or the firms supervised inside their area (agency staff: the supervising district
    and the city above it). Unlike :func:`firm_q`, managing an estate in an area gives nothing here."""
    if sees_everything(user):
        return EVERYTHING
    if not (user and user.is_authenticated and user.is_active):
        return NOTHING
    if user.firm_id:
        return Q(**{_pk_ref(prefix) if prefix else "pk": user.firm_id})
    if user.agency_id:
        return Q(**{_ref(prefix, "district__path__startswith"): user.agency.path})
    return NOTHING


_REGISTRY_BUILDERS = {"estate": estate_q, "firm": firm_q, "agency": agency_q}
_RECORD_BUILDERS = {"estate": estate_q, "firm": firm_home_q, "agency": agency_q}


def scope_q(user, **links):
    """Q for a model that reaches the registry through the given links (see the module docstring).

    ``scope_q(user, estate="estate", firm="firm", agency="agency")`` selects the records whose
    estate is visible, or, having no estate, whose firm is one whose firm-level records the user
    sees, or whose agency is visible (rows with a null link are not matched by it). An empty path
    (``estate=""``, ``firm=""``, ``agency=""``) is the registry model itself.
    """
    if sees_everything(user):
        return EVERYTHING
    if not (user and user.is_authenticated and user.is_active):
        return NOTHING
    estate_path = links.get("estate")
    q = NOTHING
    for kind, path in links.items():
        if path is None:
            continue
        if kind not in _REGISTRY_BUILDERS:
            raise TypeError(f"unknown scoping link {kind!r}")
        if not path:
            q = q | _REGISTRY_BUILDERS[kind](user)
            continue
        part = _RECORD_BUILDERS[kind](user, f"{path}__") & Q(**{f"{path}__isnull": False})
        if kind == "firm" and estate_path and not user.firm_id:
            # Located at an estate: the estate link alone decides (a firm user keeps its own records).
            part = part & Q(**{f"{estate_path}__isnull": True})
        q = q | part
    return q


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

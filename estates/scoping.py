"""Who may see what: the one place that encodes the scoping rule.

* a superuser sees everything;
* agency staff see their agency's subtree: city staff the whole city, district staff
  their district, street staff their street, community staff their community;
* firm users see their own firm and the estates it manages;
* anybody else sees nothing.

Every queryset a user can reach (admin, portal, exports, tasks acting for a user) is
filtered through :func:`scope_q` / :func:`restrict`. Models of later apps declare how
they reach the registry with the keyword arguments (``estate="obligation__estate"``,
``firm=...``, ``agency=...``) and an object is visible when any of the given links is.
Objects outside the scope answer 404 (see :func:`get_scoped_or_404`).
"""

from django.db.models import Exists, OuterRef, Q
from django.http import Http404

from .models import Agency, Estate

NOTHING = Q(pk__in=[])
EVERYTHING = Q()

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


_BUILDERS = {"estate": estate_q, "firm": firm_q, "agency": agency_q}


def scope_q(user, **links):
    """Q for a model that reaches the registry through the given links.

    ``scope_q(user, estate="estate", firm="firm", agency="agency")`` selects rows whose
    estate, firm or agency is visible (rows with a null link are not matched by it).
    Pass ``estate=""`` for the Estate model itself.
    """
    if sees_everything(user):
        return EVERYTHING
    q = NOTHING
    for kind, path in links.items():
        if path is None:
            continue
        prefix = f"{path}__" if path else ""
        part = _BUILDERS[kind](user, prefix)
        if part is EVERYTHING:
            return EVERYTHING
        if path:
            part = part & Q(**{f"{path}__isnull": False})
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

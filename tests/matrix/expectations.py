"""Who may open each URL pattern: the declaration table of the URL x role matrix.

Every URL pattern the resolver knows (the admin's included) must have a declaration here; a pattern
without one fails tests/matrix/test_matrix.py::test_every_url_pattern_declares_who_may_open_it. A
declaration says, for every role of tests/matrix/roles.py, what the page answers:

* an outcome (``OK``, ``LOGIN``, ``HOME``...) for pages without an object in their path;
* a pair ``(own, foreign)`` for pages of one object: the answer with an object the role must see, and
  with the nearest one it must not see (the house rule: ``NOT_FOUND``, never ``FORBIDDEN``, for other
  organisations' objects). A single outcome stands for both.

Admin patterns are declared per model admin by rule (``admin_model``): changelist, add, change,
history, delete, the unnamed object redirect, the Excel template/import/export and the simple-history
version page; anything else an admin adds in ``get_urls`` is declared by its name in ``custom``.

Any page that answers 200 to a role must not betray an object hidden from that role (its marker or
its admin address, see roles.Thing): lists, choice lists of forms and filters, Excel exports.
"""

from dataclasses import dataclass, field

from tests.matrix.roles import (
    ANONYMOUS,
    BUREAU,
    CITY,
    DISTRICT,
    DISTRICT2,
    FIRMS,
    ROLES,
    SUPERUSER,
)

OK = "200"
LOGIN = "302 to login"
HOME = "302 to home"
REDIRECT = "302 elsewhere"
BAD_REQUEST = "400"
UNAUTHORIZED = "401"  # token-authenticated APIs: a session is no token
FORBIDDEN = "403"
NOT_FOUND = "404"
NOT_ALLOWED = "405"
GONE = "410"

SUPER = frozenset({SUPERUSER})
CITY_UP = frozenset({CITY, SUPERUSER})
MANAGERS = frozenset({DISTRICT, CITY, SUPERUSER})  # agency users with the manager role (roles.py)
DISTRICT_UP = frozenset({DISTRICT, DISTRICT2, CITY, SUPERUSER})
NOBODY = frozenset()


@dataclass(frozen=True)
class Expect:
    roles: dict
    model: str | None = None  # "app_label.ModelName" of the objects that fill the path
    fill: object = None  # thing -> path kwargs (default: the object's pk under the only parameter)
    query: dict = field(default_factory=dict)  # GET parameters
    leaks_checked: bool = True  # False for public pages (they show public facts of any estate)
    not_requested: str = ""  # why the matrix does not request it (and which test does)


def roles(default, **by_role):
    """{role: outcome} for every role: ``default`` unless named."""
    table = {role: default for role in ROLES}
    table.update(by_role)
    return table


def groups(*pairs, default=None):
    """{role: outcome} from (roles, outcome) pairs, in order; every role must be given."""
    table = {}
    for members, outcome in pairs:
        for role in ([members] if isinstance(members, str) else members):
            table[role] = outcome
    missing = set(ROLES) - set(table)
    if missing and default is None:
        raise ValueError(f"no outcome for {sorted(missing)}")
    return {role: table.get(role, default) for role in ROLES}


OWN = (OK, NOT_FOUND)

PUBLIC = roles(OK)
LOGGED_IN = roles(OK, anonymous=LOGIN)
LOGGED_IN_OWN = roles(OWN, anonymous=LOGIN)
PORTAL_FIRM = groups((ANONYMOUS, LOGIN), (FIRMS, OK), (BUREAU, HOME))
PORTAL_FIRM_OWN = groups((ANONYMOUS, LOGIN), (FIRMS, OWN), (BUREAU, HOME))
# Admin pages of bureau staff: anonymous users and firm users (never staff) are sent to the admin's login.
OUTSIDE_ADMIN = frozenset({ANONYMOUS}) | FIRMS


def admin_page(allowed, *, denied=FORBIDDEN, outcome=OK):
    """A page of the admin without an object: ``allowed`` bureau roles get ``outcome``, other staff ``denied``."""
    return groups((OUTSIDE_ADMIN, LOGIN), (allowed, outcome), (BUREAU - set(allowed), denied))


def admin_object(allowed, *, denied=(FORBIDDEN, NOT_FOUND), outcome=OWN):
    """A page of one object in the admin: in-scope objects for ``allowed``, 404 for objects outside the scope
    whatever the permission (the scope is checked first), 403 for an in-scope object without permission."""
    return groups((OUTSIDE_ADMIN, LOGIN), (allowed, outcome), (BUREAU - set(allowed), denied))


ADMIN_BUREAU_SCOPED = admin_page(BUREAU)


@dataclass(frozen=True)
class AdminRule:
    """Who may do what in one model admin (sets of bureau roles)."""

    view: frozenset = BUREAU
    add: frozenset = BUREAU
    change: frozenset = BUREAU
    delete: frozenset = SUPER
    xlsx_import: frozenset | None = None  # None: who may add and change
    scoped: bool = True  # False: a technical admin (superuser only), no scope check before the permission
    custom: dict = field(default_factory=dict)  # url name -> Expect, for the admin's get_urls views
    change_outcome: tuple = OWN  # the change page for who may view (read-only when they may not change)


def _keeps_history(label):
    from django.apps import apps

    return hasattr(apps.get_model(label), "history")


def expand_admin(label, rule):
    """The declarations of one model admin's standard patterns, by url name (and by route for the unnamed one)."""
    app_label, model_name = label.split(".")
    prefix = f"admin:{app_label}_{model_name.lower()}"
    denied_object = (FORBIDDEN, NOT_FOUND) if rule.scoped else FORBIDDEN
    importers = rule.xlsx_import if rule.xlsx_import is not None else rule.add & rule.change
    viewers = rule.view
    out = {
        f"{prefix}_changelist": Expect(admin_page(viewers)),
        f"{prefix}_add": Expect(admin_page(rule.add)),
        f"{prefix}_change": Expect(admin_object(viewers, denied=denied_object, outcome=rule.change_outcome),
                                   model=label),
        f"{prefix}_history": Expect(admin_object(viewers, denied=denied_object), model=label),
        f"{prefix}_delete": Expect(admin_object(rule.delete, denied=denied_object), model=label),
        # The unnamed <path:object_id>/ redirect of old admin addresses to the change page.
        f"admin/{app_label}/{model_name.lower()}/<path:object_id>/": Expect(
            groups((OUTSIDE_ADMIN, LOGIN), (BUREAU, REDIRECT)), model=label),
        f"{prefix}_xlsx_template": Expect(admin_page(importers)),
        f"{prefix}_xlsx_import": Expect(admin_page(importers)),
        f"{prefix}_xlsx_export": Expect(admin_page(viewers)),
        # simple-history's page of one version; a model without change history has none (404).
        f"{prefix}_simple_history": Expect(admin_object(viewers, denied=denied_object,
                                                        outcome=OWN if _keeps_history(label) else NOT_FOUND),
                                           model=label, fill="history"),
    }
    out.update(rule.custom)
    return out


SYSTEM = AdminRule(view=SUPER, add=SUPER, change=SUPER, delete=SUPER, scoped=False)

AXES = AdminRule(view=SUPER, add=NOBODY, change=SUPER, delete=SUPER, scoped=False)  # logs: never added by hand
LOG = AdminRule(add=NOBODY, delete=NOBODY, xlsx_import=NOBODY)  # read-only logs and work queues, scoped


def _file(thing):
    return {"pk": thing.obj.evidence.obligation_id, "file_id": thing.obj.pk}


def _code(thing):
    return {"code": thing.obj.code}


def _district_pk():
    from estates.models import Agency

    return Agency.objects.get(name="MX-dist1").pk


def _number(thing):
    return {"number": thing.obj.number}


def _entry_photo(thing):
    return {"number": thing.obj.suggestion.number, "pk": thing.obj.pk}


ADMIN_MODELS = {
    "auth.Group": SYSTEM,
    "django_celery_beat.PeriodicTask": SYSTEM,
    "django_celery_beat.ClockedSchedule": SYSTEM,
    "django_celery_beat.CrontabSchedule": SYSTEM,
    "django_celery_beat.SolarSchedule": SYSTEM,
    "django_celery_beat.IntervalSchedule": SYSTEM,
    "axes.AccessAttempt": AXES,
    "axes.AccessLog": AXES,
    "axes.AccessFailureLog": AXES,
    "core.CalendarDay": AdminRule(add=CITY_UP, change=CITY_UP, delete=CITY_UP, xlsx_import=NOBODY),
    "accounts.User": AdminRule(add=MANAGERS, change=MANAGERS, delete=SUPER, xlsx_import=NOBODY, custom={
        "admin:accounts_user_send_password_link": Expect(admin_object(CITY_UP), model="accounts.User"),
        # Django's "set a password" form is closed to everyone (a link to the person's mailbox instead).
        "admin:auth_user_password_change": Expect(admin_object(NOBODY), model="accounts.User"),
    }),
    "estates.Agency": AdminRule(add=CITY_UP, change=CITY_UP, delete=SUPER, xlsx_import=NOBODY),
    "estates.PropertyFirm": AdminRule(),
    "estates.Estate": AdminRule(),
    "estates.Coordinator": AdminRule(xlsx_import=NOBODY),
    "campaigns.Campaign": AdminRule(xlsx_import=NOBODY, custom={
        "admin:campaigns_campaign_progress": Expect(admin_object(BUREAU), model="campaigns.Campaign"),
        "admin:campaigns_campaign_progress_export": Expect(
            admin_object(BUREAU), model="campaigns.Campaign", fill=lambda t: {"pk": t.obj.pk, "by": "district"}),
        "admin:campaigns_campaign_roster": Expect(admin_page(BUREAU)),
    }),
    "campaigns.Action": AdminRule(xlsx_import=NOBODY),
    "campaigns.Task": AdminRule(delete=CITY_UP, xlsx_import=NOBODY, custom={
        # The cast's own task of every bureau role is the city's: only the city moves its deadline.
        "admin:campaigns_task_move_deadline": Expect(admin_object(CITY_UP), model="campaigns.Task"),
    }),
    "campaigns.Obligation": AdminRule(add=NOBODY, change=NOBODY, delete=NOBODY, xlsx_import=NOBODY, custom={
        "admin:campaigns_obligation_review_queue": Expect(admin_page(BUREAU)),
        # GET of the review of an obligation in scope goes to its page (the form is on the queue and the page).
        "admin:campaigns_obligation_review": Expect(admin_object(BUREAU, outcome=(REDIRECT, NOT_FOUND)),
                                                    model="campaigns.Obligation"),
        "admin:campaigns_obligation_file": Expect(admin_object(BUREAU), model="campaigns.EvidenceFile", fill=_file),
    }),
    "campaigns.ObligationEvent": LOG,
    "campaigns.Training": AdminRule(xlsx_import=NOBODY),
    "campaigns.Activity": AdminRule(add=NOBODY, change=NOBODY, delete=NOBODY, xlsx_import=NOBODY),
    "notifications.Reminder": AdminRule(add=NOBODY, change=NOBODY, delete=NOBODY, xlsx_import=NOBODY, custom={
        "admin:notifications_reminder_remind": Expect(admin_page(BUREAU)),
    }),
    "notifications.Digest": LOG,
    "notifications.OutboxMessage": AdminRule(add=NOBODY, change=NOBODY, delete=NOBODY, xlsx_import=NOBODY),
    "notifications.ReminderPolicy": AdminRule(add=CITY_UP, change=CITY_UP, xlsx_import=NOBODY),
    # Hotline API clients: a district's officers and the city add them and issue tokens; streets see none.
    "suggestions.ApiClient": AdminRule(add=DISTRICT_UP, change=DISTRICT_UP, xlsx_import=NOBODY, custom={
        "admin:suggestions_apiclient_token": Expect(admin_object(DISTRICT_UP), model="suggestions.ApiClient"),
    }),
    # The suggestion box's entries: read-only for the bureau (moderation and statistics are their own pages).
    "suggestions.Suggestion": AdminRule(add=NOBODY, change=NOBODY, delete=NOBODY, xlsx_import=NOBODY, custom={
        "admin:suggestions_suggestion_stats": Expect(admin_page(BUREAU)),
        "admin:suggestions_suggestion_stats_export": Expect(admin_page(BUREAU)),
        "admin:suggestions_suggestion_hide": Expect(admin_object(BUREAU), model="suggestions.Suggestion"),
        "admin:suggestions_suggestion_redact": Expect(admin_object(BUREAU), model="suggestions.Suggestion"),
        # POST only: a GET on an entry in scope is 405, outside it 404 (the scope first).
        "admin:suggestions_suggestion_unhide": Expect(admin_object(BUREAU, outcome=(NOT_ALLOWED, NOT_FOUND)),
                                                      model="suggestions.Suggestion"),
        "admin:suggestions_suggestion_photo": Expect(
            admin_object(BUREAU), model="suggestions.SuggestionPhoto",
            fill=lambda t: {"pk": t.obj.suggestion_id, "photo_id": t.obj.pk, "size": "thumbnail"}),
    }),
    # A district's officers (and the city) write its policy; street staff only read what they see (none).
    "suggestions.DeadlinePolicy": AdminRule(add=DISTRICT_UP, change=DISTRICT_UP, delete=DISTRICT_UP,
                                            xlsx_import=NOBODY),
    "suggestions.PosterPrint": AdminRule(add=NOBODY, change=NOBODY, delete=NOBODY, xlsx_import=NOBODY),
    "documents.NoticeTemplate": AdminRule(xlsx_import=NOBODY, custom={
        "admin:documents_noticetemplate_print": Expect(admin_page(BUREAU)),
        "admin:documents_noticetemplate_report": Expect(admin_page(BUREAU)),
        "admin:documents_noticetemplate_preview": Expect(admin_object(BUREAU), model="documents.NoticeTemplate"),
    }),
}

def _view_on_site(_thing):
    from django.contrib.contenttypes.models import ContentType

    from estates.models import Estate

    return {"content_type_id": ContentType.objects.get_for_model(Estate).pk, "object_id": 1}


# url name (or route of an unnamed pattern) -> Expect
DECLARED = {
    # --- the site --------------------------------------------------------------------------------------
    "home": Expect(roles(REDIRECT, anonymous=LOGIN)),  # to the admin or the portal, by who you are
    "healthz": Expect(PUBLIC),
    "favicon": Expect(PUBLIC),
    "javascript-catalog": Expect(PUBLIC),
    "set_language": Expect(roles(HOME)),  # a GET changes nothing and goes home; the switch is a POST
    # --- accounts --------------------------------------------------------------------------------------
    "accounts:login": Expect(PUBLIC),
    "accounts:logout": Expect(roles(NOT_ALLOWED)),  # POST only (a GET logs nobody out)
    "accounts:settings": Expect(LOGGED_IN),
    "accounts:password_change": Expect(LOGGED_IN),
    "accounts:password_change_done": Expect(roles(REDIRECT, anonymous=LOGIN)),
    "accounts:password_reset": Expect(PUBLIC),
    "accounts:password_reset_done": Expect(PUBLIC),
    "accounts:password_reset_complete": Expect(PUBLIC),
    "accounts:password_reset_confirm": Expect(PUBLIC, fill=lambda _t: {"uidb64": "MQ", "token": "bad-token"}),
    "accounts:firm_users": Expect(PORTAL_FIRM),
    "accounts:firm_user_action": Expect(groups((ANONYMOUS, LOGIN), (FIRMS, NOT_ALLOWED), (BUREAU, HOME)),
                                        model="accounts.User"),  # POST only: see the POST cases
    # --- the firm portal -------------------------------------------------------------------------------
    "portal:dashboard": Expect(PORTAL_FIRM),
    "portal:firm_edit": Expect(PORTAL_FIRM),
    "portal:estate_export": Expect(PORTAL_FIRM),
    "portal:estate_edit": Expect(PORTAL_FIRM_OWN, model="estates.Estate", fill=_code),
    "campaigns:obligations": Expect(PORTAL_FIRM),
    "campaigns:obligation_detail": Expect(PORTAL_FIRM_OWN, model="campaigns.Obligation"),
    "campaigns:evidence_file": Expect(PORTAL_FIRM_OWN, model="campaigns.EvidenceFile", fill=_file),
    "campaigns:record_photo": Expect(LOGGED_IN_OWN, model="campaigns.RecordPhoto"),
    "campaigns:trainings": Expect(PORTAL_FIRM),
    "campaigns:training_edit": Expect(PORTAL_FIRM_OWN, model="campaigns.Training"),
    "campaigns:training_withdraw": Expect(PORTAL_FIRM_OWN, model="campaigns.Training"),
    "campaigns:activities": Expect(PORTAL_FIRM),
    "campaigns:activity_edit": Expect(PORTAL_FIRM_OWN, model="campaigns.Activity"),
    "campaigns:activity_withdraw": Expect(PORTAL_FIRM_OWN, model="campaigns.Activity"),
    "campaigns:coordinators": Expect(PORTAL_FIRM),
    "campaigns:roster_template": Expect(PORTAL_FIRM),
    "campaigns:roster_upload": Expect(PORTAL_FIRM),
    # --- public pages (the QR codes): public facts of any estate ---------------------------------------
    "public:estate": Expect(roles((OK, OK)), model="estates.Estate", fill=_code, leaks_checked=False),
    # The suggestion box's public pages: any estate's form, the estate search (nothing listed without a query),
    # the large-text switch (a redirect back). Tracking pages open only with an entry's token: a token nobody
    # holds is 404 for everyone, logged in or not (the token's own cases: tests/suggestions/test_public_track.py).
    "suggestions:suggest": Expect(roles((OK, OK)), model="estates.Estate", fill=_code, leaks_checked=False),
    "suggestions:find": Expect(PUBLIC),
    "suggestions:text_size": Expect(roles(REDIRECT)),
    "suggestions:track": Expect(roles(NOT_FOUND), fill=lambda _t: {"token": "n" * 43}),
    "suggestions:track_photo": Expect(roles(NOT_FOUND), fill=lambda _t: {"token": "n" * 43, "pk": 1}),
    "suggestions:track_photo_thumb": Expect(roles(NOT_FOUND), fill=lambda _t: {"token": "n" * 43, "pk": 1}),
    # --- the hotline API (Open311 shape): a bearer token per district, never a session; every role of the
    # cast has none, so every answer is 401 (the tokens' own cases: tests/suggestions/test_api.py).
    "suggestions:api_services": Expect(roles(UNAUTHORIZED)),
    "suggestions:api_requests": Expect(roles(UNAUTHORIZED)),
    "suggestions:api_request": Expect(roles(UNAUTHORIZED), fill=lambda _t: {"service_request_id": "YJ26120100001"}),
    # --- the firm's suggestion inbox (portal): the handling firm's entries; a step's address answers a GET with the
    # entry's page (a redirect), and another firm's entry 404 (POSTs: test_portal_posts_on_foreign_objects...).
    "suggestions:inbox": Expect(PORTAL_FIRM),
    "suggestions:inbox_detail": Expect(PORTAL_FIRM_OWN, model="suggestions.Suggestion", fill=_number),
    **{f"suggestions:inbox_{step}": Expect(groups((ANONYMOUS, LOGIN), (FIRMS, (REDIRECT, NOT_FOUND)), (BUREAU, HOME)),
                                           model="suggestions.Suggestion", fill=_number)
       for step in ("acknowledge", "start", "reply", "resolve", "close", "refer")},
    "suggestions:inbox_photo": Expect(PORTAL_FIRM_OWN, model="suggestions.SuggestionPhoto", fill=_entry_photo),
    "suggestions:inbox_photo_thumb": Expect(PORTAL_FIRM_OWN, model="suggestions.SuggestionPhoto", fill=_entry_photo),
    "suggestions:reply_templates": Expect(PORTAL_FIRM),
    "suggestions:reply_template_edit": Expect(PORTAL_FIRM_OWN, model="suggestions.ReplyTemplate"),
    "suggestions:reply_template_delete": Expect(PORTAL_FIRM_OWN, model="suggestions.ReplyTemplate"),
    # --- the suggestion box's league table (public: firm names and figures of any district) and posters -----
    "suggestions:league_index": Expect(PUBLIC, leaks_checked=False),
    "suggestions:league": Expect(PUBLIC, leaks_checked=False, fill=lambda _t: {"district_id": _district_pk()}),
    "suggestions:posters": Expect(LOGGED_IN),
    "suggestions:poster_batch": Expect(roles(NOT_ALLOWED, anonymous=LOGIN)),  # POST only: tests/suggestions
    "suggestions:poster_pdf": Expect(LOGGED_IN_OWN, model="estates.Estate", fill=_code),
    # --- jobs, documents, notifications ----------------------------------------------------------------
    "jobs:detail": Expect(LOGGED_IN_OWN, model="core.Job"),
    "jobs:status": Expect(LOGGED_IN_OWN, model="core.Job"),
    "jobs:download": Expect(LOGGED_IN_OWN, model="core.Job"),
    "documents:portal": Expect(PORTAL_FIRM),
    "documents:notice_pdf": Expect(LOGGED_IN_OWN, model="estates.Estate",
                                   fill=lambda t: {"code": t.obj.code, "kind": "open_letter"}),
    "documents:obligations_export": Expect(LOGGED_IN),
    "notifications:list": Expect(LOGGED_IN),
    "notifications:read": Expect(roles(NOT_ALLOWED, anonymous=LOGIN), model="notifications.Notification"),
    "notifications:read_all": Expect(roles(NOT_ALLOWED, anonymous=LOGIN)),
    # --- the admin site ---------------------------------------------------------------------------------
    "admin:index": Expect(ADMIN_BUREAU_SCOPED),
    "admin:login": Expect(groups((OUTSIDE_ADMIN, OK), (BUREAU, REDIRECT))),
    "admin:logout": Expect(groups((OUTSIDE_ADMIN, REDIRECT), (BUREAU, NOT_ALLOWED))),
    "admin:password_change": Expect(ADMIN_BUREAU_SCOPED),
    "admin:password_change_done": Expect(ADMIN_BUREAU_SCOPED),
    "admin:jsi18n": Expect(ADMIN_BUREAU_SCOPED),
    "admin:system": Expect(admin_page(SUPER, denied=NOT_FOUND)),
    # Without its parameters the autocomplete is refused; with them: test_autocomplete_offers_only_the_scope.
    "admin:autocomplete": Expect(admin_page(NOBODY)),
    "admin:view_on_site": Expect(admin_page(NOBODY, denied=NOT_FOUND), fill=_view_on_site),  # no public URLs
    "admin:app_list": Expect(ADMIN_BUREAU_SCOPED, fill=lambda _t: {"app_label": "estates"}),
    "admin/(?P<url>.*)$": Expect(admin_page(NOBODY, denied=NOT_FOUND), fill=lambda _t: {"url": "no-such-page/"}),
}


def declarations():
    """Every declaration: the pages below plus the expanded admin rules."""
    table = dict(DECLARED)
    for label, rule in ADMIN_MODELS.items():
        table.update(expand_admin(label, rule))
    return table

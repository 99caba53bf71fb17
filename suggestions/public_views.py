"""The residents' pages of the suggestion box (no account): the form, the estate search, tracking.

Each view parses, makes one call (selectors/public.py to read, services.py to write, abuse.py to
judge the sender) and renders. The tracking pages are private to whoever holds the link: they are
never cached, never indexed, and the token never leaves for another site in a Referer header.
"""

from django import forms
from django.core.exceptions import ValidationError
from django.http import HttpResponseRedirect
from django.shortcuts import render
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.http import require_GET, require_http_methods

from core import cache
from estates.selectors import registry_version

from . import abuse, deadlines, pagecache, photos, services
from .privacy import client_hash, mask_mobile, normalize_mobile, text_for
from .public_forms import FollowUpForm, RateForm, ReopenForm, SuggestionForm
from .selectors import public as selectors

LARGE_TEXT_COOKIE = "public_large"
LARGE_TEXT_MAX_AGE = 365 * 24 * 3600


def _private(response):
    """Headers of a page only its link holder may see.

    ``Referrer-Policy: same-origin``: the address (with its token) is never sent to another site (the
    page links out to none anyway). Not ``no-referrer``: under it browsers send ``Origin: null`` with
    the page's own POST forms (follow-up, rating, reopening), which Django's CSRF check rightly refuses.
    """
    response["Cache-Control"] = "private, no-store"
    response.setdefault("Referrer-Policy", "same-origin")
    response["X-Robots-Tag"] = "noindex, nofollow"
    return response


def _add_errors(form, error):
    """A service's ValidationError onto the form: field errors at their field, the rest on top."""
    if hasattr(error, "error_dict"):
        for field, errors in error.error_dict.items():
            form.add_error(field if field in form.fields else None, errors)
    else:
        form.add_error(None, error)


# The form's "anonymous" box read as its field reads it (a field's clean keeps no state: one for the process).
_ANONYMOUS = forms.BooleanField(required=False)


def _posted_mobile(data):
    """The mobile a POST gives, normalised as the form will (for the limits, counted before the form is read)."""
    if _ANONYMOUS.clean(data.get("anonymous")):
        return ""
    try:
        return normalize_mobile(data.get("mobile", ""))
    except ValidationError:
        return ""


@require_http_methods(["GET", "POST"])
def suggest(request, code):
    """The form behind the estate page's button and the poster's QR code."""
    # The version tokens the estate and the deadlines are kept under, read in one round trip for the whole request.
    with cache.snapshot():
        deadlines.version()
        return _suggest(request, code)


def _suggest(request, code):
    estate = selectors.estate_for_form(code=code)
    address = abuse.client_address(request)
    sender = client_hash(address)
    mobile = _posted_mobile(request.POST) if request.method == "POST" else ""
    activity = abuse.Activity(estate=estate, sender_hash=sender, mobile=mobile)  # one query: limits and burst
    challenge, limited = activity.needs_challenge(), activity.limited()
    if request.method == "POST":
        if abuse.is_bot(request.POST):
            return render(request, "suggestions/public/received.html", {"estate": estate})
        # Over the limit, nothing is to be saved: the form only comes back as typed (no photo is read).
        form = (SuggestionForm(request.POST) if limited
                else SuggestionForm(request.POST, request.FILES, challenge=challenge))
        if limited is None and form.is_valid():
            data = form.cleaned_data
            if data["mobile"] and data["mobile"] != mobile:  # (the form reads the mobile as _posted_mobile does)
                limited = abuse.check_rate(estate=estate, sender_hash="", mobile=data["mobile"])
            if limited is None:
                try:
                    entry = services.suggestion_submit(
                        estate=estate, category=data["category"], text=data["text"], name=data["name"],
                        mobile=data["mobile"], anonymous=data["anonymous"],
                        consent_contact=data["consent_contact"], photos=data["photos"], client_address=address)
                except ValidationError as error:
                    _add_errors(form, error)
                else:
                    return HttpResponseRedirect(reverse("suggestions:track", args=[entry.token]) + "?new=1")
    elif not (limited or challenge) and pagecache.cacheable(request):
        # The empty form, the same page for every sender of this estate but for its token (pagecache.py);
        # the working days it promises are the estate's own policy, part of the key.
        policy = deadlines.current_policy(estate)
        return pagecache.empty_form(request, estate, policy, "suggestions/public/form.html", lambda: {
            "estate": estate, "form": SuggestionForm(), "limited": None, "challenge": "", "photos_dropped": False,
            "policy": policy})
    else:
        form = SuggestionForm(challenge=challenge)  # a sender over the limit is told before typing anything
    context = {
        "estate": estate, "form": form, "limited": limited, "policy": deadlines.current_policy(estate),
        "challenge": abuse.new_challenge() if challenge else "",
        "photos_dropped": request.method == "POST" and bool(request.FILES),
    }
    return render(request, "suggestions/public/form.html", context,
                  status=429 if limited and request.method == "POST" else 200)


@require_GET
def find(request):
    """Residents without the QR code find their estate by name, address or street."""
    def context():
        query, page = selectors.estate_search(query=request.GET.get("q", ""), page=request.GET.get("page") or 1)
        return {"query": query, "page_obj": page}

    if pagecache.cacheable(request, query=True):  # the same page for everyone asking it, until the registry changes
        return pagecache.search_page(request, registry_version(), "suggestions/public/find.html", context)
    return render(request, "suggestions/public/find.html", context())


TRACK_FORMS = {"follow_up": FollowUpForm, "rate": RateForm, "reopen": ReopenForm}


@require_http_methods(["GET", "POST"])
def track(request, token):
    """The resident's private page of one entry: history, replies, follow-up, rating, reopening."""
    entry = selectors.suggestion_for_token(token=token)
    bound = {}
    if request.method == "POST":
        action = request.POST.get("action", "")
        form_class = TRACK_FORMS.get(action)
        if form_class is not None:
            form = form_class(request.POST)
            bound[action] = form
            if form.is_valid():
                try:
                    if action == "follow_up":
                        services.suggestion_follow_up(suggestion=entry, text=form.cleaned_data["text"])
                    elif action == "rate":
                        services.suggestion_rate(suggestion=entry, rating=form.cleaned_data["rating"],
                                                 comment=form.cleaned_data["comment"])
                    else:
                        services.suggestion_reopen(suggestion=entry, text=form.cleaned_data["text"])
                except ValidationError as error:
                    _add_errors(form, error)
                else:
                    url = reverse("suggestions:track", args=[entry.token]) + f"?done={action}"
                    return _private(HttpResponseRedirect(url))
    context = {
        "entry": entry, "estate": entry.estate,
        "text": text_for(None, entry), "mobile": mask_mobile(entry.mobile),
        "is_new": request.GET.get("new") == "1", "done": request.GET.get("done", ""),
        "follow_up_form": bound.get("follow_up") or FollowUpForm(),
        "rate_form": bound.get("rate") or RateForm(),
        "reopen_form": bound.get("reopen") or ReopenForm(),
        "problems": [error for form in bound.values() for error in form.non_field_errors()],
        "track_url": request.build_absolute_uri(reverse("suggestions:track", args=[entry.token])),
    }
    status = 400 if any(form.errors for form in bound.values()) else 200
    return _private(render(request, "suggestions/public/track.html", context, status=status))


@require_GET
def track_photo(request, token, pk, thumbnail=False):
    """A photo of the entry (or of a public reply) behind the tracking link; 404 for anything else."""
    return _private(photos.serve(selectors.photo_for_token(token=token, pk=pk), thumbnail=thumbnail))


@require_GET
def text_size(request):
    """Switch the public pages' large-text mode (a cookie; no script needed) and go back."""
    target = request.GET.get("next", "")
    if not url_has_allowed_host_and_scheme(target, allowed_hosts={request.get_host()},
                                           require_https=request.is_secure()) or not target.startswith("/"):
        target = reverse("suggestions:find")
    response = HttpResponseRedirect(target)
    if request.GET.get("large") == "1":
        response.set_cookie(LARGE_TEXT_COOKIE, "1", max_age=LARGE_TEXT_MAX_AGE, samesite="Lax",
                            secure=request.is_secure(), httponly=True)
    else:
        response.delete_cookie(LARGE_TEXT_COOKIE, samesite="Lax")
    return response

"""Protection of the public form against floods, without accounts and without picture CAPTCHAs.

* **Who is sending**: ``client_address(request)`` is ``REMOTE_ADDR``, or — only when the request
  comes from a proxy in ``settings.SUGGESTION_TRUSTED_PROXIES`` (by default the FORWARDED_ALLOW_IPS
  gunicorn trusts, config/gunicorn.py) — the right-most address of ``X-Forwarded-For`` that is not
  itself such a proxy. A header from anyone else is ignored: it is the sender's to invent. The
  address itself is never stored, only its keyed hash (``privacy.client_hash``).
* **Rate limits**, counted in the database from the entries themselves (``Suggestion.client_hash``,
  ``mobile``, ``submitted_at``; indexes ``suggestion_rate_limit`` and ``suggestion_mobile_limit``),
  so every gunicorn worker sees the same counts and no Redis is needed (one query reads a sender's
  entries of the last 24 hours, :class:`Activity`; every limit and the burst are counted from it):
  ``SUGGESTION_RATE_PER_HOUR`` per sender per estate in a rolling hour, ``SUGGESTION_RATE_PER_DAY``
  per sender and per mobile in a rolling 24 hours. The check and the insert are not one
  transaction: concurrent requests of one sender may overshoot by the number of workers, which a
  flood limit can afford (the challenge below already slows a burst).
* **Honeypot**: a field people never see (``website``); a bot that fills it is shown the normal
  receipt-like page and nothing is saved.
* **Challenge after a burst**: from the ``SUGGESTION_CHALLENGE_AFTER``-th entry of one sender
  within an hour, the form asks for an ALTCHA proof of work (the vendored widget computes it in a
  web worker; a person only ticks a box and waits a moment — no picture to read, as the
  ageing-friendly norm asks). It is verified here with the ``altcha`` library against our own
  HMAC secret and accepted once: the redeemed challenge is stored (:class:`UsedChallenge`) until
  it expires, so a replay to any worker is refused.
"""

import datetime
import functools
import ipaddress
import json
import threading
from dataclasses import dataclass

import altcha
from django.conf import settings
from django.db import IntegrityError, connections, transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext as _

from .models import Suggestion, UsedChallenge

HONEYPOT_FIELD = "website"
ALTCHA_FIELD = "altcha"
ALTCHA_ALGORITHM = "PBKDF2/SHA-256"
ALTCHA_COST = 2000  # PBKDF2 iterations per attempt; about 256 attempts expected (key prefix "00")
ALTCHA_TTL = datetime.timedelta(minutes=20)
HOUR, DAY = datetime.timedelta(hours=1), datetime.timedelta(hours=24)


# --- the sender ------------------------------------------------------------------------------------

def _address(value):
    try:
        return ipaddress.ip_address(value.strip())
    except ValueError:
        return None


@functools.lru_cache(maxsize=8)
def _proxies(entries):
    """(trust everyone, the networks) of SUGGESTION_TRUSTED_PROXIES, parsed once per value of the setting."""
    networks = []
    for entry in entries:
        entry = entry.strip()
        if entry == "*":
            return True, ()
        try:
            networks.append(ipaddress.ip_network(entry, strict=False))
        except ValueError:
            continue
    return False, tuple(networks)


def _trusted(address):
    everyone, networks = _proxies(tuple(settings.SUGGESTION_TRUSTED_PROXIES))
    return everyone or any(address in network for network in networks)


def client_address(request):
    """The sender's address as far as we can trust it (see the module docstring)."""
    remote = _address(request.META.get("REMOTE_ADDR", ""))
    if remote is None:
        return ""
    if not _trusted(remote):
        return str(remote)
    for hop in reversed(request.META.get("HTTP_X_FORWARDED_FOR", "").split(",")):
        address = _address(hop)
        if address is None:
            break  # a malformed hop: trust nothing before it
        if not _trusted(address):
            return str(address)
    return str(remote)


# --- rate limits -----------------------------------------------------------------------------------

@dataclass(frozen=True)
class Limited:
    """A limit reached: the message for the resident and the minutes to wait."""

    message: str
    minutes: int


def _wait(times, limit, window, now):
    """Minutes until the oldest entry that keeps the count at the limit leaves the window."""
    times = sorted(times)
    release = times[len(times) - limit] + window
    return max(1, int((release - now).total_seconds() // 60) + 1)


def _over(times, limit, window, now):
    times = [t for t in times if t > now - window]
    return _wait(times, limit, window, now) if limit > 0 and len(times) >= limit else None


def _recent_entries(*, sender_hash, mobile, since):
    """The queryset of the web entries since ``since`` of this sender or this mobile (one of them at least)."""
    condition = Q()
    if sender_hash:
        condition |= Q(client_hash=sender_hash)
    if mobile:
        condition |= Q(mobile=mobile)
    return (Suggestion.private_objects.filter(condition, source=Suggestion.Source.WEB, submitted_at__gt=since)
            .values_list("submitted_at", "estate_id", "client_hash", "mobile"))


# Stand-ins the query is compiled with, found again among its parameters (a NUL never comes from a request:
# core/middleware.py refuses it, and a client hash is hexadecimal).
_SENDER, _MOBILE = "\x00sender\x00", "\x00mobile\x00"
_SINCE = datetime.datetime(2001, 2, 3, 4, 5, 6, 789012, tzinfo=datetime.UTC)
_compiled = {}
_compiled_lock = threading.Lock()


def _compile(alias, shape):
    """(SQL, where each parameter comes from, the result's converters) of :func:`_recent_entries` for ``shape``
    (whether a sender and a mobile are asked), as the ORM writes it; None when its parameters cannot be told
    apart (then the ORM runs each time)."""
    queryset = _recent_entries(sender_hash=_SENDER if shape[0] else "", mobile=_MOBILE if shape[1] else "",
                               since=_SINCE).using(alias)
    compiler = queryset.query.get_compiler(using=alias)
    sql, params = compiler.as_sql()
    since = compiler.connection.ops.adapt_datetimefield_value(_SINCE)
    slots = [{_SENDER: "sender", _MOBILE: "mobile"}.get(p, "since" if p == since else ("value", p))
             if isinstance(p, str | datetime.datetime) else ("value", p) for p in params]
    named = [slot for slot in slots if isinstance(slot, str)]
    if sorted(named) != sorted(["since", *(["sender"] if shape[0] else []), *(["mobile"] if shape[1] else [])]):
        return None
    converters = compiler.get_converters([column[0] for column in compiler.select[: compiler.col_count]])
    return sql, slots, list(converters.items())


def recent_rows(*, sender_hash, mobile, since):
    """``(submitted_at, estate_id, client_hash, mobile)`` of :func:`_recent_entries`, one query. Every form view
    and submission runs it, so its SQL is the ORM's compiled once per process and shape (building and compiling
    the queryset cost ten times the query's own run), then run with this request's values."""
    alias = Suggestion.private_objects.db
    connection = connections[alias]
    shape = (bool(sender_hash), bool(mobile))
    key = (alias, connection.vendor, shape)
    if key not in _compiled:
        with _compiled_lock:
            _compiled[key] = _compile(alias, shape)
    compiled = _compiled[key]
    if compiled is None:
        return list(_recent_entries(sender_hash=sender_hash, mobile=mobile, since=since))
    sql, slots, converters = compiled
    values = {"sender": sender_hash, "mobile": mobile, "since": connection.ops.adapt_datetimefield_value(since)}
    params = [slot[1] if isinstance(slot, tuple) else values[slot] for slot in slots]
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        rows = cursor.fetchall()
    if converters:
        rows = [list(row) for row in rows]
        for row in rows:
            for position, (functions, expression) in converters:
                for function in functions:
                    row[position] = function(row[position], expression, connection)
    return [tuple(row) for row in rows]


class Activity:
    """A sender's (and a mobile's) web entries of the last 24 hours, read in one query, and what they imply:
    :meth:`limited` (a limit reached) and :meth:`needs_challenge` (a burst)."""

    def __init__(self, *, estate, sender_hash="", mobile="", now=None):
        self.now = now or timezone.now()
        self.estate_id, self.sender_hash, self.mobile = estate.pk, sender_hash, mobile
        self.rows = (recent_rows(sender_hash=sender_hash, mobile=mobile, since=self.now - DAY)
                     if sender_hash or mobile else [])

    def _times(self, *, here=False, sender=False, mobile=False):
        return [at for at, estate_id, hashed, number in self.rows
                if (not here or estate_id == self.estate_id)
                and (not sender or (self.sender_hash and hashed == self.sender_hash))
                and (not mobile or (self.mobile and number == self.mobile))]

    def limited(self):
        """``None`` when the entry may be filed, else :class:`Limited` (nothing is to be saved)."""
        per_hour, per_day, now = settings.SUGGESTION_RATE_PER_HOUR, settings.SUGGESTION_RATE_PER_DAY, self.now
        if self.sender_hash:
            minutes = _over(self._times(here=True, sender=True), per_hour, HOUR, now)
            if minutes:
                return Limited(_("您在一小时内已为本小区提交了 %(n)s 条意见，请 %(minutes)s 分钟后再提交。") % {
                    "n": per_hour, "minutes": minutes}, minutes)
            minutes = _over(self._times(sender=True), per_day, DAY, now)
            if minutes:
                return Limited(_("您今天已提交了 %(n)s 条意见，请 %(hours)s 小时后再提交。") % {
                    "n": per_day, "hours": max(1, round(minutes / 60))}, minutes)
        if self.mobile:
            minutes = _over(self._times(mobile=True), per_day, DAY, now)
            if minutes:
                return Limited(_("该手机号码今天已提交了 %(n)s 条意见，请 %(hours)s 小时后再提交。") % {
                    "n": per_day, "hours": max(1, round(minutes / 60))}, minutes)
        return None

    def needs_challenge(self):
        """Whether this sender's next entry is the ``SUGGESTION_CHALLENGE_AFTER``-th within an hour (or later)."""
        after = settings.SUGGESTION_CHALLENGE_AFTER
        if not self.sender_hash or after <= 0:
            return False
        recent = [t for t in self._times(sender=True) if t > self.now - HOUR]
        return len(recent) + 1 >= after


def check_rate(*, estate, sender_hash, mobile="", now=None):
    """``None`` when the entry may be filed, else :class:`Limited` (one query)."""
    return Activity(estate=estate, sender_hash=sender_hash, mobile=mobile, now=now).limited()


def needs_challenge(*, estate, sender_hash, now=None):
    return Activity(estate=estate, sender_hash=sender_hash, now=now).needs_challenge()


# --- honeypot ----------------------------------------------------------------------------------------

def is_bot(data):
    """A value in the field people never see (hidden from sight and from assistive technology)."""
    return bool((data.get(HONEYPOT_FIELD) or "").strip())


# --- the proof-of-work challenge ---------------------------------------------------------------------

def _secret():
    return f"suggestions-altcha:{settings.SECRET_KEY}"


def new_challenge(*, now=None):
    """A signed challenge as the JSON the widget's ``challenge`` attribute takes."""
    now = now or timezone.now()
    challenge = altcha.create_challenge(ALTCHA_ALGORITHM, ALTCHA_COST, expires_at=now + ALTCHA_TTL,
                                        hmac_secret=_secret())
    return json.dumps(challenge.to_dict(), separators=(",", ":"))


def verify_challenge(payload, *, now=None):
    """True when ``payload`` (the widget's base64 answer) solves a challenge of ours not redeemed before.

    A valid answer is redeemed at once (stored until its expiry): the same answer is refused next time.
    """
    payload = (payload or "").strip()
    if not payload or len(payload) > 4000:
        return False
    try:
        result = altcha.verify_solution(payload, _secret())
    except (ValueError, TypeError, KeyError):
        return False
    if not result.verified:
        return False
    parsed = altcha.Payload.from_base64(payload)
    parameters = parsed.challenge.parameters
    now = now or timezone.now()
    expires = parameters.expires_at
    expires_at = (datetime.datetime.fromtimestamp(expires, tz=datetime.UTC) if isinstance(expires, int | float)
                  else now + ALTCHA_TTL)
    UsedChallenge.objects.filter(expires_at__lt=now).delete()
    try:
        with transaction.atomic():
            UsedChallenge.objects.create(salt=str(parameters.salt)[:64], expires_at=expires_at)
    except IntegrityError:
        return False  # a replay
    return True

"""The open registry of message kinds: how any app sends messages through the outbox.

notifications/ knows no app. An app registers each kind of message it sends once (in its
``AppConfig.ready``), then queues messages of that kind from its services; the outbox
(notifications/outbox.py) stores each under a unique key before anything is sent and sends it
exactly once with the claim/lease protocol of the reminders::

    from notifications.registry import Recipient, register_message_kind
    from notifications.channels import Message

    def render(message):                      # an OutboxMessage row -> Message (or a Skip)
        p = message.payload
        return Message(category="general", subject=f"【意见箱】{p['title']}", text=p["text"],
                       link=p["link"], summary=p["text"][:100])

    register_message_kind(
        "suggestions.answered",              # "<app>.<what>", unique
        label="意见已答复",                    # shown in the message log
        render=render,
        recipients=lambda payload: [Recipient.bare(payload["phone"], "sms")],   # optional
        channels=("inapp", "email"),         # optional, default: in-app and every external channel
        digest=None,                          # or "daily": one message per recipient and day
    )

    # in a service, inside its transaction (the row commits with the change that caused it):
    from notifications import outbox
    outbox.enqueue("suggestions.answered", key=f"answer/{answer.pk}", payload={...})

**render(message)** gets the stored :class:`~notifications.models.OutboxMessage` (``payload``,
``recipient_kind``, ``user``/``agency``/``firm``/``address``, ``date``) and returns a
:class:`~notifications.channels.Message`, or :class:`Skip` (``Skip("reason")``) when the message
no longer applies (the row is logged as skipped with the reason). For a digest kind the row is
the digest and ``message.digest_items`` holds the events it folds in (their payloads, oldest first).
Render in the site language: a sweep has no request.

**recipients(payload)** (optional) says who receives a message when ``enqueue`` is not given
``recipients=``. Each :class:`Recipient` gets its own row (its own key, its own state):

* ``Recipient.user(user)`` — one account; the in-app notification always, email only if the
  user keeps ``email_notifications`` on;
* ``Recipient.firm(firm)`` / ``Recipient.agency(agency)`` — an organisation: expanded when sent
  to its active users (each with their own email choice); nobody active means "无接收人", logged
  with the reason and tried again by the next flush;
* ``Recipient.bare(address, channel)`` — somebody without an account: ``"email"``, ``"sms"``
  (a resident's phone), ``"robot"`` (a group robot's webhook) or ``"none"`` (recorded, not sent,
  until a channel exists). An address whose channel is not configured is logged as "无接收人".

**channels** limits which channels a kind uses by name (``"inapp"``, ``"email"``, ...; see
notifications/channels.py). **digest="daily"**: each event is held ("待汇总") and the daily
flush folds a recipient's held events into one message per day (the items then read "已汇总").
"""

from dataclasses import dataclass

DIGEST_PERIODS = (None, "daily")


class Skip(str):
    """Returned by ``render``: do not send this message, log it as skipped with this reason."""


@dataclass(frozen=True)
class Recipient:
    """Who a message goes to: a user, an organisation, or a bare address with its channel."""

    kind: str  # "user" | "agency" | "firm" | "address"
    id: int | None = None
    address: str = ""
    channel: str = ""

    @classmethod
    def user(cls, user):
        return cls("user", id=getattr(user, "pk", user))

    @classmethod
    def agency(cls, agency):
        return cls("agency", id=getattr(agency, "pk", agency))

    @classmethod
    def firm(cls, firm):
        return cls("firm", id=getattr(firm, "pk", firm))

    @classmethod
    def bare(cls, address, channel):
        address, channel = str(address or "").strip(), str(channel or "").strip()
        if not address or not channel:
            raise ValueError("a bare address needs the address and the name of its channel")
        return cls("address", address=address, channel=channel)

    @property
    def key(self):
        """The recipient's part of the outbox's unique key."""
        if self.kind == "address":
            return f"{self.channel}:{self.address}"[:300]
        return f"{self.kind}:{self.id}"


@dataclass(frozen=True)
class MessageKind:
    key: str
    render: object
    label: str = ""
    recipients: object = None
    channels: tuple | None = None
    digest: str | None = None


_kinds: dict[str, MessageKind] = {}


def register_message_kind(key, *, render, recipients=None, channels=None, digest=None, label=""):
    """Register (or, with the same key, replace: code reloads) a message kind; returns it."""
    if not key or not callable(render):
        raise ValueError("a message kind needs a key and a render callable")
    if recipients is not None and not callable(recipients):
        raise ValueError(f"recipients of {key!r} must be callable")
    if digest not in DIGEST_PERIODS:
        raise ValueError(f"digest of {key!r} must be one of {DIGEST_PERIODS}")
    kind = MessageKind(key=key, render=render, label=label or key, recipients=recipients,
                       channels=tuple(channels) if channels is not None else None, digest=digest)
    _kinds[key] = kind
    return kind


def unregister_message_kind(key):
    """For tests that register a kind of their own."""
    _kinds.pop(key, None)


def get_message_kind(key):
    try:
        return _kinds[key]
    except KeyError:
        raise LookupError(f"message kind {key!r} is not registered (register_message_kind)") from None


def message_kinds():
    return dict(_kinds)

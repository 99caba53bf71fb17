"""Delivery channels of the notification service.

In-app notifications are always on and are written in the same transaction that marks a
delivery sent, so they exist exactly once. Every other channel talks to the outside world
(SMTP today; SMS, WeCom and DingTalk robots later) and is listed in
``settings.NOTIFICATION_CHANNELS`` (dotted paths; default: email only). A channel gets the
rendered message and the users, picks the users it can reach (the email channel: an address
and ``email_notifications`` on) and raises on failure; the caller records what went out.
Recipients without an account (notifications/registry.py ``Recipient.bare``) name the
channel that reaches them; :meth:`Channel.send_to_addresses` delivers to such bare addresses
(the email channel: one message per address, so strangers never see each other).
"""

from dataclasses import dataclass, field

from django.conf import settings
from django.core.mail import EmailMultiAlternatives, get_connection
from django.utils.module_loading import import_string

DEFAULT_CHANNELS = ["notifications.channels.EmailChannel"]


@dataclass
class Message:
    """A rendered message, ready for any channel."""

    category: str
    subject: str
    text: str
    html: str = ""
    link: str = ""
    # Short body for in-app lists and chat robots.
    summary: str = ""
    # Mail headers, e.g. the delivery's unique key, so that mail logs can prove "exactly once".
    headers: dict = field(default_factory=dict)


class Channel:
    name = ""

    def reachable(self, users):
        """The users this channel can deliver to."""
        return list(users)

    def open(self):
        """Open a connection reused for a whole batch (optional)."""

    def close(self):
        """Close what :meth:`open` opened."""

    def send(self, message: Message, users) -> list[str]:
        """Deliver ``message`` to ``users``; return the addresses reached. Raise on failure."""
        raise NotImplementedError

    def refuse_address(self, address) -> str:
        """Why this channel will never send to ``address`` ("" when it may): checked before sending,
        so that a malformed address is logged as skipped instead of failing on every retry."""
        return ""

    def send_to_addresses(self, message: Message, addresses) -> list[str]:
        """Deliver ``message`` to bare addresses of this channel (no account); raise on failure."""
        raise NotImplementedError(f"the {self.name} channel cannot send to bare addresses")


class EmailChannel(Channel):
    """Email through Django's email framework: one message with text and HTML parts."""

    name = "email"

    def __init__(self):
        self.connection = None
        self._opened = False

    def reachable(self, users):
        return [u for u in users if u.email and u.email_notifications and u.is_active]

    def open(self):
        self.connection = get_connection(fail_silently=False)
        self._opened = False

    def _connect(self):
        # Opened on first use, inside the sender's per-message error handling (an unreachable
        # server fails that message, not the batch), then kept: without an explicit open() each
        # send_messages() of the SMTP backend would connect and log in again.
        if not self._opened:
            self.connection.open()
            self._opened = True

    def close(self):
        self._opened = False
        if self.connection is not None:
            try:
                self.connection.close()
            except Exception:  # a dead server must not hide the real error
                pass
            self.connection = None

    def send(self, message, users):
        # One message per organisation: colleagues see each other in To, other organisations never do.
        # A reminder always goes to one organisation, so it is one SMTP transaction.
        groups = {}
        for user in users:
            groups.setdefault((user.firm_id, user.agency_id), set()).add(user.email)
        reached = []
        if groups:
            self._connect()
        for addresses in groups.values():
            mail = EmailMultiAlternatives(
                subject=message.subject,
                body=message.text,
                from_email=settings.DEFAULT_FROM_EMAIL,
                to=sorted(addresses),
                connection=self.connection,
                headers=message.headers,
            )
            if message.html:
                mail.attach_alternative(message.html, "text/html")
            mail.send(fail_silently=False)
            reached += sorted(addresses)
        return reached

    def refuse_address(self, address):
        from django.core.exceptions import ValidationError
        from django.core.validators import validate_email

        try:
            validate_email(address)
        except ValidationError:
            return f"not an email address: {address}"
        return ""

    def send_to_addresses(self, message, addresses):
        reached = []
        if addresses:
            self._connect()
        for address in sorted(set(addresses)):
            mail = EmailMultiAlternatives(subject=message.subject, body=message.text,
                                          from_email=settings.DEFAULT_FROM_EMAIL, to=[address],
                                          connection=self.connection, headers=message.headers)
            if message.html:
                mail.attach_alternative(message.html, "text/html")
            mail.send(fail_silently=False)
            reached.append(address)
        return reached


def external_channels():
    paths = getattr(settings, "NOTIFICATION_CHANNELS", DEFAULT_CHANNELS)
    return [import_string(path)() for path in paths]


class RobotChannel(Channel):
    """Group chat robots (WeCom / DingTalk custom robots): a bare address is the robot's webhook
    URL; the message goes as plain text (subject, summary, link). Robots have no accounts, so
    this channel reaches no user. Opt in with
    ``NOTIFICATION_CHANNELS = [..., "notifications.channels.RobotChannel"]``; only https webhooks
    of the hosts in ``NOTIFICATION_ROBOT_HOSTS`` are called (default: WeCom's and DingTalk's)."""

    name = "robot"
    DEFAULT_HOSTS = ("qyapi.weixin.qq.com", "oapi.dingtalk.com")

    def reachable(self, users):
        return []

    def send(self, message, users):
        return []

    def refuse_address(self, address):
        import urllib.parse

        parts = urllib.parse.urlsplit(address)
        hosts = set(getattr(settings, "NOTIFICATION_ROBOT_HOSTS", self.DEFAULT_HOSTS))
        if parts.scheme != "https" or parts.hostname not in hosts:
            # Never call an arbitrary address someone typed in: that would be a request forgery.
            return f"robot webhook not allowed: {parts.scheme}://{parts.hostname}"
        return ""

    def send_to_addresses(self, message, addresses):
        import json
        import urllib.parse
        import urllib.request

        content = "\n".join(filter(None, [message.subject, message.summary,
                                          f"{settings.SITE_URL}{message.link}" if message.link else ""]))
        body = json.dumps({"msgtype": "text", "text": {"content": content}}).encode()
        reached = []
        for url in sorted(set(addresses)):
            refused = self.refuse_address(url)
            if refused:  # checked before sending too (outbox._targets); this is the last line of defence
                raise ValueError(refused)
            parts = urllib.parse.urlsplit(url)
            request = urllib.request.Request(url, data=body, headers={"Content-Type": "application/json"})
            with urllib.request.urlopen(request, timeout=getattr(settings, "EMAIL_TIMEOUT", 20)) as response:
                answer = json.loads(response.read() or b"{}")
            if answer.get("errcode", 0) != 0:  # both robots answer 200 with an error code
                raise RuntimeError(f"robot refused the message: {answer}")
            reached.append(parts.hostname)
        return reached

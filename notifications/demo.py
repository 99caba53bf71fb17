"""Demo data of the notification service: today's reminders and this week's overdue digest, so that the
bells in the portal and the admin show something after `make run`."""

import os

from django.test.utils import override_settings
from django.utils import timezone

from core.demo import register_demo_step

from . import services


def demo_reminders_step(command, **options):
    """The setup_demo step (core/demo.py). Safe to repeat: exactly once.

    setup_demo creates the demo accounts in its last step; reminders need their recipients
    first, so this step makes sure they exist (the same idempotent call, the same password).
    The demo's mail is discarded (the console backend would print hundreds of messages); the in-app
    notifications and the reminder log are real.
    """
    from accounts.demo import DEFAULT_DEMO_PASSWORD, ensure_demo_accounts

    ensure_demo_accounts(password=os.environ.get("DEMO_PASSWORD") or DEFAULT_DEMO_PASSWORD)
    today = timezone.localdate()
    with override_settings(EMAIL_BACKEND="django.core.mail.backends.dummy.EmailBackend"):
        reminders = services.sweep_reminders(today=today)
        digest = services.sweep_digest(today=today)
    command.stdout.write(
        f"Demo reminders for {today}: {reminders.sent} sent, {reminders.no_recipient} without recipients "
        f"(logged as such: only the demo accounts exist), {reminders.failed} failed, {reminders.skipped} skipped; "
        f"overdue digests: {digest.sent} "
        f"(mail discarded, in-app notifications kept)."
    )


register_demo_step(30, demo_reminders_step)

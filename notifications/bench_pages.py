"""The notifications' part of `manage.py bench_pages` (core/benchpages/registry.py): the firm user's in-app
notifications and their page; the outbox's admin list."""

from datetime import timedelta

from django.urls import reverse
from django.utils import timezone

from core.benchpages.registry import register_exemption, register_page, register_seed_step

NOTIFICATIONS = 300


def seed_notifications(ctx):
    """NOTIFICATIONS in-app notifications of the firm user, a third of them read, in bulk."""
    from .models import Notification

    now = timezone.now()
    user = ctx.users["firm"]
    Notification.objects.bulk_create([
        Notification(user=user, title=f"任务即将到期提醒 {i}", body="您有任务将于 3 天后到期，请及时提交材料。",
                     link="/portal/campaigns/", created_at=now - timedelta(hours=i),
                     read_at=now if i % 3 == 0 else None)
        for i in range(NOTIFICATIONS)
    ])


register_seed_step(50, seed_notifications, name="notifications.inapp")

register_page("portal.notifications", role="firm", pattern="notifications:list",
              url=lambda ctx: reverse("notifications:list"))
register_page("admin.outbox_changelist", role="superuser", kind="changelist",
              pattern="admin:notifications_outboxmessage_changelist",
              url=lambda ctx: reverse("admin:notifications_outboxmessage_changelist"))
register_exemption("notifications:read", "POST only: marks one notification read")
register_exemption("notifications:read_all", "POST only: marks every notification read")

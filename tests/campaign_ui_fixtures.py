"""Shared set-up of the campaign page tests (portal, admin, dashboard, exports).

``live`` is a published campaign of the world's city running around the real today, with
an estate task (text evidence), a firm task (photos) and a task due in a few days, so
that "overdue", "due in 7 days" and the rest are meaningful without freezing time.
"""

import datetime
import io

from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone

from campaigns.models import Obligation, PartyKind
from estates.models import Estate
from tests.campaign_factories import ActionFactory, CampaignFactory, TaskFactory, publish


class Live:
    pass


def make_live(world):
    today = timezone.localdate()
    live = Live()
    live.today = today
    live.campaign = CampaignFactory(issuing_agency=world.city, name="测试创建活动", year=today.year,
                                    start_date=today - datetime.timedelta(days=60),
                                    end_date=today + datetime.timedelta(days=120))
    live.action = ActionFactory(campaign=live.campaign, name="和谐关系促进行动")
    live.letter = TaskFactory(action=live.action, title="张贴致业主公开信", party_kind=PartyKind.ESTATE,
                              window_start=today - datetime.timedelta(days=30),
                              deadline=today - datetime.timedelta(days=2), evidence_kinds=["text"],
                              requirement="在小区公告栏张贴公开信并拍照留存。")
    live.box = TaskFactory(action=live.action, title="设置意见箱", party_kind=PartyKind.ESTATE,
                           window_start=today - datetime.timedelta(days=30),
                           deadline=today + datetime.timedelta(days=3), evidence_kinds=["photos"])
    live.firm_task = TaskFactory(action=live.action, title="企业自查报告", party_kind=PartyKind.FIRM,
                                 window_start=today - datetime.timedelta(days=30),
                                 deadline=today + datetime.timedelta(days=40), evidence_kinds=["text"])
    publish(live.campaign, user=world.city_user)
    return live


def obligation(task, estate=None, firm=None):
    if estate is not None:
        return Obligation.objects.get(task=task, estate=estate)
    return Obligation.objects.get(task=task, firm=firm)


def add_estates(world, n, *, firm=None):
    """n more estates of the world's firm in its district, in bulk (no signals)."""
    firm = firm or world.firm
    Estate.objects.bulk_create([
        Estate(code=f"BULK{i:05d}", name=f"批量小区{i}", district=world.district, street=world.street, firm=firm,
               category=2, year_built=2005, households=100)
        for i in range(n)
    ])


def png_bytes():
    from PIL import Image

    out = io.BytesIO()
    Image.new("RGB", (4, 4), (200, 30, 30)).save(out, "PNG")
    return out.getvalue()


def jpeg_bytes():
    from PIL import Image

    out = io.BytesIO()
    Image.new("RGB", (4, 4), (30, 30, 200)).save(out, "JPEG")
    return out.getvalue()


def real_photo(name="photo.jpg"):
    return SimpleUploadedFile(name, jpeg_bytes(), content_type="image/jpeg")


def real_pdf(name="report.pdf"):
    body = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"
    return SimpleUploadedFile(name, body, content_type="application/pdf")


def read_xlsx(response_or_bytes):
    from openpyxl import load_workbook

    data = response_or_bytes
    if hasattr(data, "streaming_content"):
        data = b"".join(data.streaming_content)
    elif hasattr(data, "content"):
        data = data.content
    wb = load_workbook(io.BytesIO(data), read_only=True)
    ws = wb.worksheets[0]
    return [list(r) for r in ws.iter_rows(values_only=True)]


def reminder_per_obligation(live, *, days_back=0):
    """One "before" reminder for every obligation, dated ``days_back`` to ``days_back + 3`` days before
    ``live.today`` in turn: the reminder log's rows (bulk, as the sweep writes them)."""
    from notifications.models import Reminder

    Reminder.objects.bulk_create([
        Reminder(obligation=o, campaign=o.campaign, kind=Reminder.Kind.BEFORE, due_date=o.due_date,
                 date=live.today - datetime.timedelta(days=days_back + i % 4))
        for i, o in enumerate(Obligation.objects.order_by("pk"))])

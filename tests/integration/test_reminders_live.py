"""Reminders end to end: real Redis, a real Celery worker process, a real SMTP server.

Run by `.ci/run` (PostgreSQL + Redis):
    DATABASE_URL=postgres://... REDIS_URL=redis://127.0.0.1:6379/15 pytest -m integration

The worker and the sweeps are separate processes working on the pytest test database (its
connection settings are read at run time), on a Celery queue of this test's own, and send mail
to an aiosmtpd server running in this process on a free port. What is asserted is what the SMTP
server received: every expected message exactly once.
"""

import datetime
import email
import email.policy
import os
import signal
import socket
import subprocess
import sys
import threading
import time
import uuid
from pathlib import Path
from urllib.parse import quote

import pytest
from django.db import connection

pytestmark = [
    pytest.mark.integration,
    pytest.mark.skipif(not os.environ.get("REDIS_URL"), reason="needs REDIS_URL (run by .ci/run)"),
]

BASE_DIR = Path(__file__).resolve().parents[2]
BIN = Path(sys.executable).parent
TODAY = datetime.date(2025, 6, 10)
WAIT = 90  # seconds: generous for a loaded 2-core CI machine


# --- SMTP ----------------------------------------------------------------------------------------


class Inbox:
    """The aiosmtpd handler: records every message it accepts."""

    def __init__(self):
        self.lock = threading.Lock()
        self.messages = []

    async def handle_DATA(self, server, session, envelope):
        parsed = email.message_from_bytes(envelope.content, policy=email.policy.default)
        with self.lock:
            self.messages.append(
                (str(parsed["X-Notification-Key"]), str(parsed["Subject"]), tuple(sorted(envelope.rcpt_tos)))
            )
        return "250 OK"

    def snapshot(self):
        with self.lock:
            return list(self.messages)


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class SMTPServer:
    def __init__(self, inbox, port):
        self.inbox, self.port, self.controller = inbox, port, None

    def start(self):
        from aiosmtpd.controller import Controller

        self.controller = Controller(self.inbox, hostname="127.0.0.1", port=self.port)
        self.controller.start()

    def stop(self):
        if self.controller is not None:
            self.controller.stop()
            self.controller = None


# --- processes -----------------------------------------------------------------------------------


def database_url():
    conf = connection.settings_dict
    if conf["ENGINE"] != "django.db.backends.postgresql":
        pytest.skip("the worker process needs a shared database server (PostgreSQL)")
    user = quote(conf["USER"] or "")
    password = f":{quote(conf['PASSWORD'])}" if conf.get("PASSWORD") else ""
    host = conf["HOST"] or "127.0.0.1"
    port = f":{conf['PORT']}" if conf.get("PORT") else ""
    return f"postgres://{user}{password}@{host}{port}/{conf['NAME']}"


@pytest.fixture
def live(transactional_db, tmp_path):
    """An SMTP server, the environment of our child processes, and a Celery worker."""
    inbox = Inbox()
    smtp = SMTPServer(inbox, free_port())
    smtp.start()
    queue = f"it-reminders-{uuid.uuid4().hex[:8]}"
    env = {
        **os.environ,
        "ENV_FILE": "/dev/null",
        "EMBEDDED": "1",
        "DEBUG": "0",
        "DATABASE_URL": database_url(),
        "REDIS_URL": os.environ["REDIS_URL"],
        "CELERY_TASK_DEFAULT_QUEUE": queue,
        "EMAIL_HOST": "127.0.0.1",
        "EMAIL_PORT": str(smtp.port),
        "EMAIL_BACKEND": "django.core.mail.backends.smtp.EmailBackend",
        "EMAIL_TIMEOUT": "5",
        "REMINDER_BATCH_SIZE": "3",  # several batches, so the two sweeps really compete
        # Celery's own retries come after the test; the *next sweep* must deliver what failed.
        "REMINDER_RETRY_BACKOFF": "600",
        "PYTHONUNBUFFERED": "1",
    }
    log_path = tmp_path / "worker.log"
    log = open(log_path, "wb")
    worker = subprocess.Popen(
        # `timeout` ends the worker even if this test process is killed before its cleanup runs.
        ["timeout", "--kill-after=10", str(WAIT * 5),
         str(BIN / "celery"), "-A", "config", "worker", "--pool=prefork", "-c", "2", "-Q", queue, "-l", "info",
         "-n", f"{queue}@%h", "--without-mingle", "--without-gossip", "--without-heartbeat"],
        cwd=BASE_DIR, env=env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True,
    )
    try:
        wait_for(lambda: b"ready." in log_path.read_bytes() or worker.poll() is not None, "the worker to start")
        assert worker.poll() is None, log_path.read_text(errors="replace")
        yield Live(inbox, smtp, env, log_path)
    finally:
        stop_process(worker)
        log.close()
        smtp.stop()
        _drop_queue(queue)
        connection.close()


def _drop_queue(queue):
    """Leave nothing behind in the shared Redis (e.g. a Celery retry scheduled for later)."""
    import redis

    client = redis.Redis.from_url(os.environ["REDIS_URL"])
    client.delete(queue)


def stop_process(proc, timeout=20):
    if proc.poll() is not None:
        return
    try:
        os.killpg(proc.pid, signal.SIGTERM)
        proc.wait(timeout=timeout)
    except (subprocess.TimeoutExpired, ProcessLookupError):
        try:
            os.killpg(proc.pid, signal.SIGKILL)
        except ProcessLookupError:
            pass
        proc.wait(timeout=10)


def wait_for(condition, what, timeout=WAIT):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():
            return
        time.sleep(0.2)
    raise AssertionError(f"timed out after {timeout}s waiting for {what}")


class Live:
    def __init__(self, inbox, smtp, env, log_path):
        self.inbox, self.smtp, self.env, self.log_path = inbox, smtp, env, log_path

    def sweeps(self, n):
        """Start n `manage.py send_reminders` processes at once and wait for all of them."""
        cmd = [sys.executable, "manage.py", "send_reminders", "--today", TODAY.isoformat(), "--no-digest"]
        procs = [subprocess.Popen(cmd, cwd=BASE_DIR, env=self.env, stdout=subprocess.PIPE,
                                  stderr=subprocess.STDOUT, start_new_session=True) for _ in range(n)]
        outputs = []
        try:
            for proc in procs:
                out, _ = proc.communicate(timeout=WAIT)
                outputs.append(out.decode(errors="replace"))
                assert proc.returncode == 0, out.decode(errors="replace")
        finally:
            for proc in procs:
                stop_process(proc)
        return outputs

    def worker_log(self):
        return self.log_path.read_text(errors="replace")[-5000:]


# --- data ----------------------------------------------------------------------------------------


def seed(world, estates, *, prefix):
    """One published campaign task; ``estates`` new estates of the world's firm, each with an
    obligation due today; returns the subjects the firm should receive."""
    from campaigns.models import Action, Campaign, Obligation, Task
    from tests import factories as f

    campaign = Campaign.objects.filter(name="集成测试活动").first() or Campaign.objects.create(
        name="集成测试活动", year=2025, issuing_agency=world.city, start_date=datetime.date(2025, 1, 1),
        end_date=datetime.date(2025, 12, 31), status=Campaign.Status.PUBLISHED,
    )
    action, _ = Action.objects.get_or_create(campaign=campaign, order=1, code="harmony",
                                             defaults={"name": "和谐关系促进行动"})
    order = Task.objects.filter(action=action).count() + 1
    task = Task.objects.create(
        action=action, order=order, code=f"{prefix}-task", title=f"{prefix}任务", party_kind="estate",
        window_start=datetime.date(2025, 1, 1), deadline=TODAY,
    )
    for i in range(estates):
        estate = f.EstateFactory(code=f"{prefix.upper()}{i:03d}", name=f"{prefix}小区{i}", street=world.street,
                                 firm=world.firm)
        Obligation.objects.create(
            campaign=campaign, task=task, estate=estate, reviewer=world.district, district=world.district,
            period_start=datetime.date(2025, 1, 1), period_end=TODAY, due_date=TODAY,
        )
    return task


def delivered_to_firm(inbox, world, title):
    return [m for m in inbox.snapshot() if title in m[1] and world.firm_user.email in m[2]]


# --- the test ------------------------------------------------------------------------------------


def test_concurrent_sweeps_deliver_once_and_a_stopped_smtp_server_loses_nothing(live, world):
    from notifications.models import Notification, Reminder

    # 1. Two sweeps at once over 10 due reminders (4 batches of 3): each email exactly once.
    seed(world, 10, prefix="first")
    outputs = live.sweeps(2)
    wait_for(lambda: len(delivered_to_firm(live.inbox, world, "first任务")) >= 10
             and not Reminder.objects.exclude(state="sent").exists(),
             f"10 deliveries; worker log:\n{live.worker_log()}\nsweeps:\n{outputs}")
    time.sleep(2)  # anything doubled would arrive now
    received = live.inbox.snapshot()
    assert len(received) == 10, received
    assert len({key for key, *_ in received}) == 10  # ten different reminders, none twice
    assert Reminder.objects.filter(state="sent").count() == 10
    assert Notification.objects.filter(user=world.firm_user).count() == 10
    claimed = sum(int(out.split("claimed ")[1].split(" ")[0]) for out in outputs)
    assert claimed == 10, outputs  # the two sweeps split the rows between them

    # 2. The SMTP server is down during a sweep: everything fails, nothing is lost.
    live.smtp.stop()
    seed(world, 4, prefix="second")
    live.sweeps(1)
    wait_for(lambda: Reminder.objects.filter(state="failed").count() == 4,
             f"4 failed reminders; worker log:\n{live.worker_log()}")
    assert len(live.inbox.snapshot()) == 10

    # 3. The server is back: the next sweep delivers the missed ones, once.
    live.smtp.start()
    live.sweeps(1)
    wait_for(lambda: len(live.inbox.snapshot()) >= 14 and not Reminder.objects.exclude(state="sent").exists(),
             f"14 deliveries; worker log:\n{live.worker_log()}")
    time.sleep(2)
    received = live.inbox.snapshot()
    assert len(received) == 14
    assert len({key for key, *_ in received}) == 14  # no reminder twice
    assert {r.attempts for r in Reminder.objects.filter(obligation__task__title="second任务")} == {2}

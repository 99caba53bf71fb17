"""Long jobs: eager run, progress, failures, access by organisation, expiry and cleanup."""

import threading
import time
from datetime import timedelta

import pytest
from django.http import Http404
from django.urls import reverse
from django.utils import timezone

from core import jobs
from core.jobs import JobFailed, JobFile, job_kind, job_start
from core.models import Job
from tests import factories as f

seen_progress = []
temp_paths = []


@job_kind("tests.echo")
def echo_job(job, progress):
    progress(50, "一半")
    seen_progress.append(Job.objects.values_list("progress", "message").get(pk=job.pk))
    return JobFile(job.params.get("name", "结果.txt"), job.params.get("text", "你好").encode())


@job_kind("tests.refuse")
def refuse_job(job, progress):
    raise JobFailed("所选小区不在您的管辖范围内。")


@job_kind("tests.crash")
def crash_job(job, progress):
    raise RuntimeError("boom")


@job_kind("tests.tempfile")
def tempfile_job(job, progress):
    path = jobs.temporary_path(".txt")
    path.write_text("大文件")
    temp_paths.append(path)
    return JobFile("大文件.txt", path)


@pytest.fixture
def start(django_capture_on_commit_callbacks):
    def _start(user, kind="tests.echo", **params):
        with django_capture_on_commit_callbacks(execute=True):
            job = job_start(kind=kind, user=user, params=params, title="测试任务")
        job.refresh_from_db()
        return job

    return _start


def test_job_runs_in_process_without_broker(world, start, settings):
    assert settings.CELERY_TASK_ALWAYS_EAGER
    job = start(world.firm_user, text="月湖花园")
    assert job.state == Job.State.DONE
    assert job.progress == 100
    assert job.result.read() == "月湖花园".encode()


def test_job_is_not_queued_before_commit(world, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        job = job_start(kind="tests.echo", user=world.firm_user, params={}, title="x")
    assert len(callbacks) == 1
    assert Job.objects.get(pk=job.pk).state == Job.State.PENDING


def test_job_belongs_to_the_users_organisation(world, start):
    # A generic key (core knows no registry model): "<app_label>.<model>:<pk>" of the user's organisation.
    assert start(world.firm_user).organisation == f"estates.propertyfirm:{world.firm.pk}"
    assert start(world.district_user).organisation == f"estates.agency:{world.district.pk}"
    assert start(f.UserFactory(is_superuser=True)).organisation == ""


def test_the_users_organisation_key_costs_no_query(world, django_assert_num_queries):
    user = type(world.firm_user).objects.get(pk=world.firm_user.pk)
    with django_assert_num_queries(0):
        assert user.organisation_key == f"estates.propertyfirm:{world.firm.pk}"
        assert jobs.job_visible_q(user) is not None


def test_a_colleague_of_the_organisation_sees_the_job_and_nobody_else(world, start):
    job = start(world.firm_user)
    colleague = f.UserFactory(firm=world.firm)
    assert jobs.job_get(user=colleague, pk=job.pk) == job
    for outsider in (world.other_firm_user, world.district_user):
        with pytest.raises(Http404):
            jobs.job_get(user=outsider, pk=job.pk)


def test_progress_is_written_while_the_job_runs(world, start):
    seen_progress.clear()
    start(world.firm_user)
    assert seen_progress == [(50, "一半")]


def test_progress_step_maps_onto_a_range(world):
    job = Job.objects.create(kind="tests.echo", owner=world.firm_user)
    jobs.Progress(job).step(1, 4, "x", start=20, end=60)
    assert Job.objects.get(pk=job.pk).progress == 30


def test_file_expires_after_the_configured_hours(world, start, settings):
    settings.JOB_FILE_TTL_HOURS = 5
    job = start(world.firm_user)
    assert abs((job.expires_at - timezone.now()) - timedelta(hours=5)) < timedelta(minutes=1)


def test_refused_job_stores_its_chinese_message(world, start):
    job = start(world.firm_user, kind="tests.refuse")
    assert job.state == Job.State.FAILED
    assert job.message == "所选小区不在您的管辖范围内。"


def test_crashed_job_stores_a_generic_chinese_message(world, start):
    job = start(world.firm_user, kind="tests.crash")
    assert job.state == Job.State.FAILED
    assert "系统内部错误" in job.message and "boom" not in job.message


def test_temporary_file_result_is_moved_into_storage(world, start):
    temp_paths.clear()
    job = start(world.firm_user, kind="tests.tempfile")
    assert job.result.read() == "大文件".encode()
    assert not temp_paths[0].exists()


def test_a_redelivered_task_does_not_run_the_job_again(world, start):
    seen_progress.clear()
    job = start(world.firm_user)
    jobs.job_run(job.pk)
    assert len(seen_progress) == 1


def test_unknown_kind_is_refused_at_start(world):
    with pytest.raises(LookupError):
        job_start(kind="tests.nope", user=world.firm_user, params={}, title="")


def test_owner_sees_progress_page_and_status(world, start, client):
    job = start(world.firm_user)
    client.force_login(world.firm_user)
    page = client.get(reverse("jobs:detail", args=[job.pk]))
    assert page.status_code == 200 and "测试任务" in page.content.decode()
    status = client.get(reverse("jobs:status", args=[job.pk])).json()
    assert status["done"] and status["progress"] == 100
    assert status["download_url"] == reverse("jobs:download", args=[job.pk])


def test_colleague_of_the_same_firm_downloads(world, start, client):
    job = start(world.firm_user, text="内容")
    client.force_login(f.UserFactory(firm=world.firm))
    response = client.get(reverse("jobs:download", args=[job.pk]))
    assert response.status_code == 200
    assert b"".join(response.streaming_content) == "内容".encode()


def test_colleague_of_the_same_agency_downloads(world, start, client):
    job = start(world.district_user)
    client.force_login(f.UserFactory(agency=world.district))
    assert client.get(reverse("jobs:download", args=[job.pk])).status_code == 200


@pytest.mark.parametrize("name", ["jobs:detail", "jobs:status", "jobs:download"])
def test_another_firm_gets_404(world, start, client, name):
    job = start(world.firm_user)
    client.force_login(world.other_firm_user)
    assert client.get(reverse(name, args=[job.pk])).status_code == 404


def test_supervising_agency_of_the_firm_gets_404_for_the_firms_job(world, start, client):
    job = start(world.firm_user)
    client.force_login(world.district_user)
    assert client.get(reverse("jobs:download", args=[job.pk])).status_code == 404


def test_expired_file_answers_410_with_a_clear_page(world, start, client):
    job = start(world.firm_user)
    Job.objects.filter(pk=job.pk).update(expires_at=timezone.now() - timedelta(minutes=1))
    client.force_login(world.firm_user)
    response = client.get(reverse("jobs:download", args=[job.pk]))
    assert response.status_code == 410
    assert "文件已过期" in response.content.decode()


def test_cleanup_deletes_expired_files_only(world, start):
    old = start(world.firm_user)
    fresh = start(world.firm_user)
    Job.objects.filter(pk=old.pk).update(expires_at=timezone.now() - timedelta(hours=1))
    path = old.result.path
    assert jobs.job_cleanup_expired() == 1
    old.refresh_from_db()
    fresh.refresh_from_db()
    assert not old.result and not jobs.Path(path).exists()
    assert fresh.result


def test_cleanup_is_on_the_beat_schedule(settings):
    tasks = {entry["task"] for entry in settings.CELERY_BEAT_SCHEDULE.values()}
    assert "core.cleanup_expired_jobs" in tasks


def test_pending_job_download_redirects_to_progress(world, client):
    job = Job.objects.create(kind="tests.echo", owner=world.firm_user,
                             organisation=world.firm_user.organisation_key)
    client.force_login(world.firm_user)
    response = client.get(reverse("jobs:download", args=[job.pk]))
    assert response.status_code == 302 and response.url == reverse("jobs:detail", args=[job.pk])


def test_a_job_left_running_by_a_dead_worker_is_taken_again(world):
    job = Job.objects.create(kind="tests.echo", owner=world.firm_user, state=Job.State.RUNNING,
                             started_at=timezone.now() - jobs.JOB_LEASE - timedelta(minutes=1))
    assert jobs.job_run(job.pk).state == Job.State.DONE


def test_a_running_job_inside_its_lease_is_not_run_twice(world):
    job = Job.objects.create(kind="tests.echo", owner=world.firm_user, state=Job.State.RUNNING,
                             started_at=timezone.now())
    assert jobs.job_run(job.pk).state == Job.State.RUNNING


def test_cleanup_closes_jobs_abandoned_past_the_lease(world):
    job = Job.objects.create(kind="tests.echo", owner=world.firm_user, state=Job.State.RUNNING,
                             started_at=timezone.now() - jobs.JOB_LEASE - timedelta(minutes=1))
    jobs.job_cleanup_expired()
    job.refresh_from_db()
    assert job.state == Job.State.FAILED and "任务中断" in job.message


def test_bureau_user_sees_the_progress_page_outside_the_portal(world, start, client):
    job = start(world.district_user)
    client.force_login(world.district_user)
    page = client.get(reverse("jobs:detail", args=[job.pk])).content.decode()
    assert "返回管理后台" in page and 'id="job-bar"' in page


def test_status_of_a_failed_job_carries_its_message(world, start, client):
    job = start(world.firm_user, kind="tests.refuse")
    client.force_login(world.firm_user)
    status = client.get(reverse("jobs:status", args=[job.pk])).json()
    assert status["failed"] and status["message"] == "所选小区不在您的管辖范围内。" and status["download_url"] == ""


# --- the embedded default: a background thread instead of an eager run inside the request ----------

slow_job_waiting = threading.Event()
release_slow_job = threading.Event()


@job_kind("tests.slow")
def slow_job(job, progress):
    progress(10, "开始")
    slow_job_waiting.set()
    if not release_slow_job.wait(20):
        raise JobFailed("测试未放行")
    progress(90, "快好了")
    return JobFile("慢.txt", "完成".encode())


@pytest.mark.django_db(transaction=True)  # the thread has its own connection: it sees committed rows only
def test_without_a_broker_a_job_runs_in_a_thread_and_the_request_returns_first(client, settings):
    settings.JOBS_IN_THREADS = True
    assert settings.CELERY_TASK_ALWAYS_EAGER  # no broker
    user = f.UserFactory(firm=f.FirmFactory())
    slow_job_waiting.clear()
    release_slow_job.clear()
    started = time.monotonic()
    job = job_start(kind="tests.slow", user=user, params={}, title="慢任务")  # autocommit: queued at once
    assert time.monotonic() - started < 5
    # The tests' SQLite is one shared in-memory database, whose table locks do not wait: touch it from
    # this thread only while the job's thread sits idle (waiting to be released), never at the same time.
    assert slow_job_waiting.wait(20)
    job.refresh_from_db()
    assert job.state == Job.State.RUNNING and job.progress == 10  # job_start returned; the job is still running
    client.force_login(user)
    page = client.get(reverse("jobs:detail", args=[job.pk]))
    assert page.status_code == 200 and 'id="job-progress"' in page.content.decode()
    assert "progress-bar-animated" in page.content.decode()
    runner = next(t for t in threading.enumerate() if t.name == f"job-{job.pk}")
    release_slow_job.set()
    runner.join(20)
    assert not runner.is_alive()
    job.refresh_from_db()
    assert job.state == Job.State.DONE, job.message
    assert job.result.read() == "完成".encode()
    assert client.get(reverse("jobs:status", args=[job.pk])).json()["done"]


def test_tests_keep_jobs_eager(settings):
    # conftest.py turns the thread runner off so that a job is done when job_start returns.
    assert settings.JOBS_IN_THREADS is False


def _locked_for(times, monkeypatch):
    """The job row's UPDATE answers "database table is locked" ``times`` times, then works."""
    from django.db import OperationalError
    from django.db.models import QuerySet

    real_update = QuerySet.update
    calls = {"locked": 0}

    def update(self, **fields):
        if self.model is Job and calls["locked"] < times:
            calls["locked"] += 1
            raise OperationalError("database table is locked: core_job")
        return real_update(self, **fields)

    monkeypatch.setattr(QuerySet, "update", update)
    monkeypatch.setattr(jobs.time, "sleep", lambda seconds: None)
    return calls


def test_a_job_row_locked_for_a_moment_is_written_once_the_lock_is_gone(world, start, monkeypatch):
    """SQLite's shared cache answers "table is locked" at once while a page reads the row: the runner retries."""
    calls = _locked_for(5, monkeypatch)
    job = start(world.firm_user, text="月湖花园")
    assert calls["locked"] == 5
    assert job.state == Job.State.DONE and job.progress == 100


def test_progress_that_cannot_be_stored_does_not_fail_the_job(world, monkeypatch):
    job = Job.objects.create(kind="tests.echo", owner=world.firm_user, params={})
    progress = jobs.Progress(job)
    _locked_for(1000, monkeypatch)
    progress(40, "四成")  # logged, not raised
    monkeypatch.undo()
    progress(40, "四成")  # not taken as already stored: written now
    job.refresh_from_db()
    assert (job.progress, job.message) == (40, "四成")


def test_other_database_errors_are_not_retried(world, monkeypatch):
    from django.db import OperationalError
    from django.db.models import QuerySet

    def update(self, **fields):
        raise OperationalError("no such table: core_job")

    monkeypatch.setattr(QuerySet, "update", update)
    with pytest.raises(OperationalError):
        jobs._update_job(1, progress=1)

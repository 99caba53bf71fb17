"""The counting logic of ``bench_suggestions`` (suggestions/benchload/), without timing anything: the
clients against a tiny local server, the access-log count and the reconciliation of the three counts."""

import threading
import uuid
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs

import pytest

from suggestions.benchload import client, run

LOG_LINES = """\
127.0.0.1 - - [02/Dec/2026:09:05:47 +0800] "GET /e/BL00006/suggest/ HTTP/1.1" 200 8097 "-" "bench"
127.0.0.1 - - [02/Dec/2026:09:05:55 +0800] "POST /e/YZ00022/suggest/ HTTP/1.1" 302 0 "https://x/" "bench"
127.0.0.1 - - [02/Dec/2026:09:05:55 +0800] "POST /e/YZ00022/suggest/ HTTP/1.1" 200 8595 "https://x/" "bench"
127.0.0.1 - - [02/Dec/2026:09:05:56 +0800] "POST /e/JB-45/suggest/ HTTP/1.1" 302 0 "https://x/" "bench"
127.0.0.1 - - [02/Dec/2026:09:05:56 +0800] "POST /e/JB00045/suggest/extra HTTP/1.1" 302 0 "https://x/" "bench"
127.0.0.1 - - [02/Dec/2026:09:05:57 +0800] "POST /submit/ HTTP/1.1" 302 0 "https://x/" "bench"
[2026-12-02 09:05:58 +0800] [123] [WARNING] a worker line, not an access line
"""


def test_the_access_log_counts_only_the_method_path_and_status_asked_for():
    count = client.count_access_log
    assert count(LOG_LINES, method="POST", path_pattern=run.FORM_PATH.pattern, status=302) == 2
    assert count(LOG_LINES, method="POST", path_pattern=run.FORM_PATH.pattern, status=200) == 1
    assert count(LOG_LINES, method="GET", path_pattern=run.FORM_PATH.pattern, status=200) == 1
    assert count(LOG_LINES, method="POST", path_pattern=run.FLOOR_PATH, status=302) == 1


def test_hidden_fields_are_read_from_the_form():
    html = ('<form><input type="hidden" name="csrfmiddlewaretoken" value="abc&amp;1">'
            "<input type='hidden' name=ts value=42><input type=\"text\" name=\"name\" value=\"x\">"
            '<input name="website" type="hidden"></form>')
    assert client.hidden_fields(html) == {"csrfmiddlewaretoken": "abc&1", "ts": "42", "website": ""}


def texts(*markers):
    return [f"{run.TEXT}[{m}]" for m in markers]


@pytest.mark.parametrize(("accepted", "stored", "log", "ok", "problem"), [
    (["p1-000000", "p1-000001"], texts("p1-000000", "p1-000001"), 2, True, None),
    (["p1-000000", "p1-000001"], texts("p1-000000"), 1, False, "lost_count"),
    (["p1-000000"], texts("p1-000000", "p1-000000"), 2, False, "doubled_count"),
    (["p1-000000"], texts("p1-000000", "p1-000001"), 2, False, "unseen_count"),
    (["p1-000000"], texts("p1-000000"), 2, False, None),  # the log saw one more accepted POST than the rows
    (["p1-000000"], texts("p1-000000") + ["a row without a marker"], 1, False, None),
])
def test_reconcile_wants_every_accepted_submission_stored_and_logged_once(accepted, stored, log, ok, problem):
    result = run.reconcile(accepted=accepted, stored_texts=stored, log_count=log)
    assert result["ok"] is ok, result
    if problem:
        assert result[problem] == 1, result


class FormServer(ThreadingHTTPServer):
    """A form as Django serves it: GET sets a CSRF cookie and puts its token in a hidden field; POST
    without the cookie and the same token is a 403, otherwise the row is stored and the answer is a 302."""

    daemon_threads = True

    def __init__(self):
        super().__init__(("127.0.0.1", 0), Handler)
        self.rows, self.lock, self.fail_every = [], threading.Lock(), 0


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def log_message(self, *args):
        pass

    def _send(self, status, body=b"", headers=()):
        self.send_response(status)
        for key, value in headers:
            self.send_header(key, value)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def do_GET(self):
        token = uuid.uuid4().hex
        body = f'<form method="post"><input type="hidden" name="csrfmiddlewaretoken" value="{token}"></form>'.encode()
        self._send(200, body, [("Set-Cookie", f"csrftoken={token}; Path=/; Secure; SameSite=Lax")])

    def do_POST(self):
        data = parse_qs(self.rfile.read(int(self.headers["Content-Length"])).decode())
        cookie = dict(part.strip().split("=", 1) for part in self.headers.get("Cookie", "").split(";") if "=" in part)
        if cookie.get("csrftoken") != data["csrfmiddlewaretoken"][0] or not self.headers.get("Origin"):
            return self._send(403, b"CSRF")
        with self.server.lock:
            if self.server.fail_every and (len(self.server.rows) + 1) % self.server.fail_every == 0:
                self.server.rows.append("refused")
                return self._send(200, b"form again")
            self.server.rows.append(data["text"][0])
        self._send(302, headers=[("Location", "/done/")])


@pytest.fixture
def server():
    srv = FormServer()
    thread = threading.Thread(target=srv.serve_forever, daemon=True)
    thread.start()
    yield srv
    srv.shutdown()
    srv.server_close()


def test_clients_submit_exactly_the_total_each_with_its_own_cookies(server):
    outcome = client.run(host="127.0.0.1", port=server.server_address[1], paths=["/e/A/suggest/", "/e/B/suggest/"],
                         total=60, clients=7, fields=run.portal_fields, tag="p1", timeout=10)
    assert len(outcome.accepted) == 60 and not outcome.refused
    assert len(outcome.gets) == len(outcome.posts) == 60 and all(t.status for t in outcome.gets + outcome.posts)
    result = run.reconcile(accepted=[m.strip("[]") for m in outcome.accepted], stored_texts=server.rows, log_count=60)
    assert result["ok"], result
    summary = run.summary(outcome)
    assert summary["accepted"] == 60 and summary["post"]["p95"] is not None and summary["statuses"] == {"302": 60}


def test_a_refused_submission_is_counted_as_refused_not_accepted(server):
    server.fail_every = 5
    outcome = client.run(host="127.0.0.1", port=server.server_address[1], paths=["/f/"], total=20, clients=3,
                         fields=run.floor_fields, tag="f1", timeout=10)
    assert (len(outcome.accepted), len(outcome.refused)) == (16, 4)
    assert all(status == 200 for _marker, status, _body in outcome.refused)


def test_portal_fields_are_a_valid_form():
    import random

    from suggestions.models import Category
    from suggestions.privacy import normalize_mobile

    assert set(run.CATEGORIES) == set(Category.values)
    rng = random.Random(1)
    for i in range(200):
        fields = run.portal_fields(f"[p1-{i:06d}]", rng)
        assert normalize_mobile(fields["mobile"]) == fields["mobile"]
        assert fields["category"] in run.CATEGORIES and fields["website"] == ""
        assert run.MARKER.findall(fields["text"]) == [f"p1-{i:06d}"]

"""The load generator of ``bench_suggestions``: clients that each fill a form as a browser does.

A submission is two requests, both timed: GET of the form (its CSRF cookie and hidden fields are
read from the answer) and POST of the filled form with that client's own cookies, expecting a 302
(the form's redirect to its receipt or tracking page); the redirect is not followed. ``clients``
threads share a counter of ``total`` submissions and stop when it is used up, so exactly ``total``
are attempted whatever the speed. Each POST carries a unique marker in its text, so the database
can be checked for every accepted submission exactly once.

Why threads and ``http.client`` and not locust: the same reasons as core/benchpages/runner.py (gevent's
monkey-patching in a process that already runs Django and psycopg2; its rounded statistics) — and a
submission here is a two-step exchange with a per-client cookie jar that a plain loop states in a
few lines. gunicorn's sync workers close each connection after the answer, so a client connects once
per request, as a browser behind a non-pooling proxy would; when a server keeps the connection open,
it is reused (``http.client`` keep-alive).

Counting against the server's own access log (../shared/FLOORS.md): :func:`count_access_log` reads
gunicorn's access lines, so a request still in flight when a client gave up is counted as the
server saw it.
"""

import http.client
import random
import re
import threading
import time
from dataclasses import dataclass, field
from html import unescape
from http.cookies import SimpleCookie
from urllib.parse import urlencode

_INPUT = re.compile(r"<input\b[^>]*>", re.IGNORECASE)
_ATTR = re.compile(r"""([\w:-]+)\s*=\s*("([^"]*)"|'([^']*)'|([^\s>]+))""")


def hidden_fields(html):
    """{name: value} of the hidden inputs of a page (the CSRF token among them)."""
    found = {}
    for tag in _INPUT.findall(html):
        attrs = {m.group(1).lower(): unescape(m.group(3) or m.group(4) or m.group(5) or "")
                 for m in _ATTR.finditer(tag)}
        if attrs.get("type", "").lower() == "hidden" and attrs.get("name"):
            found[attrs["name"]] = attrs.get("value", "")
    return found


@dataclass
class Timing:
    seconds: float
    status: int  # 0: no answer


@dataclass
class Outcome:
    """What one run of clients saw."""

    gets: list = field(default_factory=list)
    posts: list = field(default_factory=list)
    accepted: list = field(default_factory=list)  # markers of the POSTs answered with the expected status
    refused: list = field(default_factory=list)  # (marker, status, start of the body)
    seconds: float = 0.0

    @property
    def rate(self):
        return len(self.accepted) / self.seconds if self.seconds else 0.0


class Browser:
    """One client: its own cookie jar and connection to one server."""

    def __init__(self, host, port, *, timeout=30.0, forwarded_for="", user_agent="bench_suggestions"):
        self.host, self.port, self.timeout = host, port, timeout
        self.cookies = {}
        self.connection = None
        self.headers = {"Host": f"{host}:{port}", "X-Forwarded-Proto": "https", "Accept-Language": "zh-hans",
                        "User-Agent": user_agent}
        if forwarded_for:  # the sender's address, as the TLS proxy in front of gunicorn would pass it
            self.headers["X-Forwarded-For"] = forwarded_for

    def request(self, method, path, body=None, headers=None):
        """(status, body text, seconds); status 0 when nothing came back."""
        all_headers = dict(self.headers, **(headers or {}))
        if self.cookies:
            all_headers["Cookie"] = "; ".join(f"{k}={v}" for k, v in self.cookies.items())
        started = time.perf_counter()
        for attempt in (1, 2):
            if self.connection is None:
                self.connection = http.client.HTTPConnection(self.host, self.port, timeout=self.timeout)
            try:
                self.connection.request(method, path, body=body, headers=all_headers)
                response = self.connection.getresponse()
                text = response.read().decode("utf-8", "replace")
            except (http.client.RemoteDisconnected, BrokenPipeError, ConnectionResetError):
                # A kept-alive connection the server closed meanwhile: a GET is tried once more on a new
                # one; a POST never is (it is counted as failed), so nothing is ever sent twice.
                self._close()
                if attempt == 1 and method == "GET":
                    started = time.perf_counter()
                    continue
                return 0, "", time.perf_counter() - started
            except (OSError, http.client.HTTPException):
                self._close()
                return 0, "", time.perf_counter() - started
            elapsed = time.perf_counter() - started
            for header in response.headers.get_all("Set-Cookie") or []:
                jar = SimpleCookie()
                jar.load(header)
                for name, morsel in jar.items():
                    self.cookies[name] = morsel.value
            if response.will_close:
                self._close()
            return response.status, text, elapsed
        return 0, "", time.perf_counter() - started

    def _close(self):
        if self.connection is not None:
            self.connection.close()
            self.connection = None

    def submit(self, path, fields, *, expect=302):
        """GET the form, POST it filled in with its hidden fields: (get Timing, post Timing, accepted, body)."""
        status, html, seconds = self.request("GET", path)
        got = Timing(seconds, status)
        if status != 200:
            return got, None, False, html[:200]
        data = {**hidden_fields(html), **fields}
        origin = f"https://{self.host}:{self.port}"
        status, body, seconds = self.request(
            "POST", path, body=urlencode(data, doseq=True),
            headers={"Content-Type": "application/x-www-form-urlencoded", "Origin": origin,
                     "Referer": origin + path})
        return got, Timing(seconds, status), status == expect, body[:200]


def run(*, host, port, paths, total, clients, fields, expect=302, timeout=30.0, seed=2011, tag="s"):
    """``clients`` threads submit ``total`` forms between them, each to a random one of ``paths``.

    ``fields(marker, rng)`` gives the filled-in fields of one submission, its text holding ``marker``
    (unique in the run). Returns an :class:`Outcome`.
    """
    outcome = Outcome()
    lock = threading.Lock()
    counter = iter(range(total))
    start = threading.Event()

    def next_number():
        with lock:
            return next(counter, None)

    def client(index):
        rng = random.Random(f"{seed}-{tag}-{index}")
        browser = Browser(host, port, timeout=timeout, forwarded_for=f"198.18.{index // 250}.{index % 250 + 1}")
        gets, posts, accepted, refused = [], [], [], []
        start.wait()
        while (number := next_number()) is not None:
            marker = f"[{tag}-{number:06d}]"
            got, posted, ok, body = browser.submit(rng.choice(paths), fields(marker, rng), expect=expect)
            gets.append(got)
            if posted is not None:
                posts.append(posted)
            (accepted if ok else refused).append(marker if ok else (marker, (posted or got).status, body))
        browser._close()
        with lock:
            outcome.gets.extend(gets)
            outcome.posts.extend(posts)
            outcome.accepted.extend(accepted)
            outcome.refused.extend(refused)

    threads = [threading.Thread(target=client, args=(i,), daemon=True) for i in range(clients)]
    for thread in threads:
        thread.start()
    t0 = time.perf_counter()
    start.set()
    for thread in threads:
        thread.join()
    outcome.seconds = time.perf_counter() - t0
    return outcome


_ACCESS = re.compile(r'"(?P<method>[A-Z]+) (?P<path>\S+) HTTP/[\d.]+" (?P<status>\d{3}) ')


def count_access_log(text, *, method, path_pattern, status):
    """How many lines of gunicorn's access log (its default format) record ``method`` on a path
    matching ``path_pattern`` (a regular expression, matched whole) answered with ``status``."""
    path_re = re.compile(path_pattern)
    return sum(1 for m in _ACCESS.finditer(text)
               if m["method"] == method and m["status"] == str(status) and path_re.fullmatch(m["path"]))

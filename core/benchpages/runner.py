"""A bounded load generator: N client threads requesting one address for a fixed time.

Why not locust: importing locust monkey-patches the whole process with gevent (sockets, threads, ``ssl``,
``subprocess``) and must come before everything else to do it safely, which a Django management command that
has already set up Django, psycopg2 and the seeding cannot promise; its statistics round response times above
100 ms to two significant figures and keep them in buckets; and the A B A B alternation means starting and
stopping its runner dozens of times per run. What this module needs is small: threads (the clients wait on
sockets, so the GIL is not the limit at these rates), one ``http.client`` connection per client, each request's
own latency kept, and a hard stop — a slice ends at its deadline, a request still unanswered after ``timeout``
seconds is a timeout, and the slice's requests all finish before the next slice starts, so A and B never overlap.

gunicorn's sync workers close the connection after each answer, so a client connects once per request, as a
browser behind a proxy that does not pool would.
"""

import http.client
import threading
import time

from .stats import Sample


class Target:
    """An address on a local server, with the cookies and headers of one logged-in session."""

    def __init__(self, *, host, port, path, cookies=None, expect=200):
        self.host, self.port, self.path, self.expect = host, port, path, expect
        # The TLS proxy of production says https (config.settings SECURE_PROXY_SSL_HEADER, trusted from loopback by
        # gunicorn's forwarded_allow_ips); without it SECURE_SSL_REDIRECT would answer every request with a 301.
        self.headers = {"Host": f"{host}:{port}", "X-Forwarded-Proto": "https", "Accept-Language": "zh-hans",
                        "User-Agent": "bench_pages"}
        if cookies:
            self.headers["Cookie"] = "; ".join(f"{k}={v}" for k, v in cookies.items())

    def __repr__(self):
        return f"http://{self.host}:{self.port}{self.path}"


def fetch(target, *, timeout=10.0, connection=None):
    """One GET of the target: (Sample, body bytes, connection to reuse or None)."""
    conn = connection or http.client.HTTPConnection(target.host, target.port, timeout=timeout)
    started = time.perf_counter()
    try:
        conn.request("GET", target.path, headers=target.headers)
        response = conn.getresponse()
        body = response.read()
    except TimeoutError:
        conn.close()
        return Sample(seconds=time.perf_counter() - started, status=0, timeout=True, ok=False), b"", None
    except (OSError, http.client.HTTPException):
        conn.close()
        return Sample(seconds=time.perf_counter() - started, status=0, ok=False), b"", None
    elapsed = time.perf_counter() - started
    keep = None if response.will_close else conn
    if keep is None:
        conn.close()
    return Sample(seconds=elapsed, status=response.status, ok=response.status == target.expect), body, keep


def load(target, *, clients, duration, timeout=10.0):
    """``clients`` threads GET ``target`` in a loop for ``duration`` seconds; returns (samples, wall seconds).

    A request started before the deadline is waited for (up to ``timeout``) and counted; none starts after it.
    """
    samples = []
    lock = threading.Lock()
    start = threading.Event()
    deadline = [0.0]

    def client():
        mine = []
        connection = None
        start.wait()
        while time.perf_counter() < deadline[0]:
            sample, _body, connection = fetch(target, timeout=timeout, connection=connection)
            mine.append(sample)
        if connection is not None:
            connection.close()
        with lock:
            samples.extend(mine)

    threads = [threading.Thread(target=client, daemon=True) for _ in range(clients)]
    for thread in threads:
        thread.start()
    t0 = time.perf_counter()
    deadline[0] = t0 + duration
    start.set()
    for thread in threads:
        thread.join(duration + timeout + 5)
    return samples, time.perf_counter() - t0

"""Gunicorn settings for production: `gunicorn -c config/gunicorn.py config.wsgi`.

Every value can be changed from the environment without editing this file.
"""

import multiprocessing
import os

bind = f"{os.environ.get('BIND_ADDRESS', '0.0.0.0')}:{os.environ.get('PORT', '8000')}"
# Sync workers: the portal is database-bound and renders long jobs (PDF, Excel) off the request in Celery.
workers = int(os.environ.get("WEB_CONCURRENCY", multiprocessing.cpu_count() * 2 + 1))
timeout = int(os.environ.get("GUNICORN_TIMEOUT", "60"))
graceful_timeout = 30
# Recycle workers now and then so that memory held by large uploads or exports is given back.
max_requests = int(os.environ.get("GUNICORN_MAX_REQUESTS", "2000"))
max_requests_jitter = int(os.environ.get("GUNICORN_MAX_REQUESTS_JITTER", "200"))
# The app (Django, every module, the compiled templates: config/wsgi.py) is loaded once in the master and
# workers fork from it. A recycled worker is then serving within milliseconds instead of spending 1-2 s of CPU
# importing the portal while the other workers carry its load (bench_pages saw 2-3 s requests at each recycle),
# and the workers share that memory. Code changes need a restart, not a HUP: GUNICORN_PRELOAD=0 turns it off.
preload_app = os.environ.get("GUNICORN_PRELOAD", "1") != "0"
# The access log is what load tests count against (../shared/FLOORS.md); both logs go to stdout/stderr.
accesslog = "-"
errorlog = "-"
loglevel = os.environ.get("GUNICORN_LOG_LEVEL", "info")
# The TLS proxy in front sets X-Forwarded-Proto; Django trusts it through SECURE_PROXY_SSL_HEADER.
forwarded_allow_ips = os.environ.get("FORWARDED_ALLOW_IPS", "127.0.0.1,::1")
# The heartbeat file lives in memory where available (container overlay filesystems are slow to fsync).
worker_tmp_dir = "/dev/shm" if os.path.isdir("/dev/shm") else None
# No control socket: it would be written to $HOME, which the container user cannot write.
control_socket_disable = True


# --- Recycling a worker (max_requests) without stalling the requests behind it ---------------------------------
# Measured on a portal page with one worker recycled every 100-300 requests (2026-12-03): the request that met a
# recycled worker waited 390-405 ms (the page takes 6.5 ms). Two costs, both of the fork:
# - The old worker's exit: Python's finalisation walked and freed the whole heap it had inherited from the master,
#   copying each page it touched (copy-on-write), ~280 ms while the new worker could not start.
# - The new worker's first collection walked the same inherited objects (75 ms), copying their pages again.
# gc.freeze() in the master before each fork moves what the preloaded portal holds (core/warmup.py) out of the
# collector's sight; a worker that ends normally (SystemExit 0: max_requests, a graceful stop) flushes its logs,
# closes its database connections and leaves with os._exit. Together: 45-50 ms, as on a worker's very first
# request. A worker that fails to boot keeps its exit code: the arbiter stops on it.


def pre_fork(server, worker):
    import gc

    gc.freeze()


def worker_exit(server, worker):
    import logging
    import sys

    leaving = sys.exc_info()[1]
    if not isinstance(leaving, SystemExit) or leaving.code not in (0, None):
        return
    from django.db import connections

    connections.close_all()
    logging.shutdown()  # the access log's last lines (the load benchmarks count them)
    sys.stdout.flush()
    sys.stderr.flush()
    os._exit(0)

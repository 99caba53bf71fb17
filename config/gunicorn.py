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
max_requests_jitter = 200
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

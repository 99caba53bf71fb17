# One image for the web server, the Celery worker and Celery beat (see docker-compose.yml).
FROM python:3.11-slim

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1 \
    XDG_CACHE_HOME=/tmp/cache

# Noto CJK for Chinese PDFs; Pango and HarfBuzz are WeasyPrint's system libraries.
RUN apt-get update \
    && apt-get install -y --no-install-recommends \
        fonts-noto-cjk libpango-1.0-0 libpangoft2-1.0-0 libharfbuzz-subset0 \
    && rm -rf /var/lib/apt/lists/*

WORKDIR /app
COPY requirements.txt .
RUN pip install -r requirements.txt

COPY . .
# The unprivileged user cannot write /app (its home): caches go to /tmp, the font cache was built by apt.
# Static files are collected into the image with hashed names (whitenoise serves them);
# no database and no secret are needed for that.
RUN EMBEDDED=1 DATABASE_URL= REDIS_URL= ENV_FILE=/dev/null \
        STATICFILES_BACKEND=core.storage.ManifestStaticFilesStorage \
        python manage.py collectstatic --noinput --verbosity 0 \
    && useradd --system --uid 10001 --user-group --home-dir /app --no-create-home wenming \
    && mkdir -p /app/media \
    && chown wenming:wenming /app/media

USER wenming
EXPOSE 8000
CMD ["gunicorn", "-c", "config/gunicorn.py", "config.wsgi"]

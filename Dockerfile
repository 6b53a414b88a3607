# Customer API container image.
#
# Two stages: "builder" installs the Python dependencies into a virtualenv at
# /opt/venv; the final stage copies only that venv and the application code, so
# pip's build leftovers never reach the runtime image.

# ---------------------------------------------------------------------------
# Stage 1: dependencies
# ---------------------------------------------------------------------------
FROM python:3.11-slim AS builder

ENV PIP_DISABLE_PIP_VERSION_CHECK=1

RUN python -m venv /opt/venv
ENV PATH="/opt/venv/bin:$PATH"

# Copy only requirements.txt first so this layer stays cached until the
# dependency list changes. No apt packages are needed: PyMySQL is pure Python
# and everything else ships manylinux wheels.
COPY requirements.txt /tmp/requirements.txt
RUN pip install --no-cache-dir -r /tmp/requirements.txt

# ---------------------------------------------------------------------------
# Stage 2: runtime
# ---------------------------------------------------------------------------
# Same base image as the builder: the venv's interpreter symlinks point at
# /usr/local/bin/python3.11, which must exist at the same path here.
FROM python:3.11-slim

# PYTHONPATH: the package lives in src/customer_api and is not pip-installed.
ENV PATH="/opt/venv/bin:$PATH" \
    PYTHONPATH=/app/src \
    PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PROMETHEUS_MULTIPROC_DIR=/app/var/prometheus

# Fixed, non-root uid/gid 10001 so volume permissions are predictable.
# --no-log-init avoids a huge sparse /var/log/faillog for a high uid.
RUN groupadd --gid 10001 app \
    && useradd --uid 10001 --gid app --no-log-init --no-create-home \
       --home-dir /app --shell /usr/sbin/nologin app

COPY --from=builder /opt/venv /opt/venv

WORKDIR /app
# Owned by root and read-only for the app user; only /app/var is writable.
COPY src/ /app/src/
# The app finds migrations/ beside src/ (config.PROJECT_ROOT is /app here).
COPY migrations/ /app/migrations/
COPY gunicorn.conf.py /app/gunicorn.conf.py
# The workers' metric files live in var/prometheus; gunicorn empties it as it starts.
RUN mkdir -p /app/var/prometheus && chown -R app:app /app/var

# Numeric uid:gid so runtimes (e.g. Kubernetes runAsNonRoot) can verify it is not root.
USER 10001:10001

EXPOSE 5000

# The slim image has no curl; use the interpreter that is already there, on the port gunicorn
# serves (PORT, read by customer_api.config as everywhere else).
# urlopen raises on connection errors and non-2xx answers -> exit code 1.
HEALTHCHECK --interval=30s --timeout=5s --start-period=30s --retries=3 \
    CMD ["python", "-c", "import urllib.request; from customer_api.config import ServerSettings; urllib.request.urlopen(f'http://127.0.0.1:{ServerSettings.from_env().port}/health', timeout=4)"]

# Apply migrations, then `exec` gunicorn so it replaces the shell as PID 1 and
# receives SIGTERM from `docker stop` directly (graceful worker shutdown).
# gunicorn.conf.py reads PORT, GUNICORN_WORKERS, FORWARDED_ALLOW_IPS and the log settings.
CMD ["sh", "-c", "flask --app customer_api db upgrade && exec gunicorn -c gunicorn.conf.py 'customer_api:create_app()'"]

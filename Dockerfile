# Homeward container image. Multi-stage: the builder makes a virtualenv with the project and
# its dependencies; the runtime image adds only what WeasyPrint needs (Pango, HarfBuzz) and
# the Noto fonts for the sheets, CLDR's region names (unicode-cldr-core), and runs as a
# non-root user.
#
#   docker build -t homeward .
#   docker run -p 8000:8000 -v homeward-var:/app/var homeward
#   docker run --rm -v homeward-var:/app/var homeward homeward keys bootstrap
#
# The entrypoint applies the migrations, then serves with uvicorn on 0.0.0.0:8000 (or runs
# the command given). Set DATABASE_URL=postgresql+psycopg://... for PostgreSQL.

ARG PYTHON_IMAGE=python:3.11-slim

FROM ${PYTHON_IMAGE} AS builder
ENV PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1 \
    PYTHONDONTWRITEBYTECODE=1
WORKDIR /app
RUN python -m venv /opt/venv
ENV PATH=/opt/venv/bin:$PATH
# Dependencies first, so a code change does not reinstall them.
COPY pyproject.toml README.md ./
RUN mkdir app && touch app/__init__.py \
    && pip install --upgrade pip \
    && pip install . \
    && pip uninstall -y homeward
COPY app ./app
# Editable: the code stays in /app next to alembic.ini, migrations/ and seeds/, which the
# app finds relative to its own source (app/config.py PROJECT_ROOT).
RUN pip install --no-deps -e . \
    && python -m compileall -q app

FROM ${PYTHON_IMAGE} AS runtime
RUN apt-get update \
    && DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends \
        fonts-noto-core libpango-1.0-0 libpangoft2-1.0-0 libharfbuzz-subset0 unicode-cldr-core \
        libqrencode4 \
    && rm -rf /var/lib/apt/lists/* \
    && useradd --create-home --uid 10001 --user-group homeward
WORKDIR /app
COPY --from=builder /opt/venv /opt/venv
COPY --from=builder /app /app
COPY alembic.ini docker-entrypoint.sh ./
COPY migrations ./migrations
COPY seeds ./seeds
RUN mkdir -p /app/var && chown homeward:homeward /app/var && chmod 0755 /app/docker-entrypoint.sh
ENV PATH=/opt/venv/bin:$PATH \
    PYTHONPATH=/app \
    PYTHONUNBUFFERED=1 \
    DATABASE_URL=sqlite:////app/var/homeward.db
USER homeward
VOLUME ["/app/var"]
EXPOSE 8000
HEALTHCHECK --interval=30s --timeout=5s --start-period=20s \
    CMD python -c "import urllib.request; urllib.request.urlopen('http://127.0.0.1:8000/health', timeout=4)"
ENTRYPOINT ["/app/docker-entrypoint.sh"]

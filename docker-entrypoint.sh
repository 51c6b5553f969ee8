#!/bin/sh
# Container entrypoint: apply the migrations, then serve (or run the command given, e.g.
# `homeward keys bootstrap`).
set -eu
homeward db upgrade
if [ "$#" -gt 0 ]; then
    exec "$@"
fi
# WEB_CONCURRENCY (read by uvicorn) sets the number of workers; the scheduler runs as its own
# container: `docker run ... homeward homeward scheduler`.
exec uvicorn app.main:app --host 0.0.0.0 --port "${PORT:-8000}" \
    --proxy-headers --forwarded-allow-ips="${FORWARDED_ALLOW_IPS:-127.0.0.1}"

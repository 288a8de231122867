#!/usr/bin/env bash
# `make test`: the same provisioning as `make run`, lint and migration checks, then the whole
# pytest suite against the real PostGIS, Redis, Celery and Chromium.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/provision_system.sh
bash scripts/bootstrap.sh
.venv/bin/ruff check .
.venv/bin/ruff format --check . >/dev/null || { .venv/bin/ruff format --diff . | head -40; exit 1; }
.venv/bin/python manage.py makemigrations --check --dry-run >/dev/null
args=()
if [ "${CI:-}" = "true" ]; then args+=(--create-db); fi
exec .venv/bin/pytest "${args[@]}" "$@"

#!/usr/bin/env bash
# `make run`: provision, set up, load the demo province, then start the ASGI server (foreground),
# a Celery worker, Celery beat and the MQTT bridge (background, logs in var/log). Re-running restarts them.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/provision_system.sh
bash scripts/bootstrap.sh
.venv/bin/python manage.py seed_demo

mkdir -p var/log var/run
stop() { [ -f "var/run/$1.pid" ] && kill "$(cat "var/run/$1.pid")" 2>/dev/null || true; rm -f "var/run/$1.pid"; }
stop worker; stop beat; stop bridge
.venv/bin/celery -A config.celery_app worker -l info -Q default --concurrency 2 \
  >var/log/worker.log 2>&1 & echo $! > var/run/worker.pid
.venv/bin/celery -A config.celery_app beat -l info -s var/run/celerybeat-schedule \
  >var/log/beat.log 2>&1 & echo $! > var/run/beat.pid
.venv/bin/python manage.py run_mqtt_bridge >var/log/bridge.log 2>&1 & echo $! > var/run/bridge.pid
trap 'stop worker; stop beat; stop bridge' EXIT INT TERM

HOST=${HOST:-127.0.0.1}
PORT=${PORT:-8000}
echo
echo "Anquan is at http://$HOST:$PORT/  (API docs: /api/docs/, admin: /admin/, health: /readyz)"
echo "Worker and beat logs: var/log/. Demo logins are listed above."
# Not exec: when the server stops (Ctrl-C), the trap above stops the worker and beat too.
.venv/bin/uvicorn config.asgi:application --host "$HOST" --port "$PORT" --lifespan off

#!/usr/bin/env bash
# `make run`: provision, set up, load the demo province, then start the ASGI server (foreground),
# a Celery worker, Celery beat, the MQTT bridge and the sensor simulator (background, logs in var/log).
# Re-running restarts them. SIMULATE=0 leaves the simulator out; SIMULATE_RATE sets its readings/s.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/provision_system.sh
bash scripts/bootstrap.sh
.venv/bin/python manage.py seed_demo

HOST=${HOST:-127.0.0.1}
PORT=${PORT:-8000}
mkdir -p var/log var/run
stop() { [ -f "var/run/$1.pid" ] && kill "$(cat "var/run/$1.pid")" 2>/dev/null || true; rm -f "var/run/$1.pid"; }
stop worker; stop beat; stop bridge; stop simulator
.venv/bin/celery -A config.celery_app worker -l info -Q default --concurrency 2 \
  >var/log/worker.log 2>&1 & echo $! > var/run/worker.pid
.venv/bin/celery -A config.celery_app beat -l info -s var/run/celerybeat-schedule \
  >var/log/beat.log 2>&1 & echo $! > var/run/beat.pid
.venv/bin/python manage.py run_mqtt_bridge >var/log/bridge.log 2>&1 & echo $! > var/run/bridge.pid
if [ "${SIMULATE:-1}" != "0" ]; then
  # Live readings and alarms for the demo province through the real HTTP endpoint; it waits for the
  # server below to come up. A 5 s tick keeps the request rate (one per gateway per tick) modest.
  case "$HOST" in 0.0.0.0|::) SIM_HOST=127.0.0.1 ;; *) SIM_HOST=$HOST ;; esac
  .venv/bin/python manage.py simulate_readings --rate "${SIMULATE_RATE:-200}" --tick 5 --url "http://$SIM_HOST:$PORT" \
    >var/log/simulator.log 2>&1 & echo $! > var/run/simulator.pid
fi
trap 'stop worker; stop beat; stop bridge; stop simulator' EXIT INT TERM

echo
echo "Anquan is at http://$HOST:$PORT/  (API docs: /api/docs/, admin: /admin/, health: /readyz)"
echo "Worker, beat, bridge and simulator logs: var/log/. Demo logins are listed above."
# Not exec: when the server stops (Ctrl-C), the trap above stops the background processes too.
.venv/bin/uvicorn config.asgi:application --host "$HOST" --port "$PORT" --lifespan off

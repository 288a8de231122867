#!/usr/bin/env bash
# Install and start the system services Anquan needs, once: PostgreSQL + PostGIS, GDAL, Redis,
# Mosquitto, Node.js/npm (asset vendoring) and Chromium (browser tests). Debian/Ubuntu, root or sudo.
# With a Docker engine and no local PostgreSQL, the docker-compose services are used instead.
# Safe to run again: it only installs what is missing and only starts what is not answering.
set -euo pipefail

SUDO=""
if [ "$(id -u)" -ne 0 ]; then SUDO="sudo"; fi
export DEBIAN_FRONTEND=noninteractive

port_open() { (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }
have_pkg() { dpkg-query -W -f='${Status}' "$1" 2>/dev/null | grep -q "install ok installed"; }

if ! port_open 5432 && command -v docker >/dev/null && docker info >/dev/null 2>&1; then
  echo "provision: using docker compose for postgis, redis and mosquitto"
  docker compose up -d postgis redis mosquitto
  for _ in $(seq 1 60); do port_open 5432 && break; sleep 1; done
  exit 0
fi

pg_major() {
  if [ -d /etc/postgresql ] && [ -n "$(ls /etc/postgresql 2>/dev/null)" ]; then
    ls /etc/postgresql | sort -n | tail -1
  else
    apt-cache policy postgresql 2>/dev/null | sed -n 's/.*Candidate: \([0-9]*\).*/\1/p' | head -1
  fi
}

wanted=()
updated=0
apt_update() { if [ $updated -eq 0 ]; then $SUDO apt-get update -qq; updated=1; fi; }

have_pkg postgresql || wanted+=(postgresql)
have_pkg redis-server || port_open 6379 || wanted+=(redis-server)
have_pkg mosquitto || port_open 1883 || wanted+=(mosquitto)
have_pkg gdal-bin || wanted+=(gdal-bin)
have_pkg chromium || wanted+=(chromium)
command -v npm >/dev/null || wanted+=(nodejs npm)
if [ ${#wanted[@]} -gt 0 ]; then
  apt_update
  echo "provision: installing ${wanted[*]}"
  $SUDO apt-get install -y -q "${wanted[@]}" >/dev/null
fi

major=$(pg_major)
if [ -z "$major" ]; then apt_update; major=$(pg_major); fi
if ! have_pkg "postgresql-$major-postgis-3"; then
  apt_update
  echo "provision: installing postgresql-$major-postgis-3"
  $SUDO apt-get install -y -q --no-install-recommends "postgresql-$major-postgis-3" >/dev/null
fi

# Start what is installed but not answering (containers and CI machines have no systemd).
if ! port_open 5432; then
  $SUDO pg_ctlcluster --skip-systemctl-redirect "$major" main start || $SUDO service postgresql start
  # A fresh cluster authenticates by peer; the project connects over TCP as postgres (see .env.example).
  for _ in $(seq 1 30); do port_open 5432 && break; sleep 1; done
fi
if ! port_open 6379; then
  $SUDO redis-server --daemonize yes --bind 127.0.0.1 --port 6379 --save "" --appendonly no
fi
if ! port_open 1883; then
  $SUDO mosquitto -d -c /etc/mosquitto/mosquitto.conf || $SUDO mosquitto -d
fi
for p in 5432 6379 1883; do
  for _ in $(seq 1 30); do port_open $p && break; sleep 1; done
  port_open $p || { echo "provision: nothing answers on port $p" >&2; exit 1; }
done

# The monitoring pipeline rewrites point trackers and rollups continuously; without autovacuum their
# tables bloat without bound (seen here: 15 M dead rows in a day's readings, ten-fold slower upserts).
# Some machines ship the server with it switched off: switch it on (a reload, no restart).
if command -v psql >/dev/null; then
  if [ "$(psql -h 127.0.0.1 -U postgres -Atc 'SHOW autovacuum' 2>/dev/null)" = "off" ]; then
    echo "provision: turning PostgreSQL autovacuum on"
    psql -h 127.0.0.1 -U postgres -qc "ALTER SYSTEM SET autovacuum = on" -c "SELECT pg_reload_conf()" >/dev/null
  fi
fi

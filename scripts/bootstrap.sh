#!/usr/bin/env bash
# Project setup after the system services: virtualenv, Python packages, vendored front-end assets,
# database, migrations and reference data. Re-running skips whatever is already up to date.
set -euo pipefail
cd "$(dirname "$0")/.."

PYTHON=${PYTHON:-$(command -v python3.11 || command -v python3)}
if [ ! -x .venv/bin/python ]; then
  echo "bootstrap: creating .venv with $PYTHON"
  "$PYTHON" -m venv .venv
fi
want=$(cat requirements.txt requirements-dev.txt | sha256sum | cut -d' ' -f1)
if [ "$(cat .venv/.requirements-sha 2>/dev/null)" != "$want" ]; then
  echo "bootstrap: installing Python requirements"
  .venv/bin/python -m pip install -q --upgrade pip 2>&1 | grep -v "is ignored" || true
  .venv/bin/python -m pip install -q -r requirements-dev.txt 2>&1 | grep -v "is ignored" || true
  .venv/bin/python -c "import django, rest_framework, channels, celery, playwright" 
  echo "$want" > .venv/.requirements-sha
fi

bash scripts/vendor_assets.sh

# The database named in DATABASE_URL (default: anquan on the local server).
.venv/bin/python scripts/ensure_database.py
.venv/bin/python manage.py migrate --noinput -v 0
.venv/bin/python manage.py load_reference_data

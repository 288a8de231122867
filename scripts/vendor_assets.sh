#!/usr/bin/env bash
# Vendor front-end packages from npm into static/vendor/ (no CDN at run time: government networks).
# Uses package-lock.json for exact versions; skips the work when the lock file has not changed.
set -euo pipefail
cd "$(dirname "$0")/.."
dest=static/vendor
stamp="$dest/.lock-sha"
want=$(sha256sum frontend/package-lock.json | cut -d' ' -f1)
if [ -f "$stamp" ] && [ "$(cat "$stamp")" = "$want" ]; then
  exit 0
fi
echo "vendoring front-end assets from npm"
(cd frontend && npm ci --no-audit --no-fund --loglevel=error)
nm=frontend/node_modules
rm -rf "$dest" && mkdir -p "$dest"/{bootstrap,bootstrap-icons,echarts,htmx,leaflet}
cp "$nm/bootstrap/dist/css/bootstrap.min.css" "$nm/bootstrap/dist/js/bootstrap.bundle.min.js" "$dest/bootstrap/"
cp "$nm/bootstrap-icons/font/bootstrap-icons.min.css" "$dest/bootstrap-icons/"
cp -r "$nm/bootstrap-icons/font/fonts" "$dest/bootstrap-icons/"
cp "$nm/echarts/dist/echarts.min.js" "$dest/echarts/"
cp "$nm/htmx.org/dist/htmx.min.js" "$dest/htmx/"
cp "$nm/leaflet/dist/leaflet.js" "$nm/leaflet/dist/leaflet.css" "$dest/leaflet/"
cp -r "$nm/leaflet/dist/images" "$dest/leaflet/"
echo "$want" > "$stamp"

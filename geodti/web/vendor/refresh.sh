#!/usr/bin/env bash
# Refresh the vendored browser assets from the npm registry (see README.md in this folder).
# Usage: bash geodti/web/vendor/refresh.sh leaflet@1.9.4 topojson-client@3.1.0
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
leaflet="${1:-leaflet@1.9.4}"
topo="${2:-topojson-client@3.1.0}"
tmp="$(mktemp -d)"
trap 'rm -rf "$tmp"' EXIT
cd "$tmp"
npm pack --silent "$leaflet" "$topo" >/dev/null
sha256sum ./*.tgz
mkdir leaflet topojson-client
tar xzf leaflet-*.tgz -C leaflet --strip-components=1
tar xzf topojson-client-*.tgz -C topojson-client --strip-components=1
mkdir -p "$here/leaflet/images" "$here/topojson-client"
cp leaflet/dist/leaflet.js leaflet/dist/leaflet.css leaflet/LICENSE "$here/leaflet/"
cp leaflet/dist/images/*.png "$here/leaflet/images/"
cp topojson-client/dist/topojson-client.min.js topojson-client/LICENSE "$here/topojson-client/"
echo "copied into $here; now update README.md (versions, sha256) and run the map tests"

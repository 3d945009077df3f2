#!/usr/bin/env bash
# Installed size of geoplan in a fresh venv: pip install -c constraints.txt "<checkout>[EXTRAS]",
# then the size of the venv's site-packages (pip included, about 17 MB).
# Usage: scripts/install_size.sh [EXTRAS]     e.g.  scripts/install_size.sh terrain,dask
set -euo pipefail
repo=$(cd "$(dirname "$0")/.." && pwd)
extras=${1:+[$1]}
venv=$(mktemp -d)
trap 'rm -rf "$venv"' EXIT
unset PYTHONPATH VIRTUAL_ENV
python3 -m venv "$venv"
"$venv/bin/pip" install -q -c "$repo/constraints.txt" "$repo$extras" >/dev/null
site=$("$venv/bin/python" -c "import sysconfig; print(sysconfig.get_paths()['purelib'])")
echo "geoplan$extras: $(du -sm "$site" | cut -f1) MB in site-packages ($("$venv/bin/pip" list 2>/dev/null | tail -n +3 | wc -l) distributions)"

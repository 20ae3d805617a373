#!/usr/bin/env bash
# Runs before `npm test`: the browser tests drive Debian's Chromium. Installs it when missing and we may
# (root with apt-get, as on CI and the project's machines); otherwise says how, and stops.
set -euo pipefail
chromium="${CHROMIUM_PATH:-/usr/bin/chromium}"
[ -x "$chromium" ] && exit 0
if [ "$(id -u)" = "0" ] && command -v apt-get >/dev/null 2>&1; then
  echo "pretest: installing Debian's chromium for the browser tests" >&2
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq && apt-get install -y -qq --no-install-recommends chromium >/dev/null
  exit 0
fi
echo "pretest: the browser tests need Chromium at $chromium (Debian: sudo apt-get install chromium), or CHROMIUM_PATH set to one." >&2
exit 1

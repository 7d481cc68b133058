#!/usr/bin/env bash
# The browser tests drive Debian's Chromium through Playwright (no browser download).
# Install it when missing; fail loudly when that is impossible.
set -euo pipefail
bin=${LOGCENTER_CHROMIUM:-/usr/bin/chromium}
if [ ! -x "$bin" ] && [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null; then
  echo "ensure-chromium: installing Debian's chromium" >&2
  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium fonts-noto-cjk >/dev/null
fi
if [ ! -x "$bin" ]; then
  echo "ensure-chromium: FAILED - $bin is missing; install Debian's chromium package" >&2
  exit 1
fi
"$bin" --version

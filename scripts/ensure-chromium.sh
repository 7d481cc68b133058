#!/usr/bin/env bash
# The browser tests drive Debian's Chromium through Playwright (no browser download), and the
# dashboard's labels are Chinese: without a CJK font every one of them renders as empty boxes.
# Install whichever of the two is missing — each checked on its own, so a machine that already
# has Chromium still gets the font; fail loudly when that is impossible.
set -euo pipefail
bin=${LOGCENTER_CHROMIUM:-/usr/bin/chromium}

has_cjk_font() {
  if command -v fc-list >/dev/null; then
    [ -n "$(fc-list :lang=zh family 2>/dev/null)" ]
  else
    dpkg -s fonts-noto-cjk >/dev/null 2>&1
  fi
}

missing=()
[ -x "$bin" ] || missing+=(chromium)
has_cjk_font || missing+=(fonts-noto-cjk)
if [ ${#missing[@]} -gt 0 ] && [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null; then
  echo "ensure-chromium: installing ${missing[*]}" >&2
  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${missing[@]}" >/dev/null
  command -v fc-cache >/dev/null && fc-cache -f >/dev/null 2>&1 || true
fi
if [ ! -x "$bin" ]; then
  echo "ensure-chromium: FAILED - $bin is missing; install Debian's chromium package" >&2
  exit 1
fi
if ! has_cjk_font; then
  echo "ensure-chromium: FAILED - no font for Chinese text (the dashboard's labels would render as boxes);" \
       "install Debian's fonts-noto-cjk package" >&2
  exit 1
fi
"$bin" --version

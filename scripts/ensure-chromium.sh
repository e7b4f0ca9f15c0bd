#!/usr/bin/env bash
# Makes sure headless Chromium is on this machine: the dashboard's browser
# tests (internal/dashboard/*_browser_test.go) drive it with chromedp. As
# root it installs Debian's chromium package (and a font, so that the
# screenshots under docs/dashboard/ have text); otherwise it says how to.
# The tests look for CHROMIUM_PATH, /usr/bin/chromium, then chromium,
# chromium-browser, google-chrome on PATH; this script checks the same.
set -euo pipefail

if [ -n "${CHROMIUM_PATH:-}" ]; then
  [ -x "$CHROMIUM_PATH" ] && exit 0
  echo "CHROMIUM_PATH=$CHROMIUM_PATH is not an executable file; unset it to use (or install) /usr/bin/chromium." >&2
  exit 1
fi

found() {
  [ -x /usr/bin/chromium ] && return 0
  for b in chromium chromium-browser google-chrome google-chrome-stable; do
    command -v "$b" >/dev/null 2>&1 && return 0
  done
  return 1
}

fonts_ok() {
  ! command -v fc-list >/dev/null 2>&1 || [ -n "$(fc-list 2>/dev/null | head -n 1)" ]
}

as_root() { [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; }

if found; then
  fonts_ok && exit 0
  # Chromium without any font renders boxes: the tests still pass, the
  # screenshots would not be worth committing.
  if as_root; then
    echo "no fonts for Chromium's screenshots: installing fonts-dejavu-core" >&2
    apt-get update -qq
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq fonts-dejavu-core >/dev/null
  else
    echo "warning: no fonts installed; the dashboard's screenshots need one (sudo apt-get install -y fonts-dejavu-core)" >&2
  fi
  exit 0
fi

if as_root; then
  echo "Chromium (for the dashboard's browser tests) not found: installing Debian's chromium package" >&2
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium fonts-dejavu-core >/dev/null
  found && exit 0
fi
cat >&2 <<'MSG'
The dashboard's browser tests need headless Chromium. Install it, for example
on Debian or Ubuntu:
    sudo apt-get install -y chromium fonts-dejavu-core
or point the tests at a Chromium or Chrome binary:
    CHROMIUM_PATH=/path/to/chromium make test
MSG
exit 1

#!/usr/bin/env bash
# Make sure the agent can find a Chromium; install one when it cannot.
# Order: whatever rpa.browser already finds; as root, Debian/Ubuntu's chromium package;
# otherwise Playwright's own build. Prints how to fix it by hand when all fail.
set -euo pipefail
PY="${1:-.venv/bin/python}"

found() { "$PY" -c 'from rpa.browser import resolve_browser; print(resolve_browser(None).executable)' 2>/dev/null; }

if path=$(found); then
  echo "browser: $path"
  exit 0
fi

if [ "$(id -u)" = "0" ] && command -v apt-get >/dev/null 2>&1; then
  echo "browser: none found; installing the OS package 'chromium' (apt-get)"
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -q >/dev/null
  apt-get install -y -q chromium >/dev/null
elif "$PY" -m playwright install chromium; then
  :
fi

if path=$(found); then
  echo "browser: $path"
  exit 0
fi
echo "browser: still none. Install one: 'playwright install chromium', or your OS's chromium package," >&2
echo "         or set RPA_BROWSER_PATH to a Chrome/Chromium executable." >&2
exit 1

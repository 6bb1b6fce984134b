#!/usr/bin/env bash
# Make sure the agent can find a Chromium; install one when it cannot.
# Two are wanted: a full browser (headed runs: --headed) and Chromium's headless shell
# (headless runs, the default: about half the CPU and a third of the memory per context).
# Order: whatever rpa.browser already finds; as root, Debian/Ubuntu's chromium and
# chromium-headless-shell packages; otherwise Playwright's own builds (both come with
# 'playwright install chromium'). Only no browser at all is an error; a missing headless
# shell or full browser is said and the run goes on.
set -euo pipefail
PY="${1:-.venv/bin/python}"

# Prints "<executable> <headless shell: True|False>" for the run kind given, or fails.
found() {
  "$PY" -c 'import sys; from rpa.browser import resolve_browser
c = resolve_browser(None, headless=sys.argv[1] == "headless")
print(c.executable, c.headless_shell)' "$1" 2>/dev/null
}
# Sets $headless and $headed to what found prints ("" when there is none).
probe() {
  headless=$(found headless) || headless=""
  headed=$(found headed) || headed=""
}
complete() { [ -n "$headless" ] && [ -n "$headed" ] && [ "${headless##* }" = "True" ]; }
report() {
  [ -n "$headless" ] || return 1
  echo "browser: ${headless% *} (headless runs)"
  if [ -z "$headed" ]; then
    echo "browser: no full browser for --headed runs (install chromium)"
  elif [ "${headed% *}" != "${headless% *}" ]; then
    echo "browser: ${headed% *} (headed runs)"
  fi
  [ "${headless##* }" = "True" ] || echo "browser: no headless shell; headless runs use the full browser (slower)"
}

probe
if complete; then
  report
  exit 0
fi

if [ "$(id -u)" = "0" ] && command -v apt-get >/dev/null 2>&1; then
  echo "browser: installing the OS packages 'chromium' and 'chromium-headless-shell' (apt-get)"
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -q >/dev/null
  apt-get install -y -q chromium chromium-headless-shell >/dev/null ||
    apt-get install -y -q chromium >/dev/null || true
elif "$PY" -m playwright install chromium; then
  :
fi

probe
if report; then
  exit 0
fi
echo "browser: still none. Install one: 'playwright install chromium', or your OS's chromium package," >&2
echo "         or set RPA_BROWSER_PATH to a Chrome/Chromium executable." >&2
exit 1

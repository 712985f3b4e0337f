#!/usr/bin/env bash
# Make sure Debian's Chromium is there for the browser test (tests/test_browser.py); Playwright drives it.
# Installs it with apt-get only when it is missing and we are root (CI and containers); otherwise it says why not and
# exits 0, and the browser test skips with the same reason. Never downloads a browser build of its own
# (no `playwright install`): Debian's package is the one that works offline and gets security updates.
set -euo pipefail

CHROMIUM=/usr/bin/chromium

if [ -x "$CHROMIUM" ]; then
    echo "install_browser: $("$CHROMIUM" --version 2>/dev/null || echo chromium) is installed"
    exit 0
fi
if [ "$(id -u)" != "0" ]; then
    echo "install_browser: no $CHROMIUM and not root: run 'sudo apt-get install chromium' to run the browser test"
    exit 0
fi
if ! command -v apt-get > /dev/null; then
    echo "install_browser: no $CHROMIUM and no apt-get: install Chromium to run the browser test"
    exit 0
fi

echo "install_browser: installing Debian's chromium package"
export DEBIAN_FRONTEND=noninteractive
# The package lists may be missing or stale on a fresh machine: install once, and on failure update and retry.
if ! timeout 600 apt-get install -y -qq chromium > /dev/null; then
    timeout 300 apt-get update -qq && timeout 600 apt-get install -y -qq chromium > /dev/null \
        || echo "install_browser: could not install chromium; the browser test will be skipped"
fi
[ -x "$CHROMIUM" ] && echo "install_browser: $("$CHROMIUM" --version 2>/dev/null) installed"
exit 0

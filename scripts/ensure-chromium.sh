#!/usr/bin/env bash
# Install Debian's Chromium for the browser tests if it is missing. Needs root (or sudo);
# without it the browser tests skip locally and fail under CI, which asks for Chromium.
set -euo pipefail
if [ -x /usr/bin/chromium ]; then exit 0; fi
if [ "$(id -u)" = 0 ]; then SUDO=""; elif command -v sudo >/dev/null; then SUDO="sudo -n"; else
  echo "ensure-chromium: not root; install the 'chromium' package to run the browser tests" >&2
  exit 0
fi
echo "ensure-chromium: installing Debian's chromium package"
$SUDO apt-get update -qq
DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq chromium >/dev/null

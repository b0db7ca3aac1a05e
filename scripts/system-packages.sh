#!/usr/bin/env bash
# Install the Debian packages the test suite drives, when they are missing and we can.
set -u
needed=()
command -v chromium >/dev/null 2>&1 || needed+=(chromium)
command -v pdftoppm >/dev/null 2>&1 || needed+=(poppler-utils)
[ ${#needed[@]} -eq 0 ] && exit 0
if [ "$(id -u)" -eq 0 ] && command -v apt-get >/dev/null 2>&1; then
  echo "Installing ${needed[*]} from Debian's packages..."
  apt-get update -qq >/dev/null && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${needed[@]}" >/dev/null
  exit $?
fi
echo "Not installed: ${needed[*]} (install them with apt-get as root; the tests that need them will say so)."

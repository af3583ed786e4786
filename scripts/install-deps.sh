#!/bin/sh
# Installs the Debian packages Pegasus builds and tests with, if missing.
set -e
need="meson ninja-build gcc pkg-config libc6-dev libyaml-dev make gawk sed grep perl python3 xz-utils gzip coreutils"
missing=""
for p in $need; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "ok installed" || missing="$missing $p"
done
[ -z "$missing" ] && exit 0
echo "install-deps: installing$missing"
SUDO=""; [ "$(id -u)" -ne 0 ] && SUDO=sudo
$SUDO apt-get update -qq
DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq $missing

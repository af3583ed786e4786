#!/bin/sh
# Installs the Debian packages Pegasus builds and tests with, if missing.
#
#   scripts/install-deps.sh             the build and test dependencies
#   scripts/install-deps.sh --services  the servers and load clients that
#                                       `make demo` and bench/services.sh run
#                                       (redis, nginx, wrk, ab, memcached,
#                                       memcaslap, haproxy)
#
# With --services, the packages' own system services (redis on 6379, nginx
# on 80, memcached, haproxy) are not started by the install (a temporary
# policy-rc.d, when the host has none): the demo starts its own servers on
# ports of its choosing and stops them.
set -e
if [ "${1:-}" = --services ]; then
  need="redis-server redis-tools nginx wrk apache2-utils memcached libmemcached-tools haproxy"
else
  need="meson ninja-build gcc pkg-config libc6-dev libyaml-dev make gawk sed grep perl python3 xz-utils gzip coreutils"
fi
missing=""
for p in $need; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "ok installed" || missing="$missing $p"
done
[ -z "$missing" ] && exit 0
echo "install-deps: installing$missing"
SUDO=""; [ "$(id -u)" -ne 0 ] && SUDO=sudo
policy=""
if [ "${1:-}" = --services ] && [ ! -e /usr/sbin/policy-rc.d ]; then
  policy=/usr/sbin/policy-rc.d
  printf '#!/bin/sh\n# temporary, by pegasus scripts/install-deps.sh: no service starts at install\nexit 101\n' |
    $SUDO tee $policy >/dev/null
  $SUDO chmod 755 $policy
  trap '$SUDO rm -f $policy' EXIT
fi
$SUDO apt-get update -qq
DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq $missing

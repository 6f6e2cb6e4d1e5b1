#!/usr/bin/env bash
# Installs the free GeoIP data the network check uses (DB-IP Country Lite and an IP-to-ASN
# table, CC BY 4.0; pinned npm packages checked by sha512: docs/checks/network.md) into
# data_dir/geoip, once, then again only when the pinned versions change. Called by `make run`
# with serve's ARGS (--config, --data, --addr), so it installs where serve will look.
# It never stops `make run`: without npm or the registry, it says so and serve starts with the
# network check saying "unknown" and why.
set -uo pipefail
bin=$1
shift

if ! command -v npm >/dev/null 2>&1 && command -v apt-get >/dev/null 2>&1; then
  sudo=""
  [ "$(id -u)" -ne 0 ] && sudo="sudo"
  echo "geo-data: installing npm with apt-get (it fetches the GeoIP packages)…" >&2
  { $sudo apt-get -o DPkg::Lock::Timeout=600 update -qq &&
    DEBIAN_FRONTEND=noninteractive $sudo apt-get -o DPkg::Lock::Timeout=600 install -y -qq --no-install-recommends npm; } >&2 ||
    echo "geo-data: could not install npm" >&2
fi
if ! command -v npm >/dev/null 2>&1; then
  echo "geo-data: npm is not installed, so no GeoIP data: the network check will say unknown." >&2
  echo "  Install npm and run make run again, or see docs/checks/network.md for other data files." >&2
  exit 0
fi
if ! "$bin" geo update --if-needed "$@"; then
  echo "geo-data: the GeoIP data could not be installed (above); serve starts anyway, with what was installed before, if anything." >&2
fi
exit 0

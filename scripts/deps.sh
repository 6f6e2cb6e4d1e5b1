#!/usr/bin/env bash
# Installs what integritybot needs on Debian/Ubuntu: `deps.sh run` for the service,
# `deps.sh test` for the test suite too. Elsewhere it says what to install.
set -euo pipefail
want=(pkg-config libvpx-dev gcc)
[ "${1:-run}" = test ] && want+=(ffmpeg chromium)

missing=()
for p in "${want[@]}"; do
  case $p in
    libvpx-dev) pkg-config --exists vpx 2>/dev/null || missing+=("$p") ;;
    chromium)   { command -v chromium || command -v chromium-browser; } >/dev/null 2>&1 || missing+=("$p") ;;
    *)          command -v "$p" >/dev/null 2>&1 || missing+=("$p") ;;
  esac
done

if ! command -v go >/dev/null 2>&1; then
  echo "Go 1.26 or newer is required: https://go.dev/dl/ (Debian's golang package is too old)." >&2
  exit 1
fi
[ ${#missing[@]} -eq 0 ] && exit 0

if command -v apt-get >/dev/null 2>&1; then
  sudo=""
  [ "$(id -u)" -ne 0 ] && sudo="sudo"
  echo "Installing ${missing[*]} with apt-get…" >&2
  export DEBIAN_FRONTEND=noninteractive
  $sudo apt-get -o DPkg::Lock::Timeout=600 update -qq
  $sudo apt-get -o DPkg::Lock::Timeout=600 install -y -qq --no-install-recommends "${missing[@]}" >&2
else
  cat >&2 <<TXT
Missing: ${missing[*]}. This script installs them only on Debian/Ubuntu (apt-get). Elsewhere:
  macOS (Homebrew): brew install pkg-config libvpx ffmpeg && brew install --cask chromium
  Fedora:           sudo dnf install pkgconf libvpx-devel ffmpeg chromium gcc
Then run make again. Set CHROMIUM=/path/to/chromium if it is not on PATH.
TXT
  exit 1
fi

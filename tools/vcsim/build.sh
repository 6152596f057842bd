#!/usr/bin/env bash
# Build vcsim, govmomi's vCenter simulator, offline from Debian 12 packages: golang-go (1.19) and
# golang-github-vmware-govmomi-dev (0.24.2), which ships the simulator library but no vcsim
# command; main.go beside this script is that command. It also installs qemu-utils: make_ova.py beside
# it needs qemu-img to make the tests' OVAs.
# Usage: build.sh OUTPUT_BINARY
#   Installs the Debian packages with apt-get when they are missing (needs root, as in CI).
#   Does nothing when OUTPUT_BINARY is newer than main.go and this script.
set -euo pipefail

here=$(cd "$(dirname "$0")" && pwd)
out=$(realpath -m "${1:?usage: build.sh OUTPUT_BINARY}")
packages=(golang-go golang-github-vmware-govmomi-dev qemu-utils)

install_packages() {
  if dpkg -s "${packages[@]}" >/dev/null 2>&1; then
    return
  fi
  if [ "$(id -u)" -ne 0 ]; then
    echo "vcsim build needs the Debian packages ${packages[*]}; install them as root:" >&2
    echo "  apt-get install --no-install-recommends ${packages[*]}" >&2
    exit 1
  fi
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  apt-get install -y -qq --no-install-recommends "${packages[@]}" >/dev/null
}

is_up_to_date() {
  [ -x "$out" ] && [ "$out" -nt "$here/main.go" ] && [ "$out" -nt "$here/build.sh" ]
}

mkdir -p "$(dirname "$out")"
# Several test processes (pytest-xdist) may build at once: one builds, the others wait and reuse.
exec 9>"$out.lock"
flock 9

if is_up_to_date; then
  echo "up to date: $out"
  exit 0
fi

install_packages
# Offline, GOPATH mode: the only sources are the ones Debian installed under /usr/share/gocode.
export GOPATH=/usr/share/gocode GO111MODULE=off GOPROXY=off GOFLAGS= GOTOOLCHAIN=local
export GOCACHE=${GOCACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/vcsim-go-build}
tmp="$out.tmp.$$"
trap 'rm -f "$tmp"' EXIT
go build -trimpath -ldflags="-s -w" -o "$tmp" "$here/main.go"
mv -f "$tmp" "$out"
echo "built $out ($(du -h "$out" | cut -f1))"

#!/usr/bin/env bash
# The installer's test on a clean machine: installs the .deb with apt into a clean Debian root of
# this machine's release and, inside it, checks what a user would: both binaries answer
# --version, `tenantry doctor` runs, the desktop app starts its demo under Xvfb with a private
# D-Bus and keyring (a screenshot shows it), the installed desktop entry is the tenantry://
# handler and a link opened with xdg-open reaches the running window, and removing the package
# takes the binaries and keeps the user's data. The .rpm is read with rpm for its contents and
# dependencies.
#
# Usage: scripts/lib/install-test.sh PACKAGE.deb PACKAGE.rpm [SCREENSHOT_DIR]
# Needs root (debootstrap, chroot, mounts). The debootstrapped root is cached as a folder under
# $TENANTRY_CACHE (default /var/cache/tenantry), outside the repository, with apt's downloads,
# so a second run fetches nothing it fetched before. Each run sees it through an overlay (what the
# run installs goes to a throwaway upper layer), so the clean root is never copied: the disk a run
# needs is the root once, in the cache, and what apt installs. Where overlayfs cannot be mounted,
# the run copies the root instead.
set -euo pipefail
trap 'echo "install test: failed at line $LINENO: $BASH_COMMAND" >&2' ERR
deb="$(realpath "${1:?usage: install-test.sh PACKAGE.deb PACKAGE.rpm [SCREENSHOT_DIR]}")"
rpm_file="$(realpath "${2:?usage: install-test.sh PACKAGE.deb PACKAGE.rpm [SCREENSHOT_DIR]}")"
shots="${3:-}"
here="$(cd "$(dirname "$0")" && pwd)"
say() { printf '\033[1m==> %s\033[0m\n' "$*" >&2; }
fail() { echo "install test: $*" >&2; exit 1; }
[ "$(id -u)" -eq 0 ] || fail "needs root (debootstrap, chroot and mounts)"

# --- the .rpm: contents and dependencies --------------------------------------------------------
say "the .rpm carries both binaries, the desktop entry and its dependencies"
contents="$(rpm -qpl "$rpm_file")"
for path in /usr/bin/tenantry /usr/bin/tenantry-desktop /usr/share/applications/Tenantry.desktop; do
  grep -qx "$path" <<<"$contents" || fail "the .rpm lacks $path; it holds: $contents"
done
requires="$(rpm -qpR "$rpm_file")"
for dep in 'libwebkit2gtk-4.1.so.0()(64bit)' 'libayatana-appindicator3.so.1()(64bit)' xdg-utils; do
  grep -qxF "$dep" <<<"$requires" || fail "the .rpm does not require $dep; it requires: $requires"
done
rpm -qp --recommends "$rpm_file" | grep -qx gnome-keyring || fail "the .rpm does not recommend gnome-keyring"

# --- a clean root of this release, cached -------------------------------------------------------
. /etc/os-release
release="${VERSION_CODENAME:?/etc/os-release names no release}"
arch="$(dpkg --print-architecture)"
cache="${TENANTRY_CACHE:-/var/cache/tenantry}"
base="$cache/debootstrap-$release-$arch"
mkdir -p "$cache/apt-archives/partial"
# Says how much room a step needs before it starts, so a full disk is named as one, not met as
# a truncated file half-way through.
need_free() { # FOLDER MIB WHAT
  local free
  free="$(df -Pm "$1" | awk 'NR == 2 {print $4}')"
  [ "$free" -ge "$2" ] ||
    fail "$3 needs about $2 MiB free in $1; the disk there has $free MiB. Free some space and run it again."
}
# Earlier runs kept the root as a tarball; a part left by a run that was stopped is never reused.
rm -f "$base.tar.part" "$base.tar"
if [ ! -f "$base/etc/os-release" ]; then
  say "debootstrap: a clean $release root (once; cached at $base)"
  need_free "$cache" 600 "debootstrap"
  rm -rf --one-file-system "$base.part"
  # The mirror is debootstrap's own default for the release.
  debootstrap --variant=minbase --cache-dir="$cache/apt-archives" "$release" "$base.part" >&2 ||
    fail "debootstrap failed (is the network to Debian's mirror up?)"
  mv "$base.part" "$base"
fi

scratch="$(mktemp -d -t tenantry-clean-root.XXXXXX)"
root="$scratch/root"
mkdir -p "$root" "$scratch/upper" "$scratch/work"
mounted=()
cleanup() {
  # Stop whatever still runs inside the root, then unmount, and only then delete: a delete that
  # reached through a bind mount would delete the host's files (or, through the overlay, the
  # cached root's).
  for proc in /proc/[0-9]*; do
    [ "$(readlink "$proc/root" 2>/dev/null)" = "$root" ] && kill -9 "${proc#/proc/}" 2>/dev/null
  done
  sleep 0.2
  for ((i = ${#mounted[@]} - 1; i >= 0; i--)); do umount "${mounted[i]}" 2>/dev/null || umount -l "${mounted[i]}" 2>/dev/null || true; done
  if findmnt -rn -o TARGET | grep -q "^$scratch"; then
    echo "install test: $scratch still has mounts; not deleting it" >&2
  else
    rm -rf --one-file-system "$scratch"
  fi
}
trap cleanup EXIT
mnt() { mount "$@"; mounted+=("${*: -1}"); }

# The packages the test installs (WebKitGTK and its kin) take about 700 MiB inside the root.
need_free "$scratch" 1200 "the install test"
if mount -t overlay overlay -o "lowerdir=$base,upperdir=$scratch/upper,workdir=$scratch/work" "$root" 2>/dev/null; then
  mounted+=("$root")
  say "the clean root, seen through an overlay"
else
  say "a fresh copy of the clean root (overlayfs cannot be mounted here)"
  cp -a "$base/." "$root/"
fi
mnt -t proc proc "$root/proc"
mnt -t sysfs sysfs "$root/sys"
mnt --bind /dev "$root/dev"
mnt -t tmpfs -o mode=1777 shm "$root/dev/shm"
mnt --bind "$cache/apt-archives" "$root/var/cache/apt/archives"
cp /etc/resolv.conf "$root/etc/resolv.conf"
# No service starts inside the root (apt would try to start dbus).
printf '#!/bin/sh\nexit 101\n' >"$root/usr/sbin/policy-rc.d" && chmod +x "$root/usr/sbin/policy-rc.d"
cp "$deb" "$root/tmp/tenantry.deb"
cp "$here/with-private-keyring.sh" "$here/install-test-inside.sh" "$root/tmp/"
mkdir -p "$root/tmp/shots"

say "inside the clean root"
chroot "$root" /usr/bin/env -i PATH=/usr/sbin:/usr/bin:/sbin:/bin HOME=/root LANG=C.UTF-8 \
  /bin/bash /tmp/install-test-inside.sh /tmp/tenantry.deb /tmp/shots
# The screenshots must show a drawn window, not an empty or black screen.
for xwd in "$root"/tmp/shots/*.xwd; do
  png="${xwd%.xwd}.png"
  convert "xwd:$xwd" "$png"
  colours="$(identify -format '%k' "$png")"
  [ "$colours" -ge 50 ] || fail "$(basename "$png") has $colours colours: the window did not draw"
done
if [ -n "$shots" ]; then
  mkdir -p "$shots"
  cp "$root"/tmp/shots/*.png "$shots/"
  say "screenshots from inside the clean root: $(cd "$shots" && ls ./installed-*.png | tr '\n' ' ')"
fi
say "the package installs, runs, opens links and removes cleanly on a clean $release"

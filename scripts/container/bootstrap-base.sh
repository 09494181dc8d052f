#!/usr/bin/env bash
# Builds a local stand-in for the Dockerfile's default base image (node:20-bookworm-slim) where no
# container registry is reachable: a minimal Debian bookworm root file system from the Debian apt
# mirror (debootstrap --variant=minbase), this machine's Node 20 and npm copied in at the official
# image's paths (/usr/local/bin, /usr/local/lib/node_modules), the official image's `node` user
# (uid/gid 1000), imported into the local image store under the name the Dockerfile's ARG defaults
# to. The Dockerfile itself is unchanged: users with a registry get the real image.
#
# Usage: scripts/container/bootstrap-base.sh <docker|podman> [image-name]
#   image-name  default docker.io/library/node:20-bookworm-slim
#   DEBIAN_MIRROR  default http://deb.debian.org/debian
# Needs root (debootstrap), debootstrap, and a host Node 20 (`node` on PATH).
set -euo pipefail

builder="${1:?usage: bootstrap-base.sh <docker|podman> [image-name]}"
image="${2:-docker.io/library/node:20-bookworm-slim}"
mirror="${DEBIAN_MIRROR:-http://deb.debian.org/debian}"

say() { echo "bootstrap-base: $*" >&2; }
die() { say "$*"; exit 1; }

[ "$(id -u)" = 0 ] || die "debootstrap needs root"
command -v debootstrap >/dev/null || die "debootstrap is not installed (apt-get install -y debootstrap)"
node_bin="$(command -v node)" || die "no node on PATH"
node_bin="$(readlink -f "$node_bin")"
node_major="$("$node_bin" -p 'process.versions.node.split(".")[0]')"
[ "$node_major" = 20 ] || die "the host's node is $("$node_bin" -v); the base image must carry Node 20"
npm_dir="$(npm root -g)/npm"
[ -f "$npm_dir/bin/npm-cli.js" ] || die "npm not found at $npm_dir"

work="$(mktemp -d /tmp/tensorgate-base.XXXXXX)"
cleanup() {
  # debootstrap mounts proc and sys inside the root while it runs: never delete through a mount.
  awk -v r="$work/" 'index($2, r) == 1 { print $2 }' /proc/mounts | sort -r | xargs -r -n1 umount -l
  rm -rf --one-file-system "$work"
}
trap cleanup EXIT
rootfs="$work/rootfs"

say "debootstrap --variant=minbase bookworm from $mirror (a few minutes)"
debootstrap --variant=minbase bookworm "$rootfs" "$mirror" >"$work/debootstrap.log" 2>&1 ||
  { tail -n 30 "$work/debootstrap.log" >&2; die "debootstrap failed"; }

say "adding node $("$node_bin" -v) and npm $(npm -v) from the host"
install -D -m 0755 "$node_bin" "$rootfs/usr/local/bin/node"
mkdir -p "$rootfs/usr/local/lib/node_modules"
cp -a "$npm_dir" "$rootfs/usr/local/lib/node_modules/npm"
ln -sf ../lib/node_modules/npm/bin/npm-cli.js "$rootfs/usr/local/bin/npm"
ln -sf ../lib/node_modules/npm/bin/npx-cli.js "$rootfs/usr/local/bin/npx"
env -u NODE_EXTRA_CA_CERTS chroot "$rootfs" /usr/local/bin/node -e 'process.exit(0)' || die "node does not run in the bootstrapped root"

# As the official image: a `node` user and group with id 1000.
chroot "$rootfs" groupadd --gid 1000 node
chroot "$rootfs" useradd --uid 1000 --gid node --shell /bin/bash --create-home node

# As a slim image: no apt lists, caches or docs.
rm -rf "$rootfs"/var/lib/apt/lists/* "$rootfs"/var/cache/apt/*.bin "$rootfs"/var/cache/apt/archives/*.deb \
  "$rootfs"/usr/share/doc/* "$rootfs"/usr/share/man/* "$rootfs"/usr/share/info/*

say "importing as $image"
tar -C "$rootfs" --numeric-owner -c . |
  "$builder" import \
    --change 'ENV PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin' \
    --change "ENV NODE_VERSION=$("$node_bin" -p process.versions.node)" \
    --change 'CMD ["node"]' \
    - "$image" >/dev/null
say "done: $("$builder" image inspect --format '{{.Id}}' "$image" 2>/dev/null | cut -c1-19)"

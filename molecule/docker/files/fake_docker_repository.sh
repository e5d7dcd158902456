#!/usr/bin/env bash
# Copyright: (c) 2026, pytrackdat.deploy contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
# Builds a signed, empty apt repository laid out like download.docker.com/linux, as a stand-in that apt really
# reads: <root>/<distribution>/gpg (armoured public key) and
# <root>/<distribution>/dists/<release>/stable/binary-<arch>/Packages with a clear-signed InRelease.
# Usage: fake_docker_repository.sh ROOT DISTRIBUTION:RELEASE:ARCH...
set -euo pipefail
root=$1
shift
gnupg=$(mktemp -d)
trap 'rm -rf "$gnupg"' EXIT
gpg() { command gpg --homedir "$gnupg" --batch --quiet "$@"; }
gpg --passphrase '' --quick-gen-key 'ptd fake docker repository <fake-docker@example.invalid>' ed25519 sign never

for spec in "$@"; do
    IFS=: read -r distribution release arch <<< "$spec"
    mkdir -p "$root/$distribution"
    gpg --armor --export > "$root/$distribution/gpg"
    dist="$root/$distribution/dists/$release"
    mkdir -p "$dist/stable/binary-$arch"
    : > "$dist/stable/binary-$arch/Packages"
    {
        echo "Origin: ptd-fake-docker"
        echo "Label: ptd-fake-docker"
        echo "Suite: $release"
        echo "Codename: $release"
        echo "Date: $(LC_ALL=C date -u -R)"
        echo "Architectures: $arch"
        echo "Components: stable"
        echo "SHA256:"
        printf ' %s %s stable/binary-%s/Packages\n' "$(sha256sum < "$dist/stable/binary-$arch/Packages" | cut -d' ' -f1)" 0 "$arch"
    } > "$dist/Release"
    rm -f "$dist/InRelease"
    gpg --clearsign --output "$dist/InRelease" "$dist/Release"
done

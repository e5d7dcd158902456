#!/usr/bin/env bash
# Copyright: (c) 2026, pytrackdat.deploy contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
# One ship of the demo site's runtime image to the demo droplet, as control build mode does it: docker save on this
# node, a copy over SSH, docker load on the droplet; MODE zstd compresses with zstd -1 on the way (both ends have it
# here), MODE plain does not. Each run first removes the image on the droplet, so the load does all its work.
# DESTRUCTIVE for the demo: the first run removes the site's containers there (`make demo-destroy` afterwards).
# Side by side, whole processes, A B A B pairs:
#   python benchmarks/ab.py -n 5 --warmup 1 --a 'benchmarks/image_ship.sh zstd' --b 'benchmarks/image_ship.sh plain'
# Usage: image_ship.sh zstd|plain
set -euo pipefail
mode=${1:?usage: image_ship.sh zstd|plain}
repo=$(cd "$(dirname "$0")/.." && pwd)
droplet=$(docker ps --filter name=ptd-droplet- --format '{{.Names}}' | head -n 1)
[ -n "$droplet" ] || { echo "no demo droplet: run make demo first" >&2; exit 2; }
address=$(docker inspect -f '{{index .Config.Labels "pytrackdat.emulator.address"}}' "$droplet")
image=$(docker images --format '{{.Repository}}:{{.Tag}}' 'pytrackdat-runtime/*' | head -n 1)
[ -n "$image" ] || { echo "no runtime image on this node: run make demo first" >&2; exit 2; }
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
docker exec "$droplet" sh -c "docker ps -aq | xargs -r docker rm -f > /dev/null; docker rmi -f $image > /dev/null 2>&1 || true"
ssh_() {
    ssh -i "$repo/.demo/id_ed25519" -o StrictHostKeyChecking=no -o UserKnownHostsFile=/dev/null -o LogLevel=ERROR \
        "deploy@$address" "$@"
}
if [ "$mode" = zstd ]; then
    docker save "$image" | zstd -1 -T0 -q -f -o "$work/images.tar.zst"
    ssh_ 'cat > /tmp/images.tar.zst' < "$work/images.tar.zst"
    ssh_ 'set -o pipefail; zstd -dc /tmp/images.tar.zst | docker load -q > /dev/null; rm -f /tmp/images.tar.zst'
else
    docker save -o "$work/images.tar" "$image"
    ssh_ 'cat > /tmp/images.tar' < "$work/images.tar"
    ssh_ 'docker load -q -i /tmp/images.tar > /dev/null; rm -f /tmp/images.tar'
fi
docker exec "$droplet" docker image inspect -f '{{.Id}}' "$image" > /dev/null

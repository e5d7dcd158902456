#!/usr/bin/env bash
# Copyright: (c) 2026, pytrackdat.deploy contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
# Builds the systemd test-host images that every Molecule scenario, the DigitalOcean emulator's
# "docker" machine backend and the end-to-end tests boot. Docker Hub is unreachable here, so the
# root file systems come from Debian's archive through debootstrap and enter Docker by `docker import`.
# An image that already exists with the current recipe (label) is kept, so a second run takes a second.
set -euo pipefail

MIRROR="${DEBIAN_MIRROR:-http://deb.debian.org/debian}"
RECIPE_VERSION=5   # bump when the package list or the steps below change
PACKAGES=systemd,systemd-sysv,dbus,python3,python3-apt,sudo,openssh-server,iproute2,ca-certificates,procps,curl,gnupg,locales,cron,less,zstd,sqlite3
CHECK_ONLY=false
if [ "${1:-}" = "--check" ]; then CHECK_ONLY=true; shift; fi   # say what is missing, build nothing
SUITES="${*:-13 12}"

suite_name() { case "$1" in 13) echo trixie ;; 12) echo bookworm ;; *) echo "unknown Debian version $1" >&2; exit 2 ;; esac; }

up_to_date() { [ "$(docker image inspect -f '{{ index .Config.Labels "pytrackdat.recipe" }}' "local/debian-systemd:$1" 2>/dev/null)" = "$RECIPE_VERSION" ]; }

# Everything this script (and `make demo`, which needs its images) would fail on later, checked in a second or two
# before any download: the Docker engine, and for images not built yet debootstrap and root. Prints what is missing
# and how to install it; exit 3 if anything is.
check_prerequisites() {
    local missing=() info to_build=() v
    if ! command -v docker > /dev/null; then
        missing+=("Docker (client and engine): apt-get install docker.io  (Debian 12/13; on Ubuntu docker.io too), then start the engine: systemctl start docker  (no systemd: dockerd > /var/log/dockerd.log 2>&1 &)")
    elif ! info=$(timeout 20 docker info 2>&1 > /dev/null); then
        if [[ "$info" == *"permission denied"* ]]; then
            missing+=("access to the Docker engine: run as root, or add your user to the docker group (usermod -aG docker \$USER, then log in again)")
        elif ! command -v dockerd > /dev/null; then
            missing+=("the Docker engine (only the docker client is installed): apt-get install docker.io, then start it: systemctl start docker  (no systemd: dockerd > /var/log/dockerd.log 2>&1 &)")
        else
            missing+=("a running Docker engine (docker info: ${info%%$'\n'*}): start it: systemctl start docker  (no systemd: dockerd > /var/log/dockerd.log 2>&1 &)")
        fi
    fi
    for v in $SUITES; do suite_name "$v" > /dev/null; up_to_date "$v" || to_build+=("local/debian-systemd:$v"); done
    if [ ${#to_build[@]} -gt 0 ]; then
        command -v debootstrap > /dev/null \
            || missing+=("debootstrap, which builds the test-host images not built yet (${to_build[*]}): apt-get install debootstrap")
        [ "$(id -u)" -eq 0 ] \
            || missing+=("root, which debootstrap and chroot need to build ${to_build[*]}: run as root (sudo make ...)")
    fi
    [ ${#missing[@]} -eq 0 ] && return 0
    echo "Missing prerequisites (nothing was done; .ci/run installs and starts all of them on Debian):" >&2
    printf '  - %s\n' "${missing[@]}" >&2
    return 3
}

build() {
    local version=$1 suite tag rootfs
    suite=$(suite_name "$version")
    tag="local/debian-systemd:${version}"
    if up_to_date "$version"; then
        echo "image $tag is up to date"
        return
    fi
    rootfs=$(mktemp -d /var/tmp/ptd-rootfs.XXXXXX)
    trap 'rm -rf "$rootfs"' RETURN
    echo "debootstrap $suite into $rootfs (about a minute)"
    debootstrap --variant=minbase --include="$PACKAGES" "$suite" "$rootfs" "$MIRROR" > "$rootfs.log" 2>&1 \
        || { tail -n 30 "$rootfs.log"; exit 1; }
    rm -f "$rootfs.log"
    # A container has no console to log in on, and SSH host keys must differ per host: they are made at boot.
    rm -f "$rootfs"/etc/ssh/ssh_host_*
    mkdir -p "$rootfs/etc/systemd/system/ssh.service.d"
    printf '[Service]\nExecStartPre=\nExecStartPre=/usr/bin/ssh-keygen -A\nExecStartPre=/usr/sbin/sshd -t\n' > "$rootfs/etc/systemd/system/ssh.service.d/hostkeys.conf"
    for unit in getty@tty1.service console-getty.service systemd-udevd.service systemd-udev-trigger.service \
                systemd-firstboot.service systemd-networkd-wait-online.service; do
        ln -sf /dev/null "$rootfs/etc/systemd/system/$unit"
    done
    ln -sf /lib/systemd/system/ssh.service "$rootfs/etc/systemd/system/multi-user.target.wants/ssh.service"
    echo 'en_US.UTF-8 UTF-8' > "$rootfs/etc/locale.gen"
    chroot "$rootfs" locale-gen > /dev/null 2>&1 || true
    : > "$rootfs/etc/machine-id"
    printf 'deb %s %s main\ndeb %s %s-updates main\ndeb http://deb.debian.org/debian-security %s-security main\n' \
        "$MIRROR" "$suite" "$MIRROR" "$suite" "$suite" > "$rootfs/etc/apt/sources.list"
    rm -rf "$rootfs"/var/cache/apt/archives/*.deb "$rootfs"/var/lib/apt/lists/*
    # No package lists, dated long ago as on a cloud image: apt's cache_valid_time (the roles' 3600 s) then refreshes
    # them. Left with the build's time, an image less than an hour old reads as a fresh, empty cache.
    touch -d @0 "$rootfs"/var/lib/apt/lists
    tar -C "$rootfs" -c . | docker import \
        -c 'CMD ["/lib/systemd/systemd"]' -c 'ENV container=docker' \
        -c "LABEL pytrackdat.recipe=$RECIPE_VERSION" - "$tag" > /dev/null
    echo "built $tag"
}

check_prerequisites || exit $?
$CHECK_ONLY && exit 0
for v in $SUITES; do build "$v"; done

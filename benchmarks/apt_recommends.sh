#!/usr/bin/env bash
# Copyright: (c) 2026, pytrackdat.deploy contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
# server_setup's and docker's package installs on a fresh Debian 13 (the test image, local/debian-systemd:13), as the
# roles run them: `with` = apt's default (recommended packages too, the roles before 2026-12-04 night), `without` =
# --no-install-recommends with the packages the roles now name instead. For benchmarks/ab.py:
#   python benchmarks/ab.py -n 3 --a "bash benchmarks/apt_recommends.sh without" --b "bash benchmarks/apt_recommends.sh with"
# Prints the number of packages installed. Needs Docker and Debian's archive (a throwaway container, removed after).
set -euo pipefail
case "${1:-}" in
  with) flags=""; setup_extra=""; docker_extra="" ;;
  without) flags="--no-install-recommends"; setup_extra="nftables"; docker_extra="apparmor ca-certificates" ;;
  *) echo "usage: $0 with|without" >&2; exit 2 ;;
esac
docker run --rm -e DEBIAN_FRONTEND=noninteractive local/debian-systemd:13 sh -c "
  set -e; apt-get update -qq > /dev/null
  apt-get install -y -qq $flags sudo openssh-server openssh-client tzdata ufw fail2ban python3-systemd \
    unattended-upgrades $setup_extra > /dev/null
  apt-get install -y -qq $flags docker.io docker-cli docker-compose docker-buildx $docker_extra > /dev/null
  echo \"\$(dpkg-query -W -f '\${Status}\n' | grep -c ' installed\$') packages installed\""

#!/bin/sh
# Copyright: (c) 2026, pytrackdat.deploy contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
# What the server_setup role would change first: users, sudoers, sshd config, packages, firewall.
getent passwd | cut -d: -f1 | sort
find /etc/ssh/sshd_config /etc/ssh/sshd_config.d /etc/sudoers /etc/sudoers.d /root/.ssh -type f -print0 | sort -z | xargs -0 -r sha256sum
dpkg-query -W -f '${Package} ${Version}\n' | sha256sum
command -v ufw fail2ban-client || true
# what a value given to the state script unquoted would have run
ls -d /tmp/ptd-injected 2>&1 || true

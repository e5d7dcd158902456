# Copyright: (c) 2026, pytrackdat.deploy contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The figures and the report of benchmarks/multi_droplet.py (4 droplets vs 1): medians, this machine's bound, the
measured reason, and multi-droplet.md."""

from __future__ import annotations

import os
import statistics

SITES = tuple("bench%d" % n for n in range(1, 5))
COMMAND = ".venv/bin/python benchmarks/multi_droplet.py"
TARGET = 1.5
# A pair in which another job took more than this share of a run's own CPU is set aside and measured again.
OTHERS_SHARE = 0.25


def own_cpu(result):
    """This run's own CPU seconds: the controller's and its droplets' containers'."""
    return result["controller_cpu_s"] + sum(result["droplet_cpu_s"].values())


def others_cpu(result):
    """CPU seconds the machine spent beyond this run's own: the emulator, dockerd, and any other job on the same
    cores; and the run's own."""
    own = own_cpu(result)
    return result["machine_busy_s"] - own, own


def disturbed(result):
    """Whether another job took more than OTHERS_SHARE of the run's own CPU."""
    others, own = others_cpu(result)
    return others > OTHERS_SHARE * own


def summary(results, count):
    """Medians over the timed runs of one size."""
    med = statistics.median
    sites = SITES[:count]
    return {
        "wall_s": med(r["seconds"] for r in results),
        "controller_cpu_s": med(r["controller_cpu_s"] for r in results),
        "machine_busy_s": med(r["machine_busy_s"] for r in results),
        "droplet_cpu_s_per_droplet": med(sum(r["droplet_cpu_s"].values()) / count for r in results),
        "busy_cores": med(r["machine_busy_s"] / r["seconds"] for r in results),
        "own_cpu_s": med(own_cpu(r) for r in results),
        "serial_s": med(r["serial_s"] for r in results),
        "ssh_logins_per_droplet": {s: med(r["ssh_logins"].get(s, 0) for r in results) for s in sites},
        "ssh_connections_per_droplet": {s: med(r["ssh_connections"][s] for r in results) for s in sites},
        "load_1min": [r["load_avg"][0] for r in results],
    }


def pair_ratios(ones, fours):
    """Each pair on its own: a four-droplet run's wall time over the one-droplet run before it."""
    return [four["seconds"] / one["seconds"] for one, four in zip(ones, fours)]


def cpu_floor(four):
    """The four-droplet run's least wall time on this machine's cores: its serial part (start-up, inventory and the
    provision play on localhost, before the first task on a server), then the rest of its own CPU on every core."""
    return four["serial_s"] + max(0.0, four["own_cpu_s"] - four["serial_s"]) / (os.cpu_count() or 1)


def reason(one, four):
    """Why the ratio is what it is, from the CPU figures: the cores are shared by the controller, the droplets and any
    other job; this benchmark's own CPU is the controller's plus its droplets' containers'."""
    cores, floor = os.cpu_count() or 1, cpu_floor(four)
    text = ("All droplets are containers on this machine, sharing its %d cores with the controller and with any other "
            "job. Per droplet the work does not shrink with forks: the controller spent %.1f CPU s on one droplet and "
            "%.1f on four (%.1f per droplet); each droplet's containers %.1f CPU s alone and %.1f each in the "
            "four-droplet run. This benchmark's own CPU went from %.1f to %.1f s (%.2fx) and the machine was %.2f / %.2f "
            "of %d cores busy on average (one / four droplets; other jobs' share: %.1f / %.1f CPU s). Even alone on "
            "the %d cores, the four-droplet run allows no less than %.1f s wall, %.2fx the one-droplet median (its serial "
            "part, then the rest of its own CPU on every core). "
            % (cores, one["controller_cpu_s"], four["controller_cpu_s"], four["controller_cpu_s"] / 4,
               one["droplet_cpu_s_per_droplet"], four["droplet_cpu_s_per_droplet"], one["own_cpu_s"],
               four["own_cpu_s"], four["own_cpu_s"] / one["own_cpu_s"], one["busy_cores"], four["busy_cores"], cores,
               one["machine_busy_s"] - one["own_cpu_s"], four["machine_busy_s"] - four["own_cpu_s"], cores, floor,
               floor / one["wall_s"]))
    if floor / one["wall_s"] > TARGET:
        return text + "That floor alone is above %.1fx: the CPU-seconds per host add up on shared cores." % TARGET
    if four["busy_cores"] >= 0.85 * cores:
        return text + ("The cores were saturated, so the wall time follows the CPU the run gets: the CPU-seconds per host "
                       "add up, and other jobs stretch both sizes (an idle machine shows how far below this ratio it goes).")
    return text + "The cores were not saturated: part of the wall time is waiting (run_once and serial steps, SSH round trips)."


def run_rows(timed):
    rows = ["| run | droplets | wall s | controller CPU s | droplets' CPU s | machine busy CPU s | changed | "
            "SSH logins / connections per droplet | load 1/5/15 after |",
            "| --- | ---: | ---: | ---: | ---: | ---: | ---: | --- | --- |"]
    aside = timed.get("set_aside", [])
    for r in sorted(timed[1] + timed[4] + aside, key=lambda r: (int(r["label"].rsplit("-", 1)[1]), r["label"])):
        rows.append("| %s%s | %d | %.1f | %.1f | %.1f | %.1f | %d | %s | %s |" % (
            r["label"], " (set aside)" if r in aside else "", len(r["droplet_cpu_s"]), r["seconds"], r["controller_cpu_s"],
            sum(r["droplet_cpu_s"].values()), r["machine_busy_s"], sum(h.get("changed", 0) for h in r["recap"].values()),
            ", ".join("%d / %d" % (v, r["ssh_connections"][s]) for s, v in r["ssh_logins"].items()),
            " / ".join("%.2f" % x for x in r["load_avg"])))
    return rows


def settled(wait):
    """How the droplets settled before the first timed pair (multi_droplet.wait_until_idle), in words."""
    if not wait:
        return "not waited for (a run of an older multi_droplet.py)"
    return "%s after %.0f s (%.3f CPU-s per s, all droplets together)" % (
        "idle" if wait["idle"] else "still not idle", wait["waited_s"], wait["cpu_per_s"])


def render(report):
    one, four, ratio = report["n1"], report["n4"], report["ratio"]
    met, floor = ratio <= TARGET, cpu_floor(four)
    lines = [
        "# `%s` with nothing to change: 4 droplets vs 1 (issue 14)" % report["scope"], "",
        "Measured %s by `benchmarks/multi_droplet.py` in %.0f min (converging included) on the tree `%s`, on this "
        "machine: %d cores, %d MB memory, ansible.cfg forks = %s. Load average (1 min) during the timed runs: %.2f-%.2f; another job "
        "may have been running on the same cores (its CPU is in \"machine busy\")."
        % (report["measured_at"], report["total_minutes"], report.get("tree", "?"), os.cpu_count() or 1, report["memory_total_mb"],
           report["forks"], min(one["load_1min"] + four["load_1min"]), max(one["load_1min"] + four["load_1min"])),
        "", "    " + COMMAND, "",
        "Its own DigitalOcean emulator (droplets are systemd containers with nested Docker, each on its own 127.0.0.N) and four "
        "sites bench1..bench4 in one inventory (droplets pytrackdat-bench<N>, %s, host_vars per site). Converged once (site.yml "
        "on bench1, provision.yml for the other three, then the scope on all four), then timed alternately 1, 4, 1, 4 ... (%d "
        "each): `ansible-playbook -i build/bench-multi/inv-<N>/droplets.yml playbooks/%s`, inv-1 selecting bench1 by its site "
        "tag, inv-4 all four. Every timed run ended with changed=0 on every host. CPU: the controller's from getrusage of "
        "ansible-playbook and its children, each droplet's from the cgroups of its container and of the containers its own "
        "Docker runs, the machine's from /proc/stat. SSH logins: sshd's \"Accepted publickey\" lines in each droplet's journal; "
        "connections: the new TCP connections to SSH its ufw counted (a login or a probe; ufw's LIMIT refuses a 6th in 30 s)."
        % ("domains bench<N>." + report["domain_suffix"], report["pairs"], report["scope"]), "",
        "Scope: **%s**. %s" % (report["scope"], report["why"]), "",
        "Before the first timed pair the droplets' containers settled: %s." % settled(report.get("settled")), "",
        "| medians | 1 droplet | 4 droplets | 4/1 |", "| --- | ---: | ---: | ---: |",
        "| wall s | %.1f | %.1f | **%.2fx** |" % (one["wall_s"], four["wall_s"], ratio),
        "| controller CPU s | %.1f | %.1f | %.2fx |" % (one["controller_cpu_s"], four["controller_cpu_s"],
                                                        four["controller_cpu_s"] / one["controller_cpu_s"]),
        "| CPU s per droplet (its container) | %.1f | %.1f | %.2fx |" % (
            one["droplet_cpu_s_per_droplet"], four["droplet_cpu_s_per_droplet"],
            four["droplet_cpu_s_per_droplet"] / max(one["droplet_cpu_s_per_droplet"], 0.1)),
        "| machine busy CPU s (all processes) | %.1f | %.1f | %.2fx |" % (
            one["machine_busy_s"], four["machine_busy_s"], four["machine_busy_s"] / one["machine_busy_s"]),
        "| this benchmark's CPU s (controller + its droplets) | %.1f | %.1f | %.2fx |" % (
            one["own_cpu_s"], four["own_cpu_s"], four["own_cpu_s"] / one["own_cpu_s"]),
        "| cores busy on average (all processes) | %.2f | %.2f | |" % (one["busy_cores"], four["busy_cores"]),
        "| serial part: start-up, inventory, provision play, s | %.1f | %.1f | |" % (one["serial_s"], four["serial_s"]),
        "| SSH logins / new connections per droplet | %s | %s | |" % tuple(
            ", ".join("%g / %g" % (v, size["ssh_connections_per_droplet"][s])
                      for s, v in size["ssh_logins_per_droplet"].items()) for size in (one, four)),
        "", "Verdict: 4/1 = %.2fx, target <= %.1fx: **%s**." % (ratio, TARGET, "met" if met else "not met"), "",
        "This machine's bound: the serial part, then the rest of the four-droplet run's own CPU on all %d cores, allows "
        "no less than %.1f s, %.2fx the one-droplet median." % (os.cpu_count() or 1, floor, floor / one["wall_s"]), "",
        "Each pair on its own (a four-droplet run over the one-droplet run before it): %s; the verdict takes the medians."
        % ", ".join("%.2fx" % r for r in pair_ratios(report["timed"][1], report["timed"][4])), "",
        "Pairs set aside and measured again (another job took more than %d%% of a run's own CPU): %d of at most %d%s." % (
            OTHERS_SHARE * 100, len(report["timed"].get("set_aside", [])) // 2, report["remeasure"],
            "" if not report["timed"].get("set_aside") else " (%s)" % ", ".join(
                "%s: %.1f s beside %.1f s" % ((r["label"],) + others_cpu(r)) for r in report["timed"]["set_aside"])), "",
    ]
    if not met:
        lines += ["Measured reason: " + reason(one, four), ""]
    return "\n".join(lines + ["Every run:", ""] + run_rows(report["timed"])) + "\n"

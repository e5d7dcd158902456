# Copyright: (c) 2026, pytrackdat.deploy contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Start Chromium in a network namespace of its own, so that other containers coming and going cannot break it.

Chromium aborts every connection still being set up (TCP connect and TLS handshake) with ``ERR_NETWORK_CHANGED``
whenever an address or interface appears or goes on the machine. Docker adds one for each container it starts, so
while ``make test`` runs Molecule lanes beside the end-to-end lane, a page load could fail for no fault of the site
(CI, stop 31: ``Page.goto: net::ERR_NETWORK_CHANGED``). Here Chromium sees only its own loopback, which never changes.

Playwright runs it as the browser (``executable_path``: the script ``wrapper()`` writes, which runs this file with
this Python), with the environment naming the real one:
``PTD_BROWSER`` (the Chromium binary), ``PTD_BROWSER_TARGET`` (the address to reach) and ``PTD_BROWSER_PORTS``
(comma separated). In the new namespace, 127.0.0.1:<port> is forwarded byte for byte to <target>:<port> in the
machine's own namespace, so TLS stays end to end (map the site's name to 127.0.0.1 with --host-resolver-rules).
The forwarder is a child process that stays in the machine's namespace and receives the listening sockets made
in the new one; it dies with the browser. Playwright's pipes (fds 3 and 4) go to Chromium untouched.
"""
import ctypes
import fcntl
import os
import shlex
import signal
import socket
import struct
import sys
import tempfile
import threading
from pathlib import Path

CLONE_NEWNET = 0x40000000
CLONE_NEWUSER = 0x10000000
PR_SET_PDEATHSIG = 1
SIOCGIFFLAGS = 0x8913
SIOCSIFFLAGS = 0x8914
IFF_UP = 0x1
IFREQ = "16sH22x"


def _libc():
    return ctypes.CDLL(None, use_errno=True)


def _check(result, what):
    if result != 0:
        err = ctypes.get_errno()
        raise OSError(err, f"{what}: {os.strerror(err)}")


def _own_network_namespace():
    """Move this process into a new network namespace (with a user namespace when not root) and bring lo up."""
    uid, gid = os.geteuid(), os.getegid()
    flags = CLONE_NEWNET if uid == 0 else CLONE_NEWNET | CLONE_NEWUSER
    _check(_libc().unshare(flags), "unshare")
    if uid != 0:
        with open("/proc/self/setgroups", "w", encoding="ascii") as f:
            f.write("deny")
        with open("/proc/self/uid_map", "w", encoding="ascii") as f:
            f.write(f"0 {uid} 1")
        with open("/proc/self/gid_map", "w", encoding="ascii") as f:
            f.write(f"0 {gid} 1")
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as s:
        current = struct.unpack(IFREQ, fcntl.ioctl(s, SIOCGIFFLAGS, struct.pack(IFREQ, b"lo", 0)))[1]
        fcntl.ioctl(s, SIOCSIFFLAGS, struct.pack(IFREQ, b"lo", current | IFF_UP))


def _pump(source, sink):
    try:
        while data := source.recv(65536):
            sink.sendall(data)
    except OSError:
        pass
    finally:
        for sock, how in ((sink, socket.SHUT_WR), (source, socket.SHUT_RD)):
            try:
                sock.shutdown(how)
            except OSError:
                pass


def _forward(listener, target, port):
    while True:
        inside = listener.accept()[0]
        try:
            outside = socket.create_connection((target, port), timeout=30)
            outside.settimeout(None)
        except OSError:
            inside.close()
            continue
        threading.Thread(target=_pump, args=(inside, outside), daemon=True).start()
        threading.Thread(target=_pump, args=(outside, inside), daemon=True).start()


def _forwarder(channel, target, ports):
    """The child: stays in the machine's namespace, serves the listeners the browser's namespace sends over."""
    _check(_libc().prctl(PR_SET_PDEATHSIG, signal.SIGKILL, 0, 0, 0), "prctl")
    fds = socket.recv_fds(channel, 16, len(ports))[1]
    threads = [threading.Thread(target=_forward, args=(socket.socket(fileno=fd), target, port), daemon=True)
               for fd, port in zip(fds, ports)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()


def wrapper(directory):
    """Write, in `directory`, the executable Playwright starts as the browser: it runs this file with this Python."""
    path = Path(directory) / "chromium-in-own-netns"
    path.write_text(f"#!/bin/sh\nexec {shlex.quote(sys.executable)} {shlex.quote(__file__)} \"$@\"\n", encoding="utf-8")
    path.chmod(0o700)
    return path


def launch(pw, chromium, target, ports, args):
    """Chromium (the binary `chromium`, started by Playwright's `pw` with `args`) in a network namespace of its own,
    where 127.0.0.1:<port> reaches <target>:<port> for each of `ports`."""
    # (the wrapper is read when the browser starts: it may go once Playwright is connected)
    with tempfile.TemporaryDirectory() as folder:
        return pw.chromium.launch(executable_path=str(wrapper(folder)), args=args,
                                  env={**os.environ, "PTD_BROWSER": chromium, "PTD_BROWSER_TARGET": target,
                                       "PTD_BROWSER_PORTS": ",".join(str(port) for port in ports)})


def main():
    browser = os.environ["PTD_BROWSER"]
    target = os.environ["PTD_BROWSER_TARGET"]
    ports = [int(port) for port in os.environ["PTD_BROWSER_PORTS"].split(",")]
    ours, theirs = socket.socketpair(socket.AF_UNIX, socket.SOCK_STREAM)
    if os.fork() == 0:
        ours.close()
        # Playwright's pipes (and anything else inherited) belong to the browser alone.
        os.closerange(3, theirs.fileno())
        os.closerange(theirs.fileno() + 1, os.sysconf("SC_OPEN_MAX"))
        _forwarder(theirs, target, ports)
        os._exit(0)
    theirs.close()
    _own_network_namespace()
    listeners = []
    for port in ports:
        listener = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        listener.bind(("127.0.0.1", port))
        listener.listen(64)
        listeners.append(listener)
    socket.send_fds(ours, [b"listeners"], [listener.fileno() for listener in listeners])
    for listener in listeners:
        listener.close()
    ours.close()
    os.execv(browser, [browser, *sys.argv[1:]])


if __name__ == "__main__":
    main()

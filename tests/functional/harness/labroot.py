# Licensed under the Apache License, Version 2.0 (the "License"); you may
# not use this file except in compliance with the License. You may obtain
# a copy of the License at
#
#      http://www.apache.org/licenses/LICENSE-2.0
#
# Unless required by applicable law or agreed to in writing, software
# distributed under the License is distributed on an "AS IS" BASIS, WITHOUT
# WARRANTIES OR CONDITIONS OF ANY KIND, either express or implied. See the
# License for the specific language governing permissions and limitations
# under the License.
"""The Debian 13 root (tools/lab-root) that the lab's daemons run from.

Every infrastructure daemon of the lab runs chrooted into a private,
writable view of that root: an overlay whose lower layer is the shared,
never-modified root and whose upper layer lives in the test's scratch
directory. The view is mounted in a private mount namespace (a node's, or
a Host's for the loopback scenarios), with its own /proc, /sys, /run and
/tmp, /dev from the host, and the scratch directory bind-mounted at the
same path, so the files a test writes are where its configs say. Nothing
of it is visible in the host's mount table.

- path(): the root, or None if it is not built; require(): skip or fail.
- which(name): the in-root path of a binary; ids()/chown(): the root's
  users (a daemon's files must belong to the root's uid, not the host's).
- view_setup(): the shell lines that mount the view (run before chroot);
  run_once(): one command in a throwaway view.
- Host: the view on the host's network (loopback scenarios); argv()
  wraps a command to run in it. Lab nodes (harness.netns) use the same
  view through Lab.boot.
- package_versions(): the versions dpkg records inside the root.
"""

from __future__ import annotations

import functools
import itertools
import os
import shlex
import shutil
import signal
import subprocess
from pathlib import Path

import pytest

from harness import proc
from harness.tree import REPO

LAB_ROOT_TOOL = REPO / "tools" / "lab-root"
# A root built elsewhere: its path (tools/lab-root is not asked then).
ROOT_ENV = "HAGUIDE_LAB_ROOT"
# Written by tools/lab-root once the root is complete.
STAMP = ".haguide-lab-root"
REQUIRE_ENV = "HAGUIDE_REQUIRE_DAEMONS"
# Where binaries are looked up inside the root. The RabbitMQ scripts are
# called directly: /usr/sbin's wrappers switch to user rabbitmq.
SEARCH = ("usr/local/sbin", "usr/local/bin", "usr/sbin", "usr/bin", "sbin",
          "bin", "usr/lib/rabbitmq/bin")
# PATH inside the root: Debian's, without anything from the host.
PATH = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"
# Mounts the private view of the root at $m, before the chroot. $1 is the
# root, $2 the view's directory (upper, work, merged under it), $3 the
# scratch directory. /proc is a fresh instance: in a node it shows only
# the node's PID namespace.
VIEW_SETUP = """\
root=$1 view=$2 scratch=$3 m=$2/merged
mkdir -p "$view/upper" "$view/work" "$m"
mount -t overlay overlay \
    -o "lowerdir=$root,upperdir=$view/upper,workdir=$view/work" "$m"
mount -t proc proc "$m/proc"
mount -t sysfs sysfs "$m/sys" 2>/dev/null || mount --rbind /sys "$m/sys"
mount --rbind /dev "$m/dev"
mount -t tmpfs -o mode=755 tmpfs "$m/run"
mkdir -p "$m/run/lock"
mount -t tmpfs -o mode=1777 tmpfs "$m/tmp"
mkdir -p "$m$scratch"
mount --bind "$scratch" "$m$scratch"
"""
# Numbers the throwaway views of run_once.
_ONCE = itertools.count(1)
HOW_TO_BUILD = "build it with tools/lab-root ensure (as root)"


@functools.cache
def path() -> Path | None:
    """The complete lab root, or None when it is not built."""
    configured = os.environ.get(ROOT_ENV)
    if configured:
        found = Path(configured)
        return found if (found / STAMP).is_file() else None
    try:
        done = subprocess.run([str(LAB_ROOT_TOOL), "path"],
                              capture_output=True, text=True, timeout=30,
                              check=False)
    except (OSError, subprocess.TimeoutExpired):
        return None
    out = done.stdout.strip()
    return Path(out) if done.returncode == 0 and out else None


def missing_reason() -> str:
    return f"the Debian 13 lab root is not built: {HOW_TO_BUILD}"


def require() -> Path:
    """The root; skip (or with HAGUIDE_REQUIRE_DAEMONS=1 fail) without."""
    found = path()
    if found is not None:
        return found
    if os.environ.get(REQUIRE_ENV) == "1":
        pytest.fail(f"{REQUIRE_ENV}=1 and {missing_reason()}", pytrace=False)
    pytest.skip(missing_reason())


def which(name: str) -> str | None:
    """The path inside the root of the binary name (or absolute path)."""
    root = path()
    if root is None:
        return None
    if name.startswith("/"):
        return name if os.path.lexists(root / name.lstrip("/")) else None
    for directory in SEARCH:
        if os.path.lexists(root / directory / name):
            return f"/{directory}/{name}"
    return None


def _entry(database: str, name: str) -> list[str]:
    root = require()
    for line in (root / "etc" / database).read_text().splitlines():
        fields = line.split(":")
        if fields[0] == name:
            return fields
    raise AssertionError(f"the lab root has no {database} entry {name!r}")


def ids(user: str, group: str | None = None) -> tuple[int, int]:
    """uid and gid of user (and group, default its primary) in the root."""
    fields = _entry("passwd", user)
    gid = int(_entry("group", group)[2]) if group else int(fields[3])
    return int(fields[2]), gid


def chown(target: Path, user: str, group: str | None = None) -> None:
    """chown target to the root's user: daemons run with the root's ids."""
    uid, gid = ids(user, group)
    os.chown(target, uid, gid)


def view_setup(view: Path, scratch: Path) -> str:
    """Shell lines mounting the root's private view at view/merged."""
    args = " ".join(shlex.quote(str(a)) for a in (require(), view, scratch))
    return f"set -- {args}\n{VIEW_SETUP}"


def chroot_command(view: Path, script: str) -> str:
    """Shell line that runs script with bash inside the view."""
    return (f"exec chroot {shlex.quote(str(view / 'merged'))} /usr/bin/env "
            f"-i PATH={PATH} HOME=/root /bin/bash -c {shlex.quote(script)}")


def run_once(scratch: Path, argv: list[str], *, timeout: float = 60):
    """Run one command in a throwaway view of the root; its result.

    For one-off tools (key generation) outside any node: the view is
    mounted in a private mount namespace and removed afterwards.
    """
    view = scratch / f".once-{next(_ONCE)}"
    command = " ".join(shlex.quote(a) for a in argv)
    script = (f"set -e\n{view_setup(view, scratch)}"
              f"exec chroot {shlex.quote(str(view / 'merged'))} "
              f"/usr/bin/env -i PATH={PATH} HOME=/root {command}")
    try:
        return proc.run(["unshare", "--mount", "--propagation", "private",
                         "bash", "-c", script], timeout=timeout)
    finally:
        shutil.rmtree(view, ignore_errors=True)


class Host:
    """The root's view on the host's network, or in a network namespace.

    A holder process keeps a mount (and UTS) namespace with the view
    mounted and sits chrooted in it; argv() wraps a command to enter
    that namespace and root with nsenter (and the network namespace
    netns, if given). Without a PID namespace nsenter execs the command
    itself, so the PID a test gets from Daemons.start is the daemon's
    own and Daemons.kill hits it. For the loopback scenarios, and for
    nodes that need no PID namespace of their own.
    """

    HOLD = "trap 'exit 0' TERM; while sleep 1; do :; done"

    def __init__(self, workdir: Path, daemons: proc.Daemons,
                 name: str = "labroot", netns: str | None = None):
        self.workdir = workdir
        self.daemons = daemons
        self.name = name
        self.netns = netns
        self.view = workdir / f".{name}"
        self.merged = self.view / "merged"

    def start(self) -> None:
        setup = view_setup(self.view, self.workdir)
        enter = ["ip", "netns", "exec", self.netns] if self.netns else []
        self.daemons.start(self.name, [
            *enter, "unshare", "--mount", "--uts", "--propagation",
            "private", "bash", "-c", f"set -e\n{setup}\n"
            f"{chroot_command(self.view, self.HOLD)}"])
        proc.wait_for(self._ready, timeout=15,
                      what="the lab root mounted for the loopback lab")

    def _ready(self) -> bool:
        if not self.daemons.running(self.name):
            raise AssertionError(
                f"lab root view failed: {self.daemons.log(self.name)}")
        try:
            root = os.readlink(f"/proc/{self.daemons.pid(self.name)}/root")
        except OSError:
            return False
        return root == str(self.merged)

    def argv(self, argv: list[str]) -> list[str]:
        """argv run inside the root's view (host network)."""
        net = ["-n"] if self.netns else []
        return ["nsenter", "-t", str(self.daemons.pid(self.name)), *net,
                "-m", "-u", "-r", "-w", "--", "/usr/bin/env", f"PATH={PATH}",
                *argv]

    def stop(self) -> None:
        self.daemons.kill(self.name, signal.SIGTERM)


def package_versions(names: tuple[str, ...]) -> dict[str, str]:
    """Versions of the named packages as dpkg records them in the root."""
    root = path()
    if root is None:
        return {}
    # The host's dpkg-query reads the root's database; a host without dpkg
    # asks the root's own dpkg-query.
    dpkg = shutil.which("dpkg-query")
    query = ([dpkg, f"--admindir={root / 'var/lib/dpkg'}"] if dpkg else
             ["chroot", str(root), "dpkg-query"])
    versions = {}
    for name in names:
        done = subprocess.run(
            [*query, "-W", "-f", "${Version}", name],
            capture_output=True, text=True, timeout=30, check=False)
        if done.returncode == 0 and done.stdout:
            versions[name] = done.stdout
    return versions


def debian_version() -> str | None:
    """The root's /etc/debian_version (for the results' machine line)."""
    root = path()
    if root is None:
        return None
    return (root / "etc" / "debian_version").read_text().strip()

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
"""Start, watch and stop the daemons a test owns; bounded waits only."""

from __future__ import annotations

import math
import os
import signal
import subprocess
import time
from collections.abc import Callable
from pathlib import Path

# A daemon gets this long to exit after SIGTERM before it is SIGKILLed.
STOP_GRACE = 10.0
# Every subprocess.run call of the harness ends within this many seconds.
RUN_TIMEOUT = 60.0


class WaitTimeout(AssertionError):
    """A bounded wait ran out; the message says what was awaited."""


def wait_for(predicate: Callable[[], object], *, timeout: float,
             interval: float = 0.1, what: str) -> float:
    """Poll predicate until it is true; return the seconds it took.

    The loop is bounded twice: by the clock and by a poll count derived
    from it, so a predicate that blocks cannot stretch it much.
    """
    start = time.monotonic()
    for _ in range(math.ceil(timeout / interval) + 1):
        if predicate():
            return time.monotonic() - start
        if time.monotonic() - start > timeout:
            break
        time.sleep(interval)
    raise WaitTimeout(f"{what}: not reached within {timeout:g} s")


def run(argv: list[str], *, timeout: float = RUN_TIMEOUT, check=True,
        env: dict[str, str] | None = None,
        stdin: str | None = None) -> subprocess.CompletedProcess[str]:
    """Run argv (no shell) to completion; raise with its stderr if asked."""
    proc = subprocess.run(
        argv, input=stdin, capture_output=True, text=True, errors="replace",
        timeout=timeout, env=env, check=False,
        stdin=None if stdin is not None else subprocess.DEVNULL)
    if check and proc.returncode != 0:
        raise AssertionError(
            f"{' '.join(argv)} exited {proc.returncode}: "
            f"{(proc.stderr or proc.stdout).strip()[-2000:]}")
    return proc


def pid_alive(pid: int) -> bool:
    """True while pid exists and is not a zombie."""
    try:
        with open(f"/proc/{pid}/stat", encoding="ascii") as stat:
            # The state letter follows the parenthesised command name.
            return stat.read().rsplit(")", 1)[1].split()[0] != "Z"
    except (FileNotFoundError, ProcessLookupError, IndexError):
        return False


def read_pidfile(path: Path) -> int | None:
    """The PID written in path, or None while it is missing or partial."""
    try:
        text = path.read_text(encoding="ascii").strip()
    except FileNotFoundError:
        return None
    return int(text) if text.isdigit() else None


class Daemons:
    """The processes one fixture started, stopped by PID when it ends.

    Every daemon runs in the foreground as a child of the test, so the
    Popen PID is the daemon (or the unshare wrapper whose death takes the
    whole PID namespace with it). Nothing is ever looked up by name.
    """

    def __init__(self, logdir: Path):
        self.logdir = logdir
        self.procs: dict[str, subprocess.Popen] = {}
        self.stop_signals: dict[str, int] = {}

    def start(self, name: str, argv: list[str], *,
              env: dict[str, str] | None = None,
              cwd: str | None = None,
              stop_signal: int = signal.SIGTERM) -> subprocess.Popen:
        """Start argv as the daemon called name, logging to logdir/name.

        stop_signal is what stop_all sends first: SIGKILL for wrappers
        such as ``unshare --fork``, which ignores SIGTERM.
        """
        if name in self.procs and self.procs[name].poll() is None:
            raise AssertionError(f"{name} is already running")
        log = open(self.logdir / f"{name}.log", "ab")
        try:
            proc = subprocess.Popen(
                argv, stdin=subprocess.DEVNULL, stdout=log,
                stderr=subprocess.STDOUT, env=env, cwd=cwd,
                start_new_session=True)
        finally:
            log.close()
        self.procs[name] = proc
        self.stop_signals[name] = stop_signal
        return proc

    def pid(self, name: str) -> int:
        return self.procs[name].pid

    def running(self, name: str) -> bool:
        proc = self.procs.get(name)
        return proc is not None and proc.poll() is None

    def send(self, name: str, sig: int = signal.SIGKILL) -> None:
        """Send sig to the daemon's own PID (never to a group or a name)."""
        proc = self.procs[name]
        if proc.poll() is None:
            proc.send_signal(sig)

    def kill(self, name: str, sig: int = signal.SIGKILL,
             timeout: float = STOP_GRACE) -> None:
        """Signal the daemon and reap it within timeout seconds."""
        self.send(name, sig)
        try:
            self.procs[name].wait(timeout)
        except subprocess.TimeoutExpired:
            self.procs[name].kill()
            self.procs[name].wait(STOP_GRACE)

    def log(self, name: str) -> str:
        path = self.logdir / f"{name}.log"
        return path.read_text(errors="replace") if path.exists() else ""

    def stop_all(self) -> None:
        """Send each live daemon its stop signal, then SIGKILL what is left."""
        live = []
        for name, proc in self.procs.items():
            if proc.poll() is None:
                proc.send_signal(self.stop_signals[name])
                live.append(proc)
        deadline = time.monotonic() + STOP_GRACE
        for proc in live:
            try:
                proc.wait(max(0.1, deadline - time.monotonic()))
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait(STOP_GRACE)


def terminate_pid(pid: int, timeout: float = STOP_GRACE) -> None:
    """Stop a PID the test learned from its own daemon's pid file."""
    for sig in (signal.SIGTERM, signal.SIGKILL):
        try:
            os.kill(pid, sig)
        except ProcessLookupError:
            return
        try:
            wait_for(lambda: not pid_alive(pid), timeout=timeout,
                     what=f"PID {pid} to exit")
            return
        except WaitTimeout:
            continue

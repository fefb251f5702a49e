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
"""Running the real tools (haproxy -c, keepalived -t, pcs -f ...) safely.

Threat model: the checked file may be hostile, and checking it means
giving it to haproxy, keepalived, corosync, pcs and crm. So every call has
no shell, a clean environment, its own process group (killed whole on
timeout), resource limits, a timeout inside a per-file time budget, and
when confcheck runs as root it runs the tool as an unprivileged user
unless the tool needs root (network namespaces). The checkers also
neutralise the directives that make a tool run or read other files before
the tool sees the text.

``CONFCHECK_EXTERNAL=0`` makes every checker use its built-in fallback, as
on a docs builder without the binaries. ``CONFCHECK_TOOL_ROOT=DIR`` runs
the tools installed in DIR (the lab's Debian root) chrooted into it, so
files are checked by the versions the lab runs; scratch files are then
made inside DIR.
"""

from __future__ import annotations

import atexit
import contextlib
import contextvars
import functools
import grp
import json
import hashlib
import os
import pwd
import re
import select
import shutil
import signal
import subprocess
import tempfile
import threading
import time
from collections.abc import Callable, Iterator

DEFAULT_TIMEOUT = 30.0
TOOL_ROOT_VARIABLE = "CONFCHECK_TOOL_ROOT"
# Tools that must come from this machine even with a tool root: ip(8)
# manages this kernel's network namespaces.
HOST_TOOLS = ("ip",)
# Every tool confcheck may call (the validation cache key covers them).
TOOLS = ("haproxy", "keepalived", "corosync", "pcs", "crm", "crm_verify",
         "cibadmin", "openssl", "bash", "dash", "memcached",
         "rabbitmq-server", "ip")
SEARCH_DIRS = ("/usr/sbin", "/usr/bin", "/sbin", "/bin")
# The user tools run as when confcheck runs as root.
UNPRIVILEGED_USER = "nobody"
# Groups a tool needs besides: crmsh refuses to start unless it can append
# to its log, which Debian makes writable by group haclient.
TOOL_GROUPS = {"crm": ("haclient",)}
# Per-process limits (prlimit(1) options): generous for a config check,
# small enough that a hostile file cannot exhaust the machine.
LIMITS = ("--as=4294967296", "--fsize=67108864", "--nofile=1024",
          "--core=0")
# The environment a tool gets: a fixed PATH and the C locale, because
# checkers parse the tools' English messages (bash translates "line N"),
# and nothing of the caller's (OCF_ROOT, CIB_*, PCMK_*, PYTHON*).
CLEAN_ENVIRONMENT = {
    "PATH": "/usr/sbin:/usr/bin:/sbin:/bin",
    "LANG": "C.UTF-8",
    "LC_ALL": "C.UTF-8",
    "HOME": "/nonexistent",
    "TERM": "dumb",
}

_deadline: contextvars.ContextVar[tuple[float, float] | None] = (
    contextvars.ContextVar("confcheck_deadline", default=None))
# Scratch directories alive now, handed to the unprivileged user before
# each unprivileged run (their files are written by this process).
_scratch: set[str] = set()
_scratch_lock = threading.Lock()


class ExternalToolError(Exception):
    """The tool could not be run to a result; ``str(exc)`` says why."""


def tool_root() -> str | None:
    """The lab root tools are run from, or None for this machine's."""
    root = os.environ.get(TOOL_ROOT_VARIABLE, "")
    if not root:
        return None
    root = os.path.realpath(root)
    if not os.path.isdir(os.path.join(root, "usr")):
        raise ExternalToolError(
            f"{TOOL_ROOT_VARIABLE}={root} is not a root file system "
            f"(no usr/ in it)")
    return root


def available(name: str) -> str | None:
    """Path of the binary ``name`` if external checks are enabled.

    With a tool root the path is inside it (run() then chroots there).
    """
    if os.environ.get("CONFCHECK_EXTERNAL", "1") == "0":
        return None
    root = None if name in HOST_TOOLS else tool_root()
    if root is None:
        return shutil.which(name) or next(
            (p for p in (f"/usr/sbin/{name}", f"/sbin/{name}")
             if os.access(p, os.X_OK)), None)
    for directory in SEARCH_DIRS:
        path = os.path.join(root, directory.lstrip("/"), name)
        # The link target is resolved inside the root, not on this host.
        if os.path.lexists(path):
            return path
    return None


def fingerprint() -> str:
    """What the real-tool verdicts depend on besides the file.

    Which tools exist (path, size, mtime), which root they come from and
    whether this process may use network namespaces (root).
    """
    rows = [f"external={os.environ.get('CONFCHECK_EXTERNAL', '1')}",
            f"root={os.environ.get(TOOL_ROOT_VARIABLE, '')}",
            f"euid={os.geteuid() == 0}"]
    for name in TOOLS:
        try:
            path = available(name)
        except ExternalToolError as exc:
            return hashlib.sha256(str(exc).encode()).hexdigest()
        if path is None:
            rows.append(f"{name}=-")
            continue
        try:
            st = os.stat(path)
            rows.append(f"{name}={path}:{st.st_size}:{st.st_mtime_ns}")
        except OSError:
            rows.append(f"{name}={path}:?")
    return hashlib.sha256("\n".join(rows).encode()).hexdigest()


# How each checking tool says its version (crm and keepalived on stderr).
VERSION_ARGS = {"haproxy": "-v", "keepalived": "-v", "corosync": "-v",
                "pcs": "--version", "crm": "--version",
                "crm_verify": "--version"}


@functools.cache
def _version(path: str, flag: str, root: str | None) -> str:
    del root  # in the cache key: the same path may be another root's
    try:
        with scratch("confcheck-version-") as home:
            # crm insists on a writable home (cwd gives it one).
            proc = run([path, flag], timeout=DEFAULT_TIMEOUT, cwd=home,
                       budgeted=False)
    except ExternalToolError as exc:
        return f"(cannot ask: {exc})"
    said = " ".join((proc.stdout + "\n" + proc.stderr).split()[:12])
    match = re.search(r"\d+(?:\.\d+)+(?:[-~.+][\w.~+-]*)?", said)
    return match.group() if match else "(unknown)"


def version(name: str) -> tuple[str, str] | None:
    """(version, path) of the checking tool name as confcheck runs it
    (from the tool root when there is one), or None when it is absent."""
    path = available(name)
    if path is None:
        return None
    return _version(path, VERSION_ARGS.get(name, "--version"),
                    tool_root()), path


def child_environment() -> dict[str, str]:
    """The environment every tool gets (see CLEAN_ENVIRONMENT)."""
    return dict(CLEAN_ENVIRONMENT)


@contextlib.contextmanager
def budget(seconds: float) -> Iterator[None]:
    """Let every run() inside take at most seconds in total.

    Nested budgets keep the earlier deadline. Per context (thread), so
    files checked in parallel each have their own.
    """
    now = time.monotonic()
    outer = _deadline.get()
    deadline = (now + seconds, seconds)
    if outer is not None and outer[0] < deadline[0]:
        deadline = outer
    token = _deadline.set(deadline)
    try:
        yield
    finally:
        _deadline.reset(token)


def _timeout(timeout: float) -> float:
    current = _deadline.get()
    if current is None:
        return timeout
    left = current[0] - time.monotonic()
    if left <= 0:
        raise ExternalToolError(
            f"the {current[1]:g} s allowed for the tools on one file are "
            f"used up; the rest of the file was not checked by them")
    return min(timeout, left)


@contextlib.contextmanager
def scratch(prefix: str) -> Iterator[str]:
    """A private temporary directory the tools can read and write.

    Inside the tool root when there is one (a chrooted tool sees only
    that), handed to the unprivileged user when tools run as one.
    """
    root = tool_root()
    parent = None
    if root is not None:
        parent = os.path.join(root, "tmp")
        os.makedirs(parent, mode=0o1777, exist_ok=True)
    path = tempfile.mkdtemp(prefix=prefix, dir=parent)
    with _scratch_lock:
        _scratch.add(path)
    try:
        yield path
    finally:
        with _scratch_lock:
            _scratch.discard(path)
        shutil.rmtree(path, ignore_errors=True)


@functools.cache
def lasting_scratch(prefix: str, root: str | None) -> str:
    """Like scratch(), but kept until this process exits (shared files
    such as a throwaway certificate); root is tool_root() at the call."""
    parent = None if root is None else os.path.join(root, "tmp")
    if parent:
        os.makedirs(parent, mode=0o1777, exist_ok=True)
    path = tempfile.mkdtemp(prefix=prefix, dir=parent)
    atexit.register(shutil.rmtree, path, True)
    with _scratch_lock:
        _scratch.add(path)
    return path


def _unprivileged() -> tuple[int, int] | None:
    """(uid, gid) to run tools as, or None to keep this process's."""
    if os.geteuid() != 0:
        return None
    try:
        entry = pwd.getpwnam(UNPRIVILEGED_USER)
    except KeyError:
        return None
    return entry.pw_uid, entry.pw_gid


def _group_ids(tool: str, root: str | None) -> list[int]:
    """The ids of TOOL_GROUPS[tool], as the root (or this host) has them."""
    names = TOOL_GROUPS.get(tool, ())
    if not names:
        return []
    if root is None:
        found = []
        for name in names:
            with contextlib.suppress(KeyError):
                found.append(grp.getgrnam(name).gr_gid)
        return found
    try:
        with open(os.path.join(root, "etc", "group"),
                  encoding="utf-8") as fh:
            rows = [line.split(":") for line in fh]
    except OSError:
        return []
    return [int(row[2]) for row in rows
            if len(row) > 2 and row[0] in names and row[2].isdigit()]


def _hand_over(ids: tuple[int, int]) -> None:
    """Give the scratch directories to the user the tool runs as."""
    with _scratch_lock:
        tops = list(_scratch)
    for top in tops:
        for where, dirs, files in os.walk(top):
            for name in [where, *(os.path.join(where, f)
                                   for f in dirs + files)]:
                with contextlib.suppress(OSError):
                    os.lchown(name, *ids)


def inside(text: str) -> str:
    """text (a path, or a file's content naming paths) as the tools see
    it: scratch paths made in the tool root lose the root's prefix."""
    root = tool_root()
    return text if root is None else _in_root(text, root)


def exists_for_tools(path: str) -> bool:
    """Whether the tools would find path (in the tool root if any)."""
    root = tool_root()
    return os.path.lexists(path if root is None
                           else root + "/" + path.lstrip("/"))


def _in_root(value: str, root: str) -> str:
    return value.replace(root + "/", "/")


def _command(argv: list[str], prefix: list[str], cwd: str | None,
             env: dict[str, str], ids: tuple[int, int] | None, tool: str
             ) -> tuple[list[str], str | None, dict[str, str],
                        dict[str, str], tuple[int, int] | None]:
    """(final argv, cwd, env, in-root -> host paths, ids Popen drops to).

    In a tool root, chroot(8) enters it and drops to ids itself.
    """
    root = tool_root()
    back: dict[str, str] = {}
    run_as = ids
    if root is not None and argv[0].startswith(root + "/"):
        for value in [*argv, *env.values(), cwd or ""]:
            if root + "/" in value:
                back[_in_root(value, root)] = value
        head = [shutil.which("chroot") or "/usr/sbin/chroot"]
        if ids is not None:
            head.append(f"--userspec={ids[0]}:{ids[1]}")
            groups = _group_ids(tool, root)
            head.append("--groups=" + ",".join(
                map(str, groups or [ids[1]])))
        head.append(root)
        if cwd is not None:
            # chroot(8) starts in the new /; env(1) moves to the copy.
            head += ["/usr/bin/env", f"--chdir={_in_root(cwd, root)}"]
            cwd = None
        argv = head + [_in_root(a, root) for a in argv]
        env = {k: _in_root(v, root) for k, v in env.items()}
        run_as = None
    limits = shutil.which("prlimit")
    if limits:
        prefix = [limits, *LIMITS, "--", *prefix]
    return [*prefix, *argv], cwd, env, back, run_as


def _spawn(argv: list[str], *, cwd: str | None, env: dict[str, str] | None,
           prefix: list[str] | None, privileged: bool, stdin_pipe: bool,
           text: bool, tool: str | None = None
           ) -> tuple[subprocess.Popen, dict[str, str]]:
    """Start argv sandboxed (see the module docstring); tool names the
    tool for TOOL_GROUPS when argv[0] is its interpreter."""
    name = tool or os.path.basename(argv[0])
    full_env = child_environment()
    if cwd is not None:
        # Tools written in Python (crmsh) insist on a writable home, and
        # their temporary files (crm_diff's, pcs's CIB copies) must die
        # with the check's scratch directory, not stay in the root's /tmp
        # when the tool is killed at its budget.
        full_env["HOME"] = full_env["TMPDIR"] = cwd
    full_env.update(env or {})
    ids = None if privileged else _unprivileged()
    final, cwd, full_env, back, user = _command(
        argv, list(prefix or ()), cwd, full_env, ids, name)
    if ids is not None:
        _hand_over(ids)
    if cwd is None:
        # Not the caller's directory: the unprivileged user often cannot
        # enter it (root's home, a 0700 temporary directory), and haproxy
        # then fails with "Impossible to get back to initial directory".
        cwd = "/"
    try:
        proc = subprocess.Popen(
            final, stdin=subprocess.PIPE if stdin_pipe
            else subprocess.DEVNULL, stdout=subprocess.PIPE,
            stderr=subprocess.PIPE, text=text,
            errors="replace" if text else None, cwd=cwd,
            env=full_env, start_new_session=True,
            user=user[0] if user else None,
            group=user[1] if user else None,
            extra_groups=_group_ids(name, None) if user else None)
    except FileNotFoundError:
        raise ExternalToolError(f"{name}: not installed") from None
    except OSError as exc:
        raise ExternalToolError(
            f"{name}: cannot run: {exc.strerror}") from None
    return proc, back


def _kill(proc: subprocess.Popen) -> None:
    # The whole group: crm and pcs start children of their own.
    with contextlib.suppress(ProcessLookupError):
        os.killpg(proc.pid, signal.SIGKILL)


def _outside(text: str, back: dict[str, str]) -> str:
    """text with in-root paths shown as this machine's paths."""
    for inside, outside in sorted(back.items(), key=lambda i: -len(i[0])):
        text = text.replace(inside, outside)
    return text


def run(argv: list[str], *, timeout: float = DEFAULT_TIMEOUT,
        cwd: str | None = None, env: dict[str, str] | None = None,
        stdin: str | None = None, prefix: list[str] | None = None,
        privileged: bool = False, budgeted: bool = True
        ) -> subprocess.CompletedProcess[str]:
    """Run argv (never through a shell) and return its completed process.

    ``env`` adds to child_environment(). ``prefix`` (``ip netns exec NS``)
    runs before the tool and outside the tool root; ``privileged`` keeps
    root for tools that need it; ``budgeted=False`` is for clean-up, which
    must run even when the file's time budget is used up. The tool's
    TMPDIR is cwd, or else a directory of its own removed afterwards.
    Raises
    ExternalToolError when the tool cannot run or does not finish within
    its timeout or the file's budget.
    """
    name = os.path.basename(argv[0])
    if budgeted:
        timeout = _timeout(timeout)
    if cwd is None and "TMPDIR" not in (env or {}):
        # A private TMPDIR, removed with everything in it even when the
        # tool is killed: nothing is left in the tool root's /tmp.
        with scratch("confcheck-run-") as tmp:
            return run(argv, timeout=timeout, env={**(env or {}),
                                                   "TMPDIR": tmp},
                       stdin=stdin, prefix=prefix, privileged=privileged,
                       budgeted=budgeted)
    proc, back = _spawn(argv, cwd=cwd, env=env, prefix=prefix,
                        privileged=privileged, stdin_pipe=stdin is not None,
                        text=True)
    try:
        out, err = proc.communicate(stdin, timeout=timeout)
    except subprocess.TimeoutExpired:
        _kill(proc)
        proc.communicate()
        raise ExternalToolError(
            f"{name} did not finish within {timeout:g} s") from None
    except BaseException:
        _kill(proc)
        proc.wait()
        raise
    return subprocess.CompletedProcess(argv, proc.returncode,
                                       _outside(out, back),
                                       _outside(err, back))


def session_limit() -> int:
    """How many commands one session runs at once: one per CPU.

    A pcs or crm command keeps one CPU busy (its own code, then the
    Pacemaker tools it starts one after the other), so the commands of
    files checked at once share the CPUs instead of queueing for one.
    """
    return max(1, min(os.cpu_count() or 1, MAX_AT_ONCE))


# Commands of one session at once, whatever the CPU count: each is a
# forked copy of an imported pcs or crm.
MAX_AT_ONCE = 4


class Session:
    """A tool process kept running for many requests (shared_session()).

    Callers in several threads may use it at once: each request carries
    an id, the process answers each when its command ends, and whichever
    caller is waiting reads the answers for all of them.
    """

    def __init__(self, proc: subprocess.Popen, back: dict[str, str],
                 name: str, ids: tuple[int, int] | None) -> None:
        self.proc, self.back, self.name, self.ids = proc, back, name, ids
        self.broken = False
        self.pid = os.getpid()  # a forked copy must start its own
        self.slots = threading.BoundedSemaphore(session_limit())
        self.answers: dict[int, list] = {}
        self.changed = threading.Condition()
        self.reading = False   # a caller is reading the answers
        self.count = 0         # ids given out
        self._buffer = b""

    def call(self, words: list[str], *, cwd: str,
             env: dict[str, str] | None = None,
             timeout: float = DEFAULT_TIMEOUT, merge: bool = False
             ) -> subprocess.CompletedProcess[str]:
        """Run one command (words) in cwd with env added: one JSON line
        out, one JSON line ``[id, status, stdout, stderr]`` back (merge:
        the command's stderr interleaved into its stdout), at most
        session_limit() commands at once. The command's HOME and TMPDIR
        are cwd."""
        wait = _timeout(timeout)
        if not self.slots.acquire(timeout=wait):
            raise ExternalToolError(
                f"{self.name} was busy for {wait:g} s")
        try:
            timeout = _timeout(timeout)
            if self.broken:
                raise ExternalToolError(f"{self.name} stopped")
            try:
                return self._call(words, cwd, env or {}, timeout, merge)
            except ExternalToolError:
                # Unknown state (a command still running): never reuse.
                with self.changed:
                    self.broken = True
                    self.changed.notify_all()
                _kill(self.proc)
                raise
        finally:
            self.slots.release()

    def _call(self, words: list[str], cwd: str, env: dict[str, str],
              timeout: float, merge: bool
              ) -> subprocess.CompletedProcess[str]:
        if self.ids is not None:
            _hand_over(self.ids)  # this file's scratch directory
        back = dict(self.back)
        root = tool_root()
        if root is not None:
            for value in [*words, cwd, *env.values()]:
                if root + "/" in value:
                    back[_in_root(value, root)] = value
            words = [_in_root(w, root) for w in words]
            cwd = _in_root(cwd, root)
            env = {k: _in_root(v, root) for k, v in env.items()}
        with self.changed:
            self.count += 1
            ident = self.count
            request = json.dumps({"id": ident, "argv": words, "cwd": cwd,
                                  "env": env, "merge": merge}).encode()
            try:
                self.proc.stdin.write(request + b"\n")
                self.proc.stdin.flush()
            except OSError:
                raise ExternalToolError(f"{self.name} stopped: "
                                        f"{self._stderr()}") from None
        status, out, err = self._answer(ident, time.monotonic() + timeout,
                                        timeout)
        return subprocess.CompletedProcess(
            words, int(status), _outside(str(out), back),
            _outside(str(err), back))

    def _answer(self, ident: int, deadline: float,
                timeout: float) -> list:
        """The answer to request ident: read by this caller unless
        another is reading already (then that one hands it over)."""
        with self.changed:
            while ident not in self.answers:
                if self.broken:
                    raise ExternalToolError(f"{self.name} stopped")
                left = deadline - time.monotonic()
                if left <= 0:
                    raise ExternalToolError(
                        f"{self.name} did not answer within {timeout:g} s")
                if self.reading:
                    self.changed.wait(left)
                    continue
                self.reading = True
                self.changed.release()
                try:
                    line = self._readline(deadline, timeout)
                finally:
                    self.changed.acquire()
                    self.reading = False
                    self.changed.notify_all()
                try:
                    other, *answer = json.loads(line)
                    self.answers[int(other)] = answer
                except (ValueError, TypeError):
                    raise ExternalToolError(
                        f"{self.name} answered {line[:100]!r}") from None
            return self.answers.pop(ident)

    def _readline(self, deadline: float, timeout: float) -> str:
        fd = self.proc.stdout.fileno()
        while b"\n" not in self._buffer:
            left = deadline - time.monotonic()
            ready = select.select([fd], [], [], max(left, 0))[0]
            if not ready:
                raise ExternalToolError(
                    f"{self.name} did not answer within {timeout:g} s")
            chunk = os.read(fd, 65536)
            if not chunk:
                raise ExternalToolError(f"{self.name} stopped: "
                                        f"{self._stderr()}")
            self._buffer += chunk
        line, _, self._buffer = self._buffer.partition(b"\n")
        return line.decode("utf-8", "replace")

    def _stderr(self) -> str:
        _kill(self.proc)
        err = self.proc.stderr.read().decode("utf-8", "replace")
        return (err.strip().splitlines() or ["no message"])[-1][:200]

    def close(self) -> None:
        with contextlib.suppress(OSError):
            self.proc.stdin.close()
        try:
            self.proc.wait(timeout=5)
        except subprocess.TimeoutExpired:
            _kill(self.proc)
            self.proc.wait()


_sessions: dict[tuple, Session] = {}
_sessions_lock = threading.Lock()


def shared_session(name: str, files: dict[str, str],
                   command: Callable[[str], list[str]]) -> Session:
    """A sandboxed tool process answering JSON lines, one per process.

    For tools that cost more to start than to use (pcs imports for most
    of a second per call): started on first use and kept until this
    process exits (one per tool root), in a directory of its own into
    which files (name -> path here) are copied; command(directory) is
    its argv. A session that failed is replaced by a new one.
    """
    root = tool_root()
    with _sessions_lock:
        current = _sessions.get((name, root))
        if current is not None and current.pid != os.getpid():
            current = None  # the parent's (sphinx -j forked us)
        if current is not None and not current.broken:
            return current
        if current is not None:
            current.close()
        directory = lasting_scratch(f"confcheck-{name}-", root)
        for target, source in files.items():
            shutil.copyfile(source, os.path.join(directory, target))
        ids = _unprivileged()
        proc, back = _spawn(command(directory), cwd=directory, env=None,
                            prefix=None, privileged=False, stdin_pipe=True,
                            text=False, tool=name)
        _sessions[(name, root)] = Session(proc, back, name, ids)
        return _sessions[(name, root)]


@atexit.register
def _close_sessions() -> None:
    with _sessions_lock:
        for current in _sessions.values():
            if current.pid == os.getpid():
                current.close()
        _sessions.clear()

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
"""Shared by the pcs and crm checkers: scratch CIB files and crm_verify.

Both checkers replay a file's commands against an empty CIB on disk (never
a live cluster) and then run crm_verify on the result. Some complaints only
say that this machine is not a cluster node (no systemd, no nodes, no
quorum); ARTEFACTS lists them so they never become findings.
"""

from __future__ import annotations

import functools
import os
import re
import subprocess
from collections.abc import Callable

from confcheck import external

TIMEOUT = 30.0

# Messages that describe the scratch CIB or the build machine, not the file:
# the CIB has no nodes and no quorum, and pcs/crm say so on every call.
ARTEFACTS = tuple(re.compile(p) for p in (
    r"Validation for node existence in the cluster will be skipped",
    r"Unable to read the known-hosts file",
    r"Defaults do not apply to resources which override",
    r"lack of quorum",
    # the scratch CIB has no node state, so a remote node looks unclean
    r"is unclean but cannot be fenced",
    r"Warnings found during check: config may not be valid",
    r"Blind faith: not fencing unseen nodes",
    r"referenced node \S+ does not exist",
    r"commit forced",
    r"^-V may provide more details",
    r"Errors found during check: config not valid",
    r"Either configure some or disable STONITH",
    r"NOTE: Clusters with shared data need STONITH",
    # pcs 0.12 runs the agent's validate-all, which judges this machine
    # (IPaddr2: is nic=eth1 here?), and announces it on every create.
    r"Validating resource options using the resource agent itself",
    r"Validation result from agent",
))

# Agent classes whose metadata comes from a running systemd (PID 1 here is
# not systemd, so they can never be described on a build machine).
MACHINE_CLASSES = ("systemd:", "service:")

# What pcs says about a forced systemd resource: without metadata it
# cannot know the agent's operations either.
FORCED_NOISE = re.compile(r"is not a valid operation name value|"
                          r"is not installed or does not provide valid")

NO_METADATA = re.compile(
    r"Agent '(?P<a>[^']+)' is not installed or does not provide valid "
    r"metadata|(?P<b>\S+): (got no meta-data|no such resource agent)")

# One part of an agent name (class:provider:type). Pacemaker joins the
# parts into a path (/usr/lib/ocf/resource.d/PROVIDER/TYPE, /usr/sbin/
# TYPE) and runs it for its metadata, so a '/' or '..' in a name would
# make pcs or crm run any program on this machine.
AGENT_PART = re.compile(r"[A-Za-z0-9_+@-][A-Za-z0-9_.+@-]*\Z")

STONITH_FALSE = re.compile(r"(?i)^stonith-enabled=(false|0|no|off|n)$")
OLD_ROLE = re.compile(r"(?i)^(?:role=|[\w.-]+:)?(master|slave)$")
ANSI = re.compile(r"\x1b\[[0-9;]*m")


def shared_lints(words: tuple[str, ...]) -> list[tuple[str, str]]:
    """(rule, message) for risks pcs and crm files share: ``lsb`` agents,
    ``stonith`` disabled; each checker maps the rule to its own code."""
    found = [("lsb", f"{w}: distributions ship systemd units; use "
                     f"systemd:{w[4:]}")
             for w in words if w.startswith("lsb:")]
    if any(STONITH_FALSE.match(w) for w in words):
        found.append(("stonith", "fencing is disabled: acceptable in a lab, "
                                 "but production clusters need a fencing "
                                 "device per node"))
    return found


def unsafe_agent(agent: str) -> str | None:
    """Why agent is not a plain agent name (None when it is one)."""
    parts = agent.split(":")
    if len(parts) <= 3 and all(AGENT_PART.match(p) and ".." not in p
                               for p in parts):
        return None
    return (f"{agent!r} is not a resource agent name (letters, digits and "
            f"'._+@-' between colons, no '/' or '..'); it is not given to "
            f"the tools, which would run it as a path on this machine")


def is_artefact(message: str) -> bool:
    return any(p.search(message) for p in ARTEFACTS)


def missing_agent(message: str) -> str | None:
    """The agent a message says has no metadata here, if it says so."""
    match = NO_METADATA.search(message)
    return (match.group("a") or match.group("b")) if match else None


def machine_agent(agent: str) -> bool:
    return agent.startswith(MACHINE_CLASSES)


def binaries(*names: str) -> dict[str, str] | None:
    """Paths of all the named tools, or None if one is missing/disabled."""
    found = {n: external.available(n) for n in names}
    return None if None in found.values() else found  # type: ignore


@functools.cache
def _empty_cib(cibadmin: str) -> str:
    """cibadmin --empty's XML: the same for every file, so asked once."""
    proc = external.run([cibadmin, "--empty"], timeout=TIMEOUT)
    if proc.returncode != 0:
        raise external.ExternalToolError(
            f"cibadmin --empty failed: {proc.stderr.strip()[:200]}")
    return proc.stdout


def new_cib(directory: str, cibadmin: str, stonith_enabled: bool) -> str:
    """Write an empty CIB (fencing off unless the file configures it)."""
    xml = _empty_cib(cibadmin)
    if not stonith_enabled:
        # A file without fencing devices is a fragment of a cluster whose
        # fencing lives elsewhere; do not let the empty CIB's missing
        # fencing make crm_verify fail on it.
        xml = xml.replace(
            "<crm_config/>",
            '<crm_config><cluster_property_set id="cib-bootstrap-options">'
            '<nvpair id="cib-bootstrap-options-stonith-enabled" '
            'name="stonith-enabled" value="false"/>'
            "</cluster_property_set></crm_config>")
    path = os.path.join(directory, "cib.xml")
    with open(path, "w", encoding="utf-8") as fh:
        fh.write(xml)
    return path


# Runs pcs's and crm's commands from one process each (_tool_session.py).
SESSION_DRIVER = os.path.join(os.path.dirname(__file__),
                              "_tool_session.py")
Runner = Callable[..., subprocess.CompletedProcess]


def _interpreter(tool: str) -> list[str] | None:
    """The Python interpreter (and flags) tool's script starts with."""
    try:
        with open(tool, "rb") as fh:
            first = fh.read(256).split(b"\n", 1)[0].decode("ascii")
    except (OSError, UnicodeDecodeError):
        return None
    words = first[2:].split() if first.startswith("#!") else []
    if not words or "python" not in os.path.basename(words[0]):
        return None
    root = external.tool_root()
    if root is not None and words[0].startswith("/"):
        words[0] = root + words[0]
    return words


def runner(tool: str, tmp: str) -> Runner:
    """run(args, env=None, timeout=..., merge=False) running tool with
    args in tmp (merge: stderr interleaved into stdout, in a session).

    pcs and crm spend most of a call importing themselves, so when the
    tool is a Python script one session per confcheck process serves
    every command of every file, the commands of files checked at once
    side by side (one per CPU); otherwise each is a process of its own.
    """
    interpreter = _interpreter(tool)
    name = os.path.basename(tool)
    if interpreter is None or name not in ("pcs", "crm"):
        # merge is for crm's messages; only crm's session can honour it.
        return lambda args, env=None, timeout=TIMEOUT, merge=False: (
            external.run([tool, *args], cwd=tmp, env=env, timeout=timeout))
    session = external.shared_session(
        name, {"tool_session.py": SESSION_DRIVER},
        lambda directory: [*interpreter,
                           os.path.join(directory, "tool_session.py"),
                           name])
    return lambda args, env=None, timeout=TIMEOUT, merge=False: (
        session.call(list(args), cwd=tmp, env=env, timeout=timeout,
                     merge=merge))


def scratch_dir():
    """A scratch directory for the CIB (a context manager, see
    external.scratch)."""
    return external.scratch("confcheck-cib-")


SCHEMA_SUMMARY = "CIB did not pass schema validation"


def verify(crm_verify: str, cib: str) -> list[str]:
    """crm_verify's complaints about cib (empty when it is valid).

    Errors if there are any, else warnings: crm_verify also exits
    non-zero for warnings alone. Artefacts of the scratch CIB are dropped.
    """
    proc = external.run([crm_verify, "-V", "-x", cib], timeout=TIMEOUT)
    if proc.returncode == 0:
        return []
    found: dict[str, list[str]] = {"error": [], "warning": []}
    for raw in (proc.stdout + "\n" + proc.stderr).splitlines():
        text = re.sub(r"^\(\w+\)\s*", "", raw.strip())
        level, _, message = text.partition(":")
        if level in found and not is_artefact(message):
            found[level].append(message.strip())
    # Pacemaker 3 adds this summary after the errors that say where.
    said = [m for m in found["error"] if m != SCHEMA_SUMMARY]
    found["error"] = said or found["error"]
    if found["error"] or found["warning"]:
        return found["error"] or found["warning"]
    if any(is_artefact(line) for line in proc.stderr.splitlines()):
        return []
    return [f"crm_verify exited with status {proc.returncode}"]


def line_of(message: str, ids: dict[str, int],
            values: dict[str, int] | None = None) -> int:
    """The line a crm_verify message is about (0 when it cannot tell).

    First the line that created an id the message names, else the line
    that set a value the message quotes (``Unknown role: Sleeping``).
    """
    for table in (ids, values or {}):
        named = [line for word, line in table.items()
                 if re.search(rf"(?<![\w-]){re.escape(word)}(?![\w-])",
                              message)]
        if named:
            return min(named)
    return 0


def values_by_line(commands: list[tuple[int, tuple[str, ...]]]
                   ) -> dict[str, int]:
    """NAME=VALUE values of the commands, each with its first line."""
    found: dict[str, int] = {}
    for line, words in commands:
        for word in words:
            value = word.partition("=")[2]
            if len(value) >= 3:
                found.setdefault(value, line)
    return found


def clean(text: str) -> list[str]:
    """Output lines without colour codes and blank lines."""
    return [s for s in (ANSI.sub("", r).strip() for r in text.splitlines())
            if s]

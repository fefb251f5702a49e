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
"""crmsh configure statements: replayed with crm on a scratch CIB."""

from __future__ import annotations

import os
import re
import shlex

from confcheck import external
from confcheck.checks import _pacemaker as pm
from confcheck.checks._commands import read_commands
from confcheck.findings import Code, CodeBook, Finding

KIND = "crm"
DESCRIPTION = ("crmsh configure statements: replayed with crm on a "
               "scratch CIB, then crm_verify")

# Statements that define part of the configuration (`crm configure help`,
# crmsh 4.4.1); `ms` is accepted with a deprecation warning.
STATEMENTS = frozenset({
    "primitive", "clone", "ms", "master", "group", "colocation",
    "collocation", "order", "location", "property", "rsc_defaults",
    "op_defaults", "fencing_topology", "rsc_template", "rsc_ticket",
    "tag", "bundle", "alert", "monitor", "node", "acl_target", "role",
    "user"})

# Statements that create an object whose id is the second word.
CREATES = frozenset({"primitive", "clone", "ms", "master", "group",
                     "rsc_template", "bundle", "tag"})

# How crm names an object that does not exist (to skip the echoes of a
# definition it already refused).
MISSING_OBJECT = re.compile(r'missing object (\S+)|resource (\S+) does not '
                            r'exist|references an unknown ID "([^"]+)"')
# crm -R output: "ERROR: 5: text" (5 = line of crm's input script).
MESSAGE = re.compile(r"^(ERROR|WARNING|INFO): (?:(\d+): )?(.*)")
# crmsh 5's answer when a commit is refused: the refused object stays in
# its pending changes, so every later commit of that crm fails the same.
REFUSED_COMMIT = "could not replace cib"

CODES = CodeBook(
    Code("CRM001", "error", "crm rejects the statement",
         bad="primitive vip ocf:heartbeat:IPaddr2 params ipx=10.0.0.11",
         good="primitive vip ocf:heartbeat:IPaddr2 params ip=10.0.0.11",
         lexer="text",
         why="Pacemaker turns the agent name into a path and runs it, so "
             "a name with '/' or '..' runs any program; crm would do so "
             "on the node too."),
    Code("CRM002", "error",
         "crm_verify rejects the CIB after the last statement",
         bad="primitive vip ocf:heartbeat:IPaddr2 params ip=10.0.0.11 "
             "\\\n  meta target-role=Sleeping",
         good="primitive vip ocf:heartbeat:IPaddr2 params ip=10.0.0.11 "
              "\\\n  meta target-role=Stopped", lexer="text",
         why="Pacemaker refuses or misreads a CIB crm_verify finds invalid, "
             "so the resources the statements describe do not run as "
             "written."),
    Code("CRM003", "warning", "crm warns about the statement",
         bad="primitive vip ocf:heartbeat:IPaddr2 params ip=10.0.0.11 "
             "\\\n  op monitor interval=10s timeout=5s",
         good="primitive vip ocf:heartbeat:IPaddr2 params ip=10.0.0.11 "
              "\\\n  op monitor interval=10s timeout=20s", lexer="text",
         why="crm accepts the statement but warns, most often about a "
             "deprecated form or a value Pacemaker will treat differently "
             "from what is written."),
    Code("CRM004", "warning",
         "The resource agent is not installed here, so not validated",
         bad="primitive keystone ocf:openstack:keystone",
         good="primitive vip ocf:heartbeat:IPaddr2 params ip=10.0.0.11",
         lexer="text",
         why="Pacemaker turns the agent name into a path and runs it, so "
             "a name with '/' or '..' runs any program; crm would do so "
             "on the node too."),
    Code("CRM005", "error", "Unknown configure statement",
         bad="resource vip ocf:heartbeat:IPaddr2 params ip=10.0.0.11",
         good="primitive vip ocf:heartbeat:IPaddr2 params ip=10.0.0.11",
         lexer="text",
         why="Pacemaker turns the agent name into a path and runs it, so "
             "a name with '/' or '..' runs any program; crm would do so "
             "on the node too."),
    Code("CRM006", "error", "The statement cannot be split into words",
         bad="primitive web ocf:heartbeat:apache params "
             "configfile='/etc/apache2.conf",
         good="primitive web ocf:heartbeat:apache params "
              "configfile=/etc/apache2/apache2.conf", lexer="text",
         why="crm splits statements like a shell; an unbalanced quote makes "
             "it read a different statement or refuse it."),
    Code("CRM007", "warning",
         "crm could not be run; only the built-in checks were done",
         bad="(crm timed out)", good="(crm answered)", lexer="text",
         why="Only the built-in checks ran, so what crm and crm_verify would "
             "reject is not known; check again where crmsh and Pacemaker are "
             "installed."),
    Code("CRM090", "error",
         "Resource agent name with a path in it (refused)",
         bad="primitive vip ocf:../../../tmp:IPaddr2 params ip=10.0.0.11",
         good="primitive vip ocf:heartbeat:IPaddr2 params ip=10.0.0.11",
         lexer="text",
         why="Pacemaker turns the agent name into a path and runs it, so "
             "a name with '/' or '..' runs any program; crm would do so "
             "on the node too."),
    Code("CRM101", "warning",
         "Master/slave resources are promotable clones now",
         bad="ms galera-master galera meta master-max=3",
         good="clone galera-clone galera meta promotable=true "
              "promoted-max=3", lexer="text",
         why="Pacemaker 2.0 deprecated master/slave resources in favour of "
             "promotable clones; new tools and schemas drop the old form."),
    Code("CRM102", "warning", "LSB init scripts: use the systemd unit",
         bad="primitive lb-haproxy lsb:haproxy",
         good="primitive lb-haproxy systemd:haproxy", lexer="text",
         why="Many init scripts do not return the LSB status codes Pacemaker "
             "relies on, so monitors report wrong states; the systemd unit is "
             "what the distribution maintains."),
    Code("CRM103", "warning",
         "Roles are Promoted/Unpromoted since Pacemaker 2.1",
         bad="colocation vip-with-galera inf: vip galera-clone:Master",
         good="colocation vip-with-galera inf: vip galera-clone:Promoted",
         lexer="text",
         why="Pacemaker 2.1 renamed the Master and Slave roles to Promoted "
             "and Unpromoted; the old names are deprecated and will stop "
             "working."),
    Code("CRM104", "warning",
         "Clone colocated with a single resource (inverted)",
         bad="colocation haproxy-with-vip inf: lb-haproxy-clone vip",
         good="colocation vip-with-haproxy inf: vip lb-haproxy-clone",
         lexer="text",
         why="A colocation places its first resource where the second runs: a "
             "clone placed with a single resource runs on that one node only, "
             "so a failover must first start the service elsewhere."),
    Code("CRM105", "warning", "Fencing disabled: mandatory in production",
         bad="property stonith-enabled=false",
         good="primitive fence-controller1 stonith:fence_ipmilan ...",
         lexer="text",
         why="Without fencing Pacemaker cannot make sure a lost node has "
             "stopped its resources, so two nodes may hold the same VIP or "
             "write to the same database."),
)


def check(text: str, path: str) -> list[Finding]:
    findings: list[Finding] = []
    replay: list[tuple[int, tuple[str, ...]]] = []
    clones: set[str] = set()
    for cmd in read_commands(text):
        if cmd.error:
            findings.append(CODES.finding(path, cmd.line, "CRM006",
                                          cmd.error))
            continue
        words = _strip_crm(cmd.words)
        if not words:
            continue
        if words[0] in ("clone", "ms", "master") and len(words) > 1:
            clones.add(words[1])
        static = _static(path, cmd.line, words, clones)
        findings.extend(static)
        if not any(f.severity == "error" for f in static):
            replay.append((cmd.line, words))
    tools = pm.binaries("crm", "cibadmin", "crm_verify")
    if tools and replay:
        findings.extend(_replay(path, replay, tools, findings))
    return findings


def _strip_crm(words: tuple[str, ...]) -> tuple[str, ...]:
    """Drop a leading 'crm [-F] configure' the author may have written."""
    out = list(words)
    if out[:1] == ["crm"]:
        out = [w for w in out[1:] if w not in ("-F", "--force")]
    if out[:1] == ["configure"]:
        out = out[1:]
    return tuple(out)


def _static(path: str, line: int, words: tuple[str, ...],
            clones: set[str]) -> list[Finding]:
    """Stale syntax and risky settings, found without running crm."""
    found = []

    def add(code: str, message: str) -> None:
        found.append(CODES.finding(path, line, code, message))

    if words[0] not in STATEMENTS:
        add("CRM005", f"unknown configure statement {words[0]!r} (known: "
                      f"{', '.join(sorted(STATEMENTS))})")
        return found
    if words[0] in ("primitive", "rsc_template") and len(words) > 2 and (
            not words[2].startswith("@")) and pm.unsafe_agent(words[2]):
        add("CRM090", pm.unsafe_agent(words[2]))
        return found
    if words[0] in ("ms", "master"):
        add("CRM101", "'ms' is deprecated: write 'clone ID RSC meta "
                      "promotable=true'")
    if words[0] in ("colocation", "collocation", "order", "location") and (
            any(pm.OLD_ROLE.match(w) for w in words[2:])) or any(
            re.match(r"(?i)role=(master|slave)$", w) for w in words):
        add("CRM103", "Master/Slave roles are Promoted/Unpromoted since "
                      "Pacemaker 2.1")
    rules = {"lsb": "CRM102", "stonith": "CRM105"}
    for rule, message in pm.shared_lints(words):
        add(rules[rule], message)
    if words[0] in ("colocation", "collocation") and len(words) == 5:
        dependent, anchor = (w.split(":")[0] for w in words[3:5])
        # With a role (galera-clone:Promoted vip) one instance is meant.
        def is_clone(ident: str) -> bool:
            return ident in clones or ident.endswith("-clone")

        if is_clone(dependent) and not is_clone(anchor) and (
                ":" not in words[3]):
            add("CRM104", f"'{words[3]} {words[4]}' places the clone where "
                          f"{anchor} runs, so only one instance can start; "
                          f"list {anchor} first")
    return found


def _replay(path: str, replay: list[tuple[int, tuple[str, ...]]],
            tools: dict[str, str],
            static: list[Finding]) -> list[Finding]:
    """Commit the statements to one scratch CIB, then crm_verify it.

    First all of them with one commit, as ``crm configure load update``
    does on a node; only when crm has something to say are they replayed
    again, each followed by its own commit, so that what a commit
    reports is filed at its statement's line. Each commit runs half a
    dozen Pacemaker tools (cibadmin, crm_diff, crm_verify, crm_mon), so
    a file crm accepts costs one commit, not one per statement.
    """
    linted = {f.line for f in static}
    batch = _Batch(path, linted)
    fencing = any(w[0] == "primitive" and len(w) > 2
                  and w[2].startswith("stonith:") for _, w in replay)
    try:
        with pm.scratch_dir() as tmp:
            cib = pm.new_cib(tmp, tools["cibadmin"], fencing)
            env = {"CIB_file": cib}
            run = pm.runner(tools["crm"], tmp)
            if batch.run(replay, run, tmp, env, commit_each=False) != len(
                    replay) or not batch.quiet():
                # Again from an empty CIB, a commit per statement.
                batch = _Batch(path, linted)
                cib = pm.new_cib(tmp, tools["cibadmin"], fencing)
                pending = list(replay)
                while pending:   # each run consumes at least one statement
                    pending = pending[batch.run(pending, run, tmp, env):]
            values = pm.values_by_line(replay)
            ids = {w[1]: line for line, w in reversed(replay)
                   if w[0] in CREATES and len(w) > 1}
            for message in pm.verify(tools["crm_verify"], cib):
                if message in batch.seen:
                    continue  # crm's own commit reported it at its line
                batch.findings.append(CODES.finding(
                    path, pm.line_of(message, ids, values), "CRM002",
                    f"crm_verify: {message}"))
    except external.ExternalToolError as exc:
        batch.findings.append(CODES.finding(path, 0, "CRM007", str(exc)))
    return batch.findings


class _Batch:
    """Runs statements through one crm process and files its messages.

    One crm call costs over a second, so every statement goes into one
    script ("configure", then the statements, with a "commit" after each
    or after the last); with -R crm echoes each input line (".INP: ...")
    and numbers its messages with the script line, which maps them back
    to the file's lines.
    """

    def __init__(self, path: str, linted: set[int]) -> None:
        self.path = path
        self.linted = linted          # lines the built-in lints reported
        self.findings: list[Finding] = []
        self.seen: set[str] = set()   # crm repeats old complaints
        self.failed: set[str] = set()  # ids crm refused to create
        self.echoes: set[int] = set()  # lines that only hit such ids
        # A warning left out because a lint reported its line: filed at
        # the last statement by a single commit, it may belong elsewhere.
        self.under_lint = False

    def run(self, pending: list[tuple[int, tuple[str, ...]]],
            crm: pm.Runner, tmp: str, env: dict[str, str],
            commit_each: bool = True) -> int:
        """Replay pending, each statement followed by a commit or (not
        commit_each) all with one commit at the end, which speaks for the
        last statement; return how many statements crm got through."""
        owner: list[tuple[int, tuple[str, ...], bool]] = [(0, (), True)]
        for line, words in pending:
            owner.append((line, words, False))
            if commit_each:
                owner.append((line, words, True))
        if not commit_each:
            owner.append((*pending[-1], True))
        script = os.path.join(tmp, "statements.crm")
        commit = "commit\n"
        with open(script, "w", encoding="utf-8") as fh:
            fh.write("configure\n" + "".join(
                f"{shlex.join(w)}\n{commit if commit_each else ''}"
                for _, w in pending) + ("" if commit_each else commit))
        # Merged: crmsh 5 numbers no message, so only the order of its
        # messages among the echoed input lines tells whose they are.
        proc = crm(["-F", "-R", "-f", script], env=env,
                   timeout=pm.TIMEOUT + 3 * len(pending), merge=True)
        errors: dict[int, list[str]] = {}
        current = 0
        for text in pm.clean(proc.stdout + "\n" + proc.stderr):
            if text.startswith(".INP:"):
                current += 1
                continue
            match = MESSAGE.match(text)
            if not match:
                continue
            number = int(match.group(2) or current)
            if 1 <= number <= len(owner):
                where = owner[number - 1]
                self._message(match.group(1), match.group(3), where,
                              errors)
                if REFUSED_COMMIT in match.group(3) and where[2]:
                    current = number  # the rest go to a fresh crm
                    break
        for line, messages in errors.items():
            self.findings.append(CODES.finding(self.path, line, "CRM001",
                                               "; ".join(messages)))
        if current >= len(owner):
            return len(pending)
        # crm stopped early (it can crash on a rejected commit): the
        # statement it was on failed; the rest go to a fresh crm.
        line, words, _ = owner[max(current, 1) - 1]
        done = next(i for i, (ln, _) in enumerate(pending) if ln == line
                    ) + 1 if line else 1
        if line and line not in errors and line not in self.echoes:
            said = pm.clean(proc.stdout + "\n" + proc.stderr) or [
                "no output"]
            reason = next((s for s in said if s.startswith("Call failed:")),
                          said[-1])
            self.findings.append(CODES.finding(
                self.path, line, "CRM001", f"crm stopped here: {reason}"))
        self._refused(words)
        return done

    def quiet(self) -> bool:
        """Whether crm said nothing that is filed (nor refused anything)."""
        return not (self.findings or self.failed or self.echoes
                    or self.under_lint)

    def _message(self, level: str, message: str,
                 where: tuple[int, tuple[str, ...], bool],
                 errors: dict[int, list[str]]) -> None:
        line, words, at_commit = where
        # crm runs crm_verify at each commit: "(func) \terror: text"
        message = re.sub(r"^\(\w+\)\s*(error|warning):\s*", "",
                         message.strip())
        if level == "INFO" or message in self.seen or not line:
            return
        self.seen.add(message)
        if pm.is_artefact(message) or (
                message == "CIB did not pass schema validation"
                and line in self.echoes):
            return
        agent = pm.missing_agent(message)
        if agent:
            if not pm.machine_agent(agent):
                self.findings.append(CODES.finding(
                    self.path, line, "CRM004", f"agent {agent} is not "
                    "installed on this machine; its parameters were not "
                    "checked"))
            return
        missing = MISSING_OBJECT.search(message)
        if missing and (set(missing.groups()) & self.failed) or (
                REFUSED_COMMIT in message and at_commit
                and {w.split(":")[0] for w in words[2:]} & self.failed):
            self.echoes.add(line)
            return  # reported where that object was defined
        if level == "ERROR":
            errors.setdefault(line, []).append(message)
            if not at_commit:   # refused while parsing: nothing created
                self._refused(words)
        elif line not in self.linted:
            self.findings.append(CODES.finding(self.path, line, "CRM003",
                                               message))
        else:
            self.under_lint = True

    def _refused(self, words: tuple[str, ...]) -> None:
        if words and words[0] in CREATES and len(words) > 1:
            self.failed.add(words[1])

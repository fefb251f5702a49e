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
"""pcs command files: replayed with ``pcs -f`` on a scratch CIB."""

from __future__ import annotations

import os
import re
import shlex

from confcheck import external
from confcheck.checks import _pacemaker as pm
from confcheck.checks._commands import read_commands
from confcheck.findings import Code, CodeBook, Finding

KIND = "pcs"
DESCRIPTION = ("pcs commands, one per line: replayed with pcs -f on a "
               "scratch CIB, then crm_verify")

# `pcs --help` of pcs 0.11.5 (Debian 12).
SUBCOMMANDS = frozenset({
    "cluster", "resource", "stonith", "constraint", "property", "acl",
    "qdevice", "quorum", "booth", "status", "config", "pcsd", "host",
    "node", "alert", "client", "dr", "tag"})

# Subcommands that edit the CIB and so can be replayed on a file; the
# others (host auth, status) need a live cluster, except 'cluster setup',
# which writes a corosync.conf of its own (--corosync_conf) offline.
REPLAYABLE = frozenset({"resource", "stonith", "constraint", "property",
                        "acl", "alert", "tag", "node"})
SETUP = ("cluster", "setup")

# pcs's own answers when a command cannot work on a CIB file at all.
NOT_ON_A_FILE = re.compile(
    r"option '-f' is not supported|options .*'-f'.* are not supported|"
    r"When '-f' is specified")
MISSING_RESOURCE = re.compile(r"Resource '([^']+)' does not exist")
# pcs before 0.12 (0.11.5 of Debian 12) reads a location rule only as
# separate words and refuses the single string pcs 0.12 asks for.
RULE_AS_WORDS = re.compile(r"is not a valid rule expression")
# Options between 'rule' and the expression (pcs constraint location).
RULE_OPTIONS = ("id=", "constraint-id=", "resource-discovery=", "role=",
                "score=", "score-attribute=")

ROLE_WORDS = frozenset({"promoted", "unpromoted", "started", "stopped",
                        "master", "slave"})

CODES = CodeBook(
    Code("PCS001", "error", "pcs rejects the command",
         bad="pcs resource create vip ocf:heartbeat:IPaddr2 ipx=10.0.0.11",
         good="pcs resource create vip ocf:heartbeat:IPaddr2 ip=10.0.0.11",
         lexer="shell",
         why="The command fails when run, so the resource or constraint it "
             "should create is missing from the cluster."),
    Code("PCS002", "error", "crm_verify rejects the resulting CIB",
         bad="pcs resource create vip ocf:heartbeat:IPaddr2 ip=10.0.0.11 "
             "\\\n  meta target-role=Sleeping",
         good="pcs resource create vip ocf:heartbeat:IPaddr2 ip=10.0.0.11 "
              "\\\n  meta target-role=Stopped",
         lexer="shell",
         why="Pacemaker refuses or misreads a CIB crm_verify finds invalid, "
             "so the resources the commands create do not run as written."),
    Code("PCS003", "warning", "pcs warns about the command",
         bad="pcs stonith create fence1 fence_ipmilan ipaddr=10.0.1.12 "
             "\\\n  login=admin passwd=IPMI_PASS pcmk_host_list=controller1",
         good="pcs stonith create fence1 fence_ipmilan ip=10.0.1.12 "
              "\\\n  username=admin password=IPMI_PASS "
              "pcmk_host_list=controller1",
         lexer="shell",
         why="pcs accepts the command but warns, most often about a "
             "deprecated form or a value it will treat differently from what "
             "is written."),
    Code("PCS004", "warning",
         "The resource agent is not installed here, so not validated",
         bad="pcs resource create keystone ocf:openstack:keystone",
         good="pcs resource create vip ocf:heartbeat:IPaddr2 ip=10.0.0.11",
         lexer="shell",
         why="The agent's parameters could not be checked here, so a misspelt "
             "one shows only when the node runs the command."),
    Code("PCS005", "error", "Unknown pcs subcommand",
         bad="pcs resources create vip ...",
         good="pcs resource create vip ...", lexer="shell",
         why="pcs refuses the command, so nothing is configured."),
    Code("PCS006", "error", "The command cannot be split into words",
         bad="pcs resource create web ocf:heartbeat:apache "
             "configfile='/etc/apache2.conf",
         good="pcs resource create web ocf:heartbeat:apache "
              "configfile=/etc/apache2/apache2.conf",
         lexer="shell",
         why="The shell would split the command differently from what is "
             "written, or refuse it, so it does not run as intended."),
    Code("PCS007", "warning",
         "pcs could not be run; only the built-in checks were done",
         bad="(pcs timed out)", good="(pcs answered)", lexer="text",
         why="Only the built-in checks ran; pcs and crm_verify may still "
             "reject the commands where they are installed."),
    Code("PCS090", "error",
         "Resource agent name with a path in it (refused)",
         bad="pcs resource create vip ocf:../../../tmp:IPaddr2 "
             "ip=10.0.0.11",
         good="pcs resource create vip ocf:heartbeat:IPaddr2 ip=10.0.0.11",
         lexer="shell",
         why="Pacemaker turns the agent name into a path and runs it, so "
             "a name with '/' or '..' runs any program; pcs would do so "
             "on the node too."),
    Code("PCS101", "error", "--clone was replaced by the clone keyword",
         bad="pcs resource create lb-haproxy systemd:haproxy --clone",
         good="pcs resource create lb-haproxy systemd:haproxy clone "
              "interleave=true", lexer="shell",
         why="pcs 0.10 replaced the --clone flag with the clone keyword; "
             "current pcs refuses the old form, so the resource is not "
             "created."),
    Code("PCS102", "error", "pcs takes agent options without 'params'",
         bad="pcs resource create vip ocf:heartbeat:IPaddr2 params "
             "ip=10.0.0.11",
         good="pcs resource create vip ocf:heartbeat:IPaddr2 ip=10.0.0.11",
         lexer="shell",
         why="pcs reads the words after the agent as its parameters; 'params' "
             "is crm syntax, so the command does not do what it says."),
    Code("PCS103", "error", "'pcs cluster auth' became 'pcs host auth'",
         bad="pcs cluster auth controller1 controller2 -u hacluster",
         good="pcs host auth controller1 controller2 -u hacluster",
         lexer="shell",
         why="pcs 0.10 replaced 'pcs cluster auth' with 'pcs host auth'; the "
             "old command fails on current pcs."),
    Code("PCS104", "error", "'pcs cluster setup' takes the name first",
         bad="pcs cluster setup --name openstack controller1 controller2",
         good="pcs cluster setup openstack controller1 addr=10.0.0.12 "
              "controller2 addr=10.0.0.13", lexer="shell",
         why="Since pcs 0.10 'pcs cluster setup' takes the cluster name as "
             "its first word; the --name form fails."),
    Code("PCS105", "warning", "LSB init scripts: use the systemd unit",
         bad="pcs resource create lb-haproxy lsb:haproxy clone",
         good="pcs resource create lb-haproxy systemd:haproxy clone",
         lexer="shell",
         why="Many init scripts do not return the LSB status codes Pacemaker "
             "relies on, so monitors report wrong states; the systemd unit is "
             "what the distribution maintains."),
    Code("PCS106", "error",
         "Master/slave resources are promotable clones now",
         bad="pcs resource master galera-master galera",
         good="pcs resource promotable galera", lexer="shell",
         why="pcs replaced 'resource master' with promotable clones (pcs "
             "0.10); current pcs refuses the old command."),
    Code("PCS107", "warning", "Roles are Promoted/Unpromoted since "
         "Pacemaker 2.1",
         bad="pcs constraint colocation add master galera-clone with vip",
         good="pcs constraint colocation add Promoted galera-clone "
              "with vip", lexer="shell",
         why="Pacemaker 2.1 renamed the Master and Slave roles to Promoted "
             "and Unpromoted; the old names are deprecated and will stop "
             "working."),
    Code("PCS108", "warning",
         "Clone colocated with a single resource (inverted)",
         bad="pcs constraint colocation add lb-haproxy-clone with vip",
         good="pcs constraint colocation add vip with lb-haproxy-clone",
         lexer="shell",
         why="A colocation places its first resource where the second runs: a "
             "clone placed with a single resource runs on that one node only, "
             "so a failover must first start the service elsewhere."),
    Code("PCS109", "warning",
         "Fencing disabled: mandatory in production",
         bad="pcs property set stonith-enabled=false",
         good="pcs stonith create fence-controller1 fence_ipmilan ...",
         lexer="shell",
         why="Without fencing Pacemaker cannot make sure a lost node has "
             "stopped its resources, so two nodes may hold the same VIP or "
             "write to the same database."),
)


def check(text: str, path: str) -> list[Finding]:
    commands = read_commands(text)
    findings: list[Finding] = []
    replay: list[tuple[int, tuple[str, ...]]] = []
    clones: set[str] = set()
    skipped: set[str] = set()  # created by commands already in error
    for cmd in commands:
        if cmd.error:
            findings.append(CODES.finding(path, cmd.line, "PCS006",
                                          cmd.error))
            continue
        words = _strip_pcs(cmd.words)
        if not words:
            continue
        clones.update(_clones(words))
        static = _static(path, cmd.line, words, clones)
        findings.extend(static)
        if any(f.severity == "error" for f in static):
            skipped.update(_created(words))
        elif words[0] in REPLAYABLE or words[:2] == SETUP:
            replay.append((cmd.line, words))
    tools = pm.binaries("pcs", "cibadmin", "crm_verify")
    if tools and replay:
        findings.extend(_replay(path, replay, tools, skipped))
    return findings


def _strip_pcs(words: tuple[str, ...]) -> tuple[str, ...]:
    """Drop a leading 'pcs' and any '-f FILE' the author wrote."""
    out = list(words[1:] if words and words[0] == "pcs" else words)
    while len(out) >= 2 and out[0] == "-f":
        del out[:2]
    return tuple(out)


def _created(words: tuple[str, ...]) -> list[str]:
    """Ids a command creates (resource, fence device, group, clone)."""
    if len(words) >= 3 and words[1] == "create" and words[0] in (
            "resource", "stonith"):
        return [words[2], *_clones(words)]
    if words[:3] == ("resource", "group", "add") and len(words) > 3:
        return [words[3]]
    return list(_clones(words))


def _agent(words: tuple[str, ...]) -> str | None:
    """The agent a resource/stonith create or describe names, if any."""
    if words[0] not in ("resource", "stonith"):
        return None
    positional = [w for w in words[1:] if not w.startswith("-")]
    if positional[:1] == ["create"] and len(positional) > 2:
        return positional[2]
    if positional[:1] == ["describe"] and len(positional) > 1:
        return positional[1]
    return None


def _clones(words: tuple[str, ...]) -> list[str]:
    if words[:2] in (("resource", "clone"), ("resource", "promotable")):
        return [words[2] + "-clone"] if len(words) > 2 else []
    if words[:2] == ("resource", "create") and len(words) > 2 and (
            {"clone", "--clone", "promotable"} & set(words)):
        return [words[2] + "-clone"]
    return []


def _static(path: str, line: int, words: tuple[str, ...],
            clones: set[str]) -> list[Finding]:
    """Stale syntax and risky settings, found without running pcs."""
    found = []

    def add(code: str, message: str) -> None:
        found.append(CODES.finding(path, line, code, message))

    if words[0] not in SUBCOMMANDS:
        add("PCS005", f"unknown pcs subcommand {words[0]!r} (known: "
                      f"{', '.join(sorted(SUBCOMMANDS))})")
        return found
    agent = _agent(words)
    if agent is not None and pm.unsafe_agent(agent):
        add("PCS090", pm.unsafe_agent(agent))
    if "--clone" in words:
        add("PCS101", "pcs 0.10 and later reject --clone; put the "
                      "positional keyword 'clone' after the options")
    if words[1:2] == ("create",) and "params" in words:
        add("PCS102", "'params' is crmsh syntax; pcs takes NAME=VALUE "
                      "options straight after the agent")
    if words[:2] == ("cluster", "auth"):
        add("PCS103", "'pcs cluster auth' was removed in pcs 0.10; use "
                      "'pcs host auth NODE... -u hacluster'")
    if words[:2] == ("cluster", "setup") and "--name" in words:
        add("PCS104", "pcs 0.10 and later take 'pcs cluster setup NAME "
                      "NODE [addr=IP]...' without --name")
    if words[:2] == ("resource", "master") or "--master" in words:
        add("PCS106", "master/slave resources became promotable clones: "
                      "'pcs resource promotable' or 'promotable' on "
                      "create")
    elif any(re.match(r"(?i)role=(master|slave)$", w) for w in words) or (
            words[0] == "constraint"
            and any(pm.OLD_ROLE.match(w) for w in words[1:])):
        add("PCS107", "Master/Slave roles are Promoted/Unpromoted since "
                      "Pacemaker 2.1")
    rules = {"lsb": "PCS105", "stonith": "PCS109"}
    for rule, message in pm.shared_lints(words):
        add(rules[rule], message)
    inverted = _inverted_colocation(words, clones)
    if inverted:
        add("PCS108", inverted)
    return found


def _inverted_colocation(words: tuple[str, ...],
                         clones: set[str]) -> str | None:
    if words[:3] != ("constraint", "colocation", "add"):
        return None
    rest = list(words[3:])
    # With a role (Promoted galera-clone with vip) one instance is meant.
    if "with" not in rest or rest.index("with") != 1 or len(rest) < 3 or (
            rest[0].lower() in ROLE_WORDS):
        return None
    rest = [w for w in rest if w.lower() not in ROLE_WORDS]
    dependent, anchor = rest[0], rest[2]

    def is_clone(ident: str) -> bool:
        return ident in clones or ident.endswith("-clone")

    if is_clone(dependent) and not is_clone(anchor):
        return (f"'{dependent} with {anchor}' places the clone where "
                f"{anchor} runs, so only one instance can start; write "
                f"'{anchor} with {dependent}'")
    return None


def _replay(path: str, replay: list[tuple[int, tuple[str, ...]]],
            tools: dict[str, str], skipped: set[str]) -> list[Finding]:
    """Run each command against one scratch CIB, then crm_verify it."""
    findings: list[Finding] = []
    ids: dict[str, int] = {}
    failed = set(skipped)
    fencing = any(w[:2] == ("stonith", "create") for _, w in replay)
    try:
        with pm.scratch_dir() as tmp:
            cib = pm.new_cib(tmp, tools["cibadmin"], fencing)
            run = pm.runner(tools["pcs"], tmp)
            for line, words in replay:
                created = _created(words)
                for ident in created:
                    ids.setdefault(ident, line)
                ok = _run_one(path, line, words, run, cib, tmp, failed,
                              findings)
                if not ok:
                    failed.update(created)
            values = pm.values_by_line(replay)
            for message in pm.verify(tools["crm_verify"], cib):
                findings.append(CODES.finding(
                    path, pm.line_of(message, ids, values), "PCS002",
                    f"crm_verify: {message}"))
    except external.ExternalToolError as exc:
        findings.append(CODES.finding(path, 0, "PCS007", str(exc)))
    return findings


def _run_one(path: str, line: int, words: tuple[str, ...],
             run: pm.Runner,
             cib: str, tmp: str, failed: set[str],
             findings: list[Finding]) -> bool:
    """Replay one command; append its findings; False if pcs refused."""
    if words[:2] == SETUP:
        argv = [*words, "--overwrite", "--corosync_conf",
                os.path.join(tmp, "corosync.conf")]
    else:
        argv = ["-f", cib, *words]
    proc = run(argv, timeout=pm.TIMEOUT)
    errors, warnings = _messages(proc.stderr)
    split = _rule_as_words(argv)
    if (proc.returncode != 0 and split
            and any(RULE_AS_WORDS.search(e) for e in errors)):
        # The pcs 0.12 form on an older pcs: check the same rule in the
        # form that pcs reads, as the guide's note tells its readers; a
        # rule that fails both ways is reported as written.
        retried = run(split, timeout=pm.TIMEOUT)
        if retried.returncode == 0:
            argv, proc = split, retried
            errors, warnings = _messages(proc.stderr)
    if proc.returncode != 0 and any(NOT_ON_A_FILE.search(e)
                                    for e in errors):
        return True
    agent = next(filter(None, map(pm.missing_agent, errors)), None)
    if proc.returncode != 0 and agent:
        if not pm.machine_agent(agent):
            findings.append(CODES.finding(
                path, line, "PCS004", f"agent {agent} is not installed on "
                "this machine; its options were not checked"))
        proc = run([*argv, "--force"], timeout=pm.TIMEOUT)
        errors, warnings = _messages(proc.stderr)
        warnings = [w for w in warnings if not pm.FORCED_NOISE.search(w)]
    for warning in warnings:
        findings.append(CODES.finding(path, line, "PCS003", warning))
    if proc.returncode == 0:
        return True
    missing = {m.group(1) for e in errors
               for m in [MISSING_RESOURCE.search(e)] if m}
    if missing and missing <= failed and len(missing) == len(errors):
        return False  # already reported where that resource was created
    message = errors[0] if errors else (
        f"pcs exited with status {proc.returncode} (usage error)")
    findings.append(CODES.finding(path, line, "PCS001", message))
    return False


def _rule_as_words(argv: list[str]) -> list[str] | None:
    """argv with a location rule given as one string split into words
    (what pcs 0.11 reads), or None when it has no such rule."""
    words = list(argv)
    try:
        at = words.index("rule")
    except ValueError:
        return None
    if "location" not in words[:at]:
        return None
    end = at + 1
    while end < len(words) and words[end].startswith(RULE_OPTIONS):
        end += 1
    if len(words) != end + 1 or not words[end].strip():
        return None
    try:
        expression = shlex.split(words[end])
    except ValueError:
        return None
    if len(expression) < 2:
        return None
    return [*words[:end], *expression]


def _messages(stderr: str) -> tuple[list[str], list[str]]:
    """pcs's errors and warnings without its boilerplate."""
    errors, warnings = [], []
    for text in pm.clean(stderr):
        if text.startswith("Error: "):
            text = text.removeprefix("Error: ")
            if "unable to continue" not in text:
                errors.append(text.removesuffix(
                    ", use --force to override"))
        elif "Warning: " in text and not pm.is_artefact(text):
            warnings.append(text.split("Warning: ", 1)[1])
    return errors, warnings

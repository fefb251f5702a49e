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
"""Hostile files: no traceback, no hang, nothing run or read outside.

One test per reproducer of the architecture review's fuzzing (inputs
written here, FIFOs and large files made at test time), the crash
boundary, and the files that would make a tool run code or read files.
"""

from __future__ import annotations

import os
import subprocess
import sys
import threading

import pytest

import confcheck
import realtools
from confcheck import cli, external, kinds
from confcheck.checks import haproxy_tool, keepalived, keepalived_tool, sysctl

# Every case here finishes in well under a second on an idle machine;
# the bound only catches a hang or a quadratic blow-up, with room for a
# loaded CI machine.
BOUND_S = 20.0


def codes(text: str, path: str, kind: str) -> list[tuple[int, str]]:
    return sorted((f.line, f.code)
                  for f in confcheck.check_text(text, path, kind))


def run_bounded(function, *args):
    """function(*args) in a thread; fails the test if it hangs."""
    result: list = []

    def call():
        try:
            result.append((function(*args), None))
        except Exception as exc:  # noqa: BLE001 - re-raised below
            result.append((None, exc))

    worker = threading.Thread(target=call, daemon=True)
    worker.start()
    worker.join(BOUND_S)
    assert not worker.is_alive(), f"still running after {BOUND_S} s"
    value, error = result[0]
    if error is not None:
        raise error
    return value


# --- reproducers: tracebacks ----------------------------------------------

def test_xinetd_include_inside_a_block_is_a_finding(builtin):
    text = ("service galera-monitor\n{\n  port = 9200\n"
            "  include /etc/xinetd.d/extra\n}\n")
    assert (4, "XIN006") in codes(text, "xinetd.d/galera-monitor",
                                  "xinetd")


def test_corosync_superscript_votes_do_not_crash(builtin):
    text = ("totem {\n  version: 2\n  cluster_name: c\n}\n"
            "nodelist {\n  node {\n    ring0_addr: 10.0.0.12\n"
            "    nodeid: 1\n    quorum_votes: \u00b2\n  }\n}\n"
            "quorum {\n  provider: corosync_votequorum\n"
            "  expected_votes: 3\n}\n")
    found = codes(text, "corosync.conf", "corosync")
    assert not confcheck.has_internal_error(
        confcheck.check_text(text, "corosync.conf", "corosync"))
    assert (14, "COR022") in found


@pytest.mark.parametrize("kind,opening", [
    ("keepalived", "vrrp_instance VI_1 {\n"),
    ("corosync", "totem {\n"),
    ("xinetd", "service x\n{\n"),
])
def test_deep_nesting_is_one_finding(builtin, kind, opening):
    text = opening * 5000
    found = run_bounded(confcheck.check_text, text, "f", kind)
    assert not confcheck.has_internal_error(found)
    assert any("nested more than" in f.message for f in found)


def test_duplicated_block_line_in_keepalived_is_no_traceback(builtin):
    # The review's case: one "vrrp_instance ... {" line repeated.
    text = "vrrp_instance internal_vip {\n" * 1200 + "}\n"
    found = run_bounded(confcheck.check_text, text, "keepalived.conf",
                        "keepalived")
    assert not confcheck.has_internal_error(found)
    assert found[0].code == "KAL010"


@pytest.mark.parametrize("key", [
    "net/../../../dev/zer[o]", "net.ipv4.../../../dev/zero",
    "../../etc/hostname", "/etc/hostname", "net..ipv4.ip_forward",
])
def test_sysctl_key_that_escapes_proc_sys_is_refused(builtin, key):
    assert codes(f"{key} = 1\n", "sysctl.conf", "sysctl") == [
        (1, "SYS090")]


def test_sysctl_glob_is_confined_to_proc_sys(builtin, monkeypatch,
                                             tmp_path):
    fake = tmp_path / "sys"
    (fake / "net").mkdir(parents=True)
    (fake / "net" / "fifo").parent.mkdir(exist_ok=True)
    os.mkfifo(fake / "net" / "fif")
    (fake / "net" / "value").write_text("1\n")
    os.symlink("/dev/zero", fake / "net" / "zer")
    monkeypatch.setattr(sysctl, "PROC_SYS", str(fake))
    text = "net.fi[f] = 1\nnet.ze[r] = 1\nnet.valu[e] = 1\n"
    found = run_bounded(codes, text, "sysctl.conf", "sysctl")
    # The FIFO and the link out are not parameters; the file is.
    assert found == [(1, "SYS002"), (2, "SYS002")]


def test_tree_template_with_attribute_access_is_a_finding(tmp_path):
    from confcheck import tree
    (tmp_path / "cluster.yaml").write_text(
        "vips:\n  internal: {address: 10.0.0.11, hostname: controller}\n"
        "hosts:\n  controller1: {address: 10.0.0.12, role: controller}\n"
        "per_node:\n  controller/etc/nova/nova.conf:\n"
        "    - 'my_ip = {address.real}'\nservices: []\n")
    nova = tmp_path / "controller" / "etc" / "nova"
    nova.mkdir(parents=True)
    (nova / "nova.conf").write_text("[DEFAULT]\nmy_ip = 10.0.0.12\n")
    found = tree.check_tree(str(tmp_path))
    assert any("only {name} fields" in f.message for f in found), found


# --- reproducers: hangs and quadratic time --------------------------------

def test_fifo_input_is_refused_without_blocking(tmp_path):
    fifo = tmp_path / "haproxy.cfg"
    os.mkfifo(fifo)
    with pytest.raises(confcheck.InputError, match="FIFO"):
        run_bounded(confcheck.read_text, str(fifo))


def test_symlink_to_fifo_and_device_are_refused(tmp_path):
    os.mkfifo(tmp_path / "fifo")
    (tmp_path / "haproxy.cfg").symlink_to(tmp_path / "fifo")
    (tmp_path / "keepalived.conf").symlink_to("/dev/zero")
    for name, what in (("haproxy.cfg", "FIFO"), ("keepalived.conf",
                                                 "device")):
        with pytest.raises(confcheck.InputError, match=what):
            run_bounded(confcheck.read_text, str(tmp_path / name))


def test_cli_on_a_fifo_is_an_error_and_checks_the_others(tmp_path, capsys,
                                                         builtin):
    os.mkfifo(tmp_path / "haproxy.cfg")
    good = tmp_path / "sysctl.conf"
    good.write_text("net.ipv4.ip_nonlocal_bind = 1\n")
    status = run_bounded(cli.main, [str(tmp_path / "haproxy.cfg"),
                                    str(good)])
    assert status == cli.EXIT_ERRORS
    out = capsys.readouterr().out
    assert out.startswith(f"{tmp_path / 'haproxy.cfg'}:0: error: GEN010: ")
    assert "is a FIFO" in out


@pytest.mark.parametrize("kind,name,text", [
    ("rabbitmq", "rabbitmq.conf", "log.file.level = info" + " " * 200000
     + "x\n"),
    ("mysql", "my.cnf", "[mysqld]\nbind-address = 1" + " " * 60000
     + "x\n"),
    ("sysctl", "sysctl.conf", "net.ipv4.ip_forward = 1" + " " * 60000
     + "x\n"),
    ("rabbitmq", "rabbitmq.conf", "log.file.level = " + "${" * 30000
     + "\n"),
    ("mysql", "my.cnf", "[mysqld]\nwsrep_node_name = " + "${" * 30000
     + "\n"),
])
def test_blank_runs_and_placeholders_take_linear_time(builtin, kind, name,
                                                      text):
    found = run_bounded(confcheck.check_text, text, name, kind)
    assert not confcheck.has_internal_error(found)


def test_huge_pcs_token_split_over_lines_is_refused(builtin):
    # 40 continued lines of 60,000 characters: one 2.4 MB word for shlex.
    text = "pcs resource create vip \\\n" + ("x" * 60000 + "\\\n") * 40
    text += "ocf:heartbeat:IPaddr2\n"
    found = run_bounded(codes, text, "vip.pcs", "pcs")
    assert found == [(1, "PCS006")]


def test_line_over_the_limit_is_one_finding_and_not_checked(builtin):
    text = "global\n  log " + "x" * (confcheck.MAX_LINE + 1) + "\n"
    assert codes(text, "haproxy.cfg", "haproxy") == [(2, "GEN002")]


# --- the crash boundary ---------------------------------------------------

def _crashing_check(text, path):
    raise RuntimeError("boom\nsecond line")


def test_checker_crash_is_an_internal_error_finding(monkeypatch):
    module = kinds.checker("hosts")
    monkeypatch.setattr(module, "check", _crashing_check)
    found = confcheck.check_text("10.0.0.12 controller1\n", "etc/hosts",
                                 "hosts")
    assert [(f.path, f.line, f.severity, f.code) for f in found] == [
        ("etc/hosts", 0, "error", confcheck.INTERNAL_ERROR)]
    assert "RuntimeError: boom;" in found[0].message
    assert confcheck.BUG_REPORTS in found[0].message


def test_cli_exits_3_on_a_crash_and_still_checks_the_rest(
        monkeypatch, tmp_path, capsys, builtin):
    monkeypatch.setattr(kinds.checker("hosts"), "check", _crashing_check)
    (tmp_path / "hosts").write_text("10.0.0.12 controller1\n")
    bad = tmp_path / "sysctl.conf"
    bad.write_text("net.ipv4.ip_nonlocalbind = 1\n")
    status = cli.main([str(tmp_path / "hosts"), str(bad)])
    out = capsys.readouterr().out
    assert status == cli.EXIT_INTERNAL
    assert f"{tmp_path / 'hosts'}:0: error: GEN999: internal error" in out
    assert f"{bad}:1: error: SYS002" in out


def test_cli_subprocess_exit_status_for_a_crash(tmp_path):
    """The exit status as a shell sees it (python -m confcheck)."""
    (tmp_path / "hosts").write_text("10.0.0.12 controller1\n")
    code = ("import sys; from confcheck import cli, kinds\n"
            "def boom(text, path): raise MemoryError()\n"
            "kinds.checker('hosts').check = boom\n"
            "sys.exit(cli.main(sys.argv[1:]))\n")
    env = dict(os.environ, PYTHONPATH=os.path.dirname(
        os.path.dirname(confcheck.__file__)))
    proc = subprocess.run([sys.executable, "-c", code,
                           str(tmp_path / "hosts")], env=env,
                          capture_output=True, text=True, timeout=60,
                          check=False)
    assert proc.returncode == 3, proc.stderr
    assert "Traceback" not in proc.stderr
    assert "GEN999: internal error in the hosts checker: MemoryError" in (
        proc.stdout)


# --- tools: nothing run or read outside the file --------------------------

def test_lua_load_is_refused_with_a_finding(builtin):
    text = ("global\n  lua-load /tmp/x.lua\n  lua-prepend-path /tmp/?.lua\n"
            "frontend f\n  bind 10.0.0.11:80\n"
            "  http-request lua.cors\n  default_backend b\n"
            "backend b\n  server s 10.0.0.12:80 check\n")
    found = codes(text, "haproxy.cfg", "haproxy")
    assert (2, "HAP090") in found and (3, "HAP090") in found
    copy = haproxy_tool.safe_copy(text).splitlines()
    assert "lua" not in "\n".join(copy)
    assert len(copy) == len(text.splitlines())


def test_lua_load_never_runs(tmp_path, monkeypatch):
    """haproxy -c on a file whose lua-load script exists: it is not run."""
    monkeypatch.delenv("CONFCHECK_EXTERNAL", raising=False)
    realtools.require("haproxy", "haproxy")
    marker = tmp_path / "ran"
    script = tmp_path / "x.lua"
    script.write_text(f'io.open("{marker}", "w"):write("ran")\n')
    os.chmod(tmp_path, 0o755)
    text = (f"global\n  lua-load {script}\ndefaults\n  mode http\n"
            "  timeout connect 5s\n  timeout client 30s\n"
            "  timeout server 30s\nlisten api\n  bind 127.0.0.1:8080\n"
            "  server s 127.0.0.1:80 check\n")
    found = codes(text, "haproxy.cfg", "haproxy")
    assert (2, "HAP090") in found
    assert not marker.exists()


def test_file_options_never_read_this_machine(builtin):
    text = ("frontend f\n  bind 10.0.0.11:443 ssl crt /etc/shadow\n"
            "  acl a src -f /etc/passwd\n  errorfile 503 /etc/shadow\n")
    copy = haproxy_tool.safe_copy(text)
    assert "/etc/shadow" not in copy and "/etc/passwd" not in copy


def test_keepalived_include_is_not_followed(builtin, tmp_path):
    secret = tmp_path / "secret"
    secret.write_text("dbpass=TOPSECRET\n")
    text = (f"include {secret}\n$INC=include {secret}\n$INC\n"
            + keepalived._INSTANCE + keepalived._VIPS)
    copy = keepalived_tool.safe_copy(text)
    assert str(secret) not in copy and "$INC" not in copy
    assert (1, "KAL090") in codes(text, "keepalived.conf", "keepalived")


def test_keepalived_include_never_reaches_the_tool(tmp_path, monkeypatch):
    monkeypatch.delenv("CONFCHECK_EXTERNAL", raising=False)
    realtools.require("keepalived", "keepalived")
    realtools.require_netns()
    secret = tmp_path / "secret"
    secret.write_text("dbpass=TOPSECRET\n")
    text = (f"include {secret}\n" + keepalived._INSTANCE
            + keepalived._VIPS)
    found = confcheck.check_text(text, "keepalived.conf", "keepalived")
    assert "TOPSECRET" not in " ".join(f.message for f in found)
    assert ("KAL090", 1) in [(f.code, f.line) for f in found]


@pytest.mark.parametrize("kind,name,text,code", [
    ("pcs", "vip.pcs",
     "pcs resource create evil ocf:../../../../tmp/x:evil\n", "PCS090"),
    ("pcs", "vip.pcs", "pcs stonith create evil ../../tmp/evil\n",
     "PCS090"),
    ("pcs", "vip.pcs", "pcs resource describe ocf:heartbeat:../../x\n",
     "PCS090"),
    ("crm", "vip.crm",
     "primitive evil ocf:../../../../tmp/x:evil\n", "CRM090"),
    ("crm", "vip.crm", "primitive evil stonith:/tmp/evil\n", "CRM090"),
])
def test_agent_name_with_a_path_is_refused(monkeypatch, tmp_path, kind,
                                           name, text, code):
    """Refused before any tool runs: with the tools present too."""
    calls = []
    monkeypatch.setattr(external, "run",
                        lambda argv, **kw: calls.append(argv))
    found = codes(text, name, kind)
    assert (1, code) in found
    assert not any("evil" in " ".join(a) or "x:" in " ".join(a)
                   for a in calls), calls


def test_plain_agent_names_pass(builtin):
    for text in ("pcs resource create vip ocf:heartbeat:IPaddr2 "
                 "ip=10.0.0.11\n", "pcs stonith create f fence_ipmilan\n",
                 "pcs resource create h systemd:haproxy@main clone\n"):
        assert "PCS090" not in {c for _, c in codes(text, "v.pcs", "pcs")}


# --- how tools are run ----------------------------------------------------

def test_tools_get_a_clean_environment_and_their_own_group(monkeypatch):
    monkeypatch.setenv("OCF_ROOT", "/tmp/evil")
    monkeypatch.setenv("PYTHONWARNINGS", "error")
    monkeypatch.delenv("CONFCHECK_EXTERNAL", raising=False)
    proc = external.run(["/bin/sh", "-c", "env; ps -o pgid= -p $$"])
    names = {line.split("=")[0] for line in proc.stdout.splitlines()
             if "=" in line}
    assert "OCF_ROOT" not in names and "PYTHONWARNINGS" not in names
    assert "LC_ALL=C.UTF-8" in proc.stdout.splitlines()
    assert int(proc.stdout.split()[-1]) != os.getpgid(0)


@pytest.mark.skipif(os.geteuid() != 0, reason="only root drops privileges")
def test_tools_run_unprivileged_as_root():
    proc = external.run(["/usr/bin/id", "-u"])
    assert proc.stdout.strip() != "0"
    proc = external.run(["/usr/bin/id", "-u"], privileged=True)
    assert proc.stdout.strip() == "0"


def test_timeout_kills_the_whole_group():
    with pytest.raises(external.ExternalToolError, match="did not finish"):
        external.run(["/bin/sh", "-c", "sleep 60 & sleep 60"],
                     timeout=0.5)


def test_budget_bounds_all_runs_of_one_file():
    with external.budget(0.5):
        with pytest.raises(external.ExternalToolError, match="did not"):
            external.run(["/bin/sleep", "5"])
        with pytest.raises(external.ExternalToolError, match="used up"):
            external.run(["/bin/true"])


def test_fingerprint_changes_with_tools_and_root(monkeypatch, tmp_path):
    monkeypatch.setenv("CONFCHECK_EXTERNAL", "0")
    off = external.fingerprint()
    monkeypatch.setenv("CONFCHECK_EXTERNAL", "1")
    on = external.fingerprint()
    (tmp_path / "usr" / "sbin").mkdir(parents=True)
    monkeypatch.setenv(external.TOOL_ROOT_VARIABLE, str(tmp_path))
    rooted = external.fingerprint()
    assert len({off, on, rooted}) == 3


# --- paths that leave the input -------------------------------------------

def test_tree_files_leave_out_links_out_of_the_tree(tmp_path):
    from confcheck.layout import tree_files
    (tmp_path / "etc").mkdir()
    (tmp_path / "etc" / "hosts").write_text("10.0.0.12 controller1\n")
    (tmp_path / "etc" / "passwd").symlink_to("/etc/passwd")
    (tmp_path / "etc" / "hosts.link").symlink_to(tmp_path / "etc" / "hosts")
    assert tree_files(str(tmp_path)) == ["etc/hosts", "etc/hosts.link"]


def test_include_example_takes_no_second_file():
    from confcheck.sphinxext.include import IncludeExample
    assert "diff" not in IncludeExample.option_spec
    assert "pyobject" not in IncludeExample.option_spec
    assert "section" in IncludeExample.option_spec


def test_corosync_copy_writes_no_log_file(builtin):
    from confcheck.checks import corosync_tool
    text = ("logging {\n  to_logfile: yes\n  logfile: /etc/cron.d/x\n"
            "  logger_subsys {\n    subsys: QUORUM\n"
            "    logfile:/etc/cron.d/y\n  }\n}\n")
    copy = corosync_tool.safe_copy(text)
    assert len(copy.splitlines()) == len(text.splitlines())
    assert [line.lstrip()[:1] for line in copy.splitlines()
            if line.strip().startswith("logfile") or "# " in line] == [
        "#", "#"]
    assert "/etc/cron.d/x" in copy.splitlines()[2]  # the line is kept


def test_corosync_t_never_writes_the_named_log_file(tmp_path, monkeypatch):
    """corosync -t (as root) appends to its logfile while testing."""
    monkeypatch.delenv("CONFCHECK_EXTERNAL", raising=False)
    realtools.require("corosync", "corosync")
    realtools.require_netns()
    log = tmp_path / "probe.log"
    text = ("totem {\n  version: 2\n  cluster_name: c\n"
            "  transport: knet\n}\n"
            f"logging {{\n  to_logfile: yes\n  logfile: {log}\n}}\n"
            "nodelist {\n  node {\n    ring0_addr: 10.0.0.12\n"
            "    name: controller1\n    nodeid: 1\n  }\n}\n"
            "quorum {\n  provider: corosync_votequorum\n}\n")
    confcheck.check_text(text, "corosync.conf", "corosync")
    assert not log.exists()


def test_a_line_past_the_end_names_the_last_line(monkeypatch):
    module = kinds.checker("hosts")

    def past_the_end(text, path):
        return [module.CODES.finding(path, 9, next(iter(module.CODES)).code,
                                     "end of file")]

    monkeypatch.setattr(module, "check", past_the_end)
    found = confcheck.check_text("10.0.0.12 controller1\n", "hosts", "hosts")
    assert [f.line for f in found] == [1]


def test_a_fifo_in_the_example_tree_does_not_hang_the_tree_checks(tmp_path):
    from confcheck import tree
    (tmp_path / "cluster.yaml").write_text(
        "vips:\n  internal: {address: 10.0.0.11, hostname: controller}\n"
        "hosts:\n  controller1: {address: 10.0.0.12, role: controller}\n"
        "services: []\n")
    etc = tmp_path / "controller" / "etc"
    etc.mkdir(parents=True)
    os.mkfifo(etc / "hosts")
    os.mkfifo(etc / "haproxy.cfg")
    run_bounded(tree.check_tree, str(tmp_path))

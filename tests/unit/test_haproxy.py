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
"""The haproxy checker: haproxy -c on a safe copy, fallback, HA lints."""

from __future__ import annotations

import pathlib

import pytest

import realtools
from confcheck import check_text
from confcheck.checks import haproxy, haproxy_tool

SAMPLES = pathlib.Path(__file__).parent / "samples" / "haproxy"
HEAD = ("defaults\n  mode http\n  timeout connect 5s\n  timeout client 1m\n"
        "  timeout server 1m\n")
API = ("listen api\n  bind 10.0.0.11:9292\n"
       "  option httpchk GET /healthcheck\n")


def codes(text: str) -> list[tuple[int, str]]:
    return [(f.line, f.code) for f in check_text(text, "h.cfg", "haproxy")]


@pytest.fixture
def real(monkeypatch):
    monkeypatch.delenv("CONFCHECK_EXTERNAL", raising=False)
    return realtools.require("haproxy", "haproxy")


# (case, text, line, code) the built-in check finds; lines count from 1.
BUILTIN_CASES = [
    ("typo_balanse", HEAD + API + "  balanse roundrobin\n", 9, "HAP010"),
    ("server_in_frontend", HEAD + "frontend f\n  bind 10.0.0.11:80\n"
     "  server c1 10.0.0.12:80 check\n", 8, "HAP011"),
    ("before_any_section", "maxconn 10\n" + HEAD, 1, "HAP012"),
    ("unknown_option", HEAD + API + "  option redispach\n", 9, "HAP013"),
    ("unknown_timeout", HEAD + "  timeout clint 1m\n", 6, "HAP013"),
    ("server_typo_chek", HEAD + API
     + "  server c1 10.0.0.12:9292 chek\n", 9, "HAP014"),
    ("server_bad_verify", HEAD + API
     + "  server c1 10.0.0.12:9292 check verify maybe\n", 9, "HAP014"),
    ("server_bad_inter", HEAD + API
     + "  server c1 10.0.0.12:9292 check inter 2x\n", 9, "HAP014"),
    ("frontend_without_name", HEAD + "frontend\n", 6, "HAP015"),
    ("removed_clitimeout", HEAD + "  clitimeout 1m\n", 6, "HAP016"),
    ("duplicate_backend", HEAD + "backend b\nbackend b\n", 7, "HAP017"),
]

# (case, text, line, code) found by the HA lints in both modes.
LINT_CASES = [
    ("mysql_check_on_clustercheck_port", HEAD
     + "listen galera\n  bind 10.0.0.11:3306\n  mode tcp\n"
       "  option mysql-check\n"
       "  server c1 10.0.0.12:3306 check port 9200\n", 10, "HAP020"),
    ("httpchk_tls_without_check_ssl", HEAD + API
     + "  server c1 10.0.0.12:9292 ssl verify none check port 9293\n",
     9, "HAP021"),
    ("server_without_check", HEAD + API
     + "  server c1 10.0.0.12:9292 check\n  server c2 10.0.0.13:9292\n",
     10, "HAP022"),
    ("bind_wildcard_star", HEAD + "listen api\n  bind *:9292\n",
     7, "HAP023"),
    ("bind_wildcard_ipv4", HEAD + "listen api\n  bind 0.0.0.0:9292\n",
     7, "HAP023"),
    ("bind_wildcard_ipv6", HEAD + "listen api\n  bind :::9292\n",
     7, "HAP023"),
    ("defaults_without_timeouts", "defaults\n  mode http\n"
     "listen api\n  bind 10.0.0.11:9292\n", 1, "HAP024"),
    ("bare_httpchk", HEAD + "listen api\n  bind 10.0.0.11:9292\n"
     "  option httpchk\n", 8, "HAP025"),
]


@pytest.mark.parametrize("case,text,line,code", BUILTIN_CASES + LINT_CASES,
                         ids=[c[0] for c in BUILTIN_CASES + LINT_CASES])
def test_builtin_bad(builtin, case, text, line, code):
    assert (line, code) in codes(text)


@pytest.mark.parametrize("case,text,line,code", LINT_CASES,
                         ids=[c[0] for c in LINT_CASES])
def test_lints_with_real_haproxy(real, case, text, line, code):
    assert (line, code) in codes(text)


def test_good_kolla_style_builtin(builtin):
    """The complete HA file, as kolla renders it, passes the fallback."""
    assert codes((SAMPLES / "good_kolla_style.cfg").read_text()) == []


def test_good_kolla_style_real(real):
    """haproxy -c itself accepts the file (no warning either)."""
    text = (SAMPLES / "good_kolla_style.cfg").read_text()
    sections, _ = haproxy.parse(text)
    assert haproxy_tool.run_haproxy(text, "haproxy.cfg", sections) == []
    assert codes(text) == []


def test_checks_via_ssl_need_no_check_ssl(builtin):
    """Checks inherit 'ssl' when they go to the traffic port."""
    text = HEAD + API + "  http-check expect status 200\n" + "".join(
        f"  server c{i} 10.0.0.1{i}:9292 ssl verify none check\n"
        for i in (2, 3))
    assert codes(text) == []


def test_real_typo_reported_once(real):
    """haproxy -c and the table both know 'balanse': one finding only."""
    found = codes(HEAD + API + "  balanse roundrobin\n")
    assert found == [(9, "HAP001")]


def test_real_message_keeps_did_you_mean(real):
    text = HEAD + API + "  server c1 10.0.0.12:9292 chek\n"
    [finding] = check_text(text, "h.cfg", "haproxy")
    assert (finding.line, finding.code) == (9, "HAP001")
    assert "did you mean 'check'" in finding.message


def test_real_proxy_message_mapped_to_proxy_line(real):
    """'unable to find required default_backend' carries no [FILE:LINE]."""
    text = HEAD + "frontend f\n  bind 10.0.0.11:80\n  default_backend nope\n"
    assert codes(text) == [(6, "HAP001")]


def test_real_warning_without_builtin_rule(real):
    """haproxy's own semantics: forwardfor needs HTTP mode."""
    text = HEAD.replace("mode http", "mode tcp") + (
        "listen api\n  bind 10.0.0.11:9292\n  option forwardfor\n")
    assert codes(text) == [(6, "HAP002")]


def test_real_hostnames_do_not_need_dns(real):
    """Server names are resolved on the node, not on the build machine."""
    text = HEAD + API + "  http-check expect status 200\n" + "".join(
        f"  server controller{i} controller{i}:9292 check\n" for i in (1, 2))
    assert codes(text) == []


def test_real_unknown_user_is_not_an_error(real):
    text = ("global\n  user nosuchuser-confcheck\n"
            "  group nosuchgroup-confcheck\n" + HEAD)
    # Not checkable here (the node has them): a warning each, no error.
    assert codes(text) == [(2, "HAP003"), (3, "HAP003")]


def test_real_missing_certificate_is_substituted(real):
    if haproxy_tool.external.available("openssl") is None:
        pytest.skip("openssl is not installed (Debian package openssl)")
    text = HEAD + ("frontend f\n  bind 10.0.0.11:443 ssl crt "
                   "/etc/haproxy/no-such-cert.pem\n  default_backend b\n"
                   "backend b\n  server c1 10.0.0.12:80 check "
                   "ssl verify required ca-file /etc/no-such-ca.pem\n")
    assert codes(text) == []


def test_safe_copy_keeps_line_numbers():
    text = ("global\n  user nosuchuser-confcheck\nlisten x\n"
            "  server a controller1:80 check\n")
    copy = haproxy_tool.safe_copy(text)
    assert len(copy.splitlines()) == 4
    assert "127.0.0.1:80" in copy.splitlines()[3]


@pytest.mark.parametrize("mode", ["builtin", "real"])
@pytest.mark.parametrize("text", [
    "\x00\x01garbage {{{ ]]]\n",
    "listen api\n  bind " + "9" * 200000 + "\n",
    'global\n  log "unterminated\n',
    "backend b\n  server\n  server x\n  timeout\n  option\n",
    "listen \\\n",
], ids=["garbage", "long_line", "open_quote", "truncated", "backslash"])
def test_bad_input_gives_findings_not_tracebacks(request, mode, text):
    request.getfixturevalue(mode)
    for finding in check_text(text, "h.cfg", "haproxy"):
        assert finding.line >= 0 and finding.code.startswith(("HAP", "GEN002"))


def test_every_code_has_examples():
    for code in haproxy.CODES:
        assert code.bad and code.good and code.bad != code.good


def test_builtin_runs_no_tool_and_reads_nothing_here(no_tools,
                                                     monkeypatch):
    """The reader half: sections and built-in findings from the text
    alone; haproxy_tool is what runs haproxy and looks at this machine."""
    def refuse(name):
        raise AssertionError(f"builtin() looked up the user {name}")

    monkeypatch.setattr(haproxy_tool.pwd, "getpwnam", refuse)
    text = "global\n    user haproxy\nlisten api\n    balanse roundrobin\n"
    sections, findings = haproxy.builtin(text, "haproxy.cfg")
    assert [(s.kind, s.name, s.line) for s in sections] == [
        ("global", "", 1), ("listen", "api", 3)]
    assert sorted((f.line, f.code) for f in findings) == [
        (3, "HAP024"), (4, "HAP010")]

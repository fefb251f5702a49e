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
"""--format json, sarif and github carry the same findings as text."""

import json
import os
import re
import urllib.parse

import jsonschema
import pytest

from confcheck import cli, report

SCHEMA = os.path.join(os.path.dirname(__file__), "schemas",
                      "sarif-2.1.0-subset.json")
TEXT_LINE = re.compile(r"^(.+):(\d+): (error|warning): ([A-Z]+\d+): (.+)$")
GITHUB_LINE = re.compile(r"^::(error|warning) (?P<props>[^:]*)::(?P<msg>.*)$")


@pytest.fixture
def files(tmp_path, monkeypatch, builtin):
    """Findings of several kinds: errors, warnings, whole-file ones."""
    monkeypatch.chdir(tmp_path)
    (tmp_path / "etc, odd:name").mkdir()
    texts = {
        "etc, odd:name/nova.conf": "[DEFAULT]\ndebug = maybe\n"
                                   "[oslo_messaging_rabbit]\n"
                                   "rabbit_ha_queues = true\n",
        "haproxy.cfg": "frontend www\n    bind :80\n    mode httpx\n",
        "empty.yaml": "",
        "lb.txt": "no kind\n",
        "memcached.conf": "-l 0.0.0.0\n",
    }
    for name, text in texts.items():
        (tmp_path / name).write_text(text)
    return sorted(texts)


def run(capsys, *args) -> tuple[int, str]:
    status = cli.main(list(args))
    return status, capsys.readouterr().out


def from_text(out: str) -> set[tuple]:
    result = set()
    for line in out.splitlines():
        match = TEXT_LINE.match(line)
        assert match, line
        path, number, severity, code, message = match.groups()
        result.add((path, int(number), severity, code, message))
    return result


def unescape(value: str) -> str:
    return urllib.parse.unquote(value)


def from_github(out: str) -> set[tuple]:
    result = set()
    for line in out.splitlines():
        match = GITHUB_LINE.match(line)
        assert match, line
        props = dict(p.split("=", 1) for p in match["props"].split(","))
        message = unescape(match["msg"])
        code, _, rest = message.partition(": ")
        text, _, url = rest.rpartition(" (")
        assert url == f"{report.code_url(code)})"
        assert unescape(props["title"]) == f"confcheck {code}"
        result.add((unescape(props["file"]), int(props.get("line", 0)),
                    match.group(1), code, text))
    return result


def from_json(out: str) -> set[tuple]:
    data = json.loads(out)
    for f in data["findings"]:
        assert f["url"] == report.code_url(f["code"])
    return {(f["path"], f["line"], f["severity"], f["code"], f["message"])
            for f in data["findings"]}


def from_sarif(out: str) -> set[tuple]:
    log = json.loads(out)
    with open(SCHEMA, encoding="utf-8") as fh:
        jsonschema.validate(log, json.load(fh))
    run = log["runs"][0]
    rules = run["tool"]["driver"]["rules"]
    for rule in rules:
        url = urllib.parse.urlparse(rule["helpUri"])
        assert (url.scheme, url.fragment) == ("https", rule["id"].lower())
    result = set()
    for item in run["results"]:
        assert rules[item["ruleIndex"]]["id"] == item["ruleId"]
        physical = item["locations"][0]["physicalLocation"]
        path = urllib.parse.unquote(physical["artifactLocation"]["uri"])
        line = physical.get("region", {}).get("startLine", 0)
        result.add((path, line, item["level"], item["ruleId"],
                    item["message"]["text"]))
    return result


def test_every_format_carries_the_same_findings(files, capsys):
    status, out = run(capsys, *files)
    assert status == cli.EXIT_ERRORS
    expected = from_text(out)
    # The fixture really covers errors, warnings and whole-file findings.
    assert {f[2] for f in expected} == {"error", "warning"}
    assert any(f[1] == 0 for f in expected)
    assert {f[3] for f in expected} >= {"OSL008", "GEN001", "GEN011"}
    for fmt, parse in (("json", from_json), ("sarif", from_sarif),
                       ("github", from_github)):
        fmt_status, fmt_out = run(capsys, "--format", fmt, *files)
        assert fmt_status == status, fmt
        assert parse(fmt_out) == expected, fmt


def test_json_summary(files, capsys):
    _, out = run(capsys, "--format", "json", *files)
    data = json.loads(out)
    summary = data["summary"]
    assert summary["files"] == len(files)
    assert summary["errors"] == sum(
        f["severity"] == "error" for f in data["findings"])
    assert summary["exit_status"] == cli.EXIT_ERRORS


def test_sarif_of_a_clean_run_is_valid_and_empty(tmp_path, capsys,
                                                 monkeypatch):
    monkeypatch.chdir(tmp_path)
    (tmp_path / "nova.conf").write_text("[DEFAULT]\ndebug = true\n")
    status, out = run(capsys, "--format", "sarif", "nova.conf")
    assert status == cli.EXIT_OK
    assert from_sarif(out) == set()
    assert json.loads(out)["runs"][0]["invocations"] == [
        {"executionSuccessful": True}]


def test_sarif_uri_of_an_absolute_path_is_a_file_uri():
    assert report.artifact_uri("/etc/nova/nova.conf") == \
        "file:///etc/nova/nova.conf"
    assert report.artifact_uri("a b/x.cfg") == "a%20b/x.cfg"


def test_github_escapes_what_would_break_a_command():
    assert report.escape_property("a,b:c%\n") == "a%2Cb%3Ac%25%0A"
    assert report.escape_data("50%\r\nx") == "50%25%0D%0Ax"


def test_colour_only_when_asked_or_on_a_terminal(files, capsys,
                                                 monkeypatch):
    _, plain = run(capsys, "--color", "auto", *files)
    assert "\033[" not in plain
    _, coloured = run(capsys, "--color", "always", *files)
    assert "\033[1;31merror:" in coloured
    assert re.sub(r"\033\[[0-9;]*m", "", coloured) == plain
    monkeypatch.setattr("sys.stdout.isatty", lambda: True)
    monkeypatch.setenv("NO_COLOR", "1")
    assert not cli.use_colour("auto")
    monkeypatch.delenv("NO_COLOR")
    monkeypatch.setenv("TERM", "xterm")
    assert cli.use_colour("auto")
    assert not cli.use_colour("never")


def test_machine_formats_print_nothing_else_on_stdout(files, capsys):
    for fmt in ("json", "sarif"):
        cli.main(["--format", fmt, *files])
        captured = capsys.readouterr()
        json.loads(captured.out)
        assert "For more information" not in captured.err


def test_concurrent_and_serial_runs_print_the_same(files, capsys):
    serial = run(capsys, "-j", "1", *files)
    assert run(capsys, "-j", "4", *files) == serial
    assert cli.main(["-j", "0", *files]) == cli.EXIT_USAGE

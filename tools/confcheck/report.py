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
"""Output formats of the CLI: text, json, sarif and github."""

from __future__ import annotations

import json
import os

import confcheck
from confcheck.findings import Code, Finding

# The published guide: the one statement of its address. Each code is an
# anchor on the codes page, the code in lower case (the appendix's
# confcheck-codes directive sets the same ids).
DOCS_URL = "https://docs.openstack.org/ha-guide/"
CODES_URL = f"{DOCS_URL}appendix/confcheck-codes.html"
TOOL_URL = f"{DOCS_URL}appendix/confcheck.html"
SARIF_SCHEMA = ("https://docs.oasis-open.org/sarif/sarif/v2.1.0/errata01/os/"
                "schemas/sarif-schema-2.1.0.json")

# ANSI SGR sequences for the text format on a terminal.
COLOURS = {"error": "\033[1;31m", "warning": "\033[33m",
           "path": "\033[1m", "code": "\033[36m"}
RESET = "\033[0m"


def code_url(code: str) -> str:
    """The stable address of a code's entry in the guide."""
    return f"{CODES_URL}#{code.lower()}"


# Control characters (C0 but tab, DEL, C1) as \xNN: a file name or a
# quoted line with a newline would forge a finding, and an escape sequence
# would reach the terminal.
PRINTABLE = {c: f"\\x{c:02x}" for c in (*range(0x20), *range(0x7f, 0xa0))
             if c != 0x09}


def printable(value: str) -> str:
    return value.translate(PRINTABLE)


def text(findings: list[Finding], colour: bool = False) -> str:
    """One line per finding, ``FILE:LINE: severity: CODE: message``."""
    if not colour:
        return "".join(f"{printable(f.format())}\n" for f in findings)
    lines = []
    for f in findings:
        lines.append(
            f"{COLOURS['path']}{printable(f.path)}:{f.line}:{RESET} "
            f"{COLOURS[f.severity]}{f.severity}:{RESET} "
            f"{COLOURS['code']}{f.code}:{RESET} {printable(f.message)}\n")
    return "".join(lines)


def text_hints(findings: list[Finding]) -> str:
    """The address of each code met, once, as shellcheck prints them."""
    codes = sorted({f.code for f in findings})
    if not codes:
        return ""
    return "For more information (or run: confcheck explain CODE):\n" + \
        "".join(f"  {code}: {code_url(code)}\n" for code in codes)


def as_json(findings: list[Finding], summary: dict) -> str:
    """A JSON object: the findings, each with its code's url, a summary."""
    return json.dumps({
        "confcheck": confcheck.__version__,
        "findings": [
            {"path": f.path, "line": f.line, "severity": f.severity,
             "code": f.code, "message": f.message, "url": code_url(f.code)}
            for f in findings],
        "summary": summary,
    }, indent=2) + "\n"


def github(findings: list[Finding]) -> str:
    """GitHub Actions workflow commands: one annotation per finding."""
    lines = []
    for f in findings:
        props = [f"file={escape_property(f.path)}"]
        if f.line > 0:
            props.append(f"line={f.line}")
        props.append(f"title={escape_property(f'confcheck {f.code}')}")
        message = escape_data(f"{f.code}: {f.message} ({code_url(f.code)})")
        lines.append(f"::{f.severity} {','.join(props)}::{message}\n")
    return "".join(lines)


def escape_data(value: str) -> str:
    # The escapes the Actions runner undoes (toolkit's command.ts); other
    # control characters would reach the log as they are.
    return printable(value.replace("%", "%25").replace("\r", "%0D")
                     .replace("\n", "%0A"))


def escape_property(value: str) -> str:
    return escape_data(value).replace(":", "%3A").replace(",", "%2C")


def artifact_uri(path: str) -> str:
    """A URI reference for path: relative stays relative, else file://."""
    import urllib.parse  # only SARIF needs it

    if path == "-" or not os.path.isabs(path):
        return urllib.parse.quote(path.replace(os.sep, "/"))
    return "file://" + urllib.parse.quote(path)


def sarif(findings: list[Finding], codes: dict[str, Code],
          successful: bool) -> str:
    """A SARIF 2.1.0 log with one run; rules are the codes met."""
    met = sorted({f.code for f in findings})
    index = {code: i for i, code in enumerate(met)}
    rules = []
    for code in met:
        known = codes.get(code)
        rule = {"id": code, "helpUri": code_url(code)}
        if known is not None:
            rule["shortDescription"] = {"text": known.title}
            rule["defaultConfiguration"] = {"level": known.severity}
            if known.why:
                rule["fullDescription"] = {"text": known.why}
        rules.append(rule)
    results = []
    for f in findings:
        location = {"artifactLocation": {"uri": artifact_uri(f.path)}}
        if f.line > 0:
            location["region"] = {"startLine": f.line}
        results.append({
            "ruleId": f.code, "ruleIndex": index[f.code],
            "level": f.severity, "message": {"text": f.message},
            "locations": [{"physicalLocation": location}]})
    log = {
        "$schema": SARIF_SCHEMA,
        "version": "2.1.0",
        "runs": [{
            "tool": {"driver": {
                "name": "confcheck", "version": confcheck.__version__,
                "informationUri": TOOL_URL, "rules": rules}},
            "invocations": [{"executionSuccessful": successful}],
            "results": results,
        }],
    }
    return json.dumps(log, indent=2) + "\n"


def explain(code: Code, kind: str) -> str:
    """What ``confcheck explain CODE`` prints: the appendix entry as text."""
    parts = [f"{code.code} ({code.severity}, {kind}): {code.title}\n"]
    if code.why:
        parts.append(f"\nWhy: {code.why}\n")
    for label, example in (("Bad", code.bad), ("Good", code.good)):
        body = example if example.strip() else "(an empty file)\n"
        parts.append(f"\n{label}:\n")
        parts += [f"    {line}\n" for line in body.splitlines()]
    parts.append(f"\nMore: {code_url(code.code)}\n")
    return "".join(parts)

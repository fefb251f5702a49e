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
"""Capture MariaDB's option names for confcheck's *.cnf checker.

Runs the installed ``mariadbd --no-defaults --verbose --help`` (the server,
built with wsrep, so Galera's wsrep_* options are included), ``mariadb
--verbose --help`` (the [client] options), ``mysqld_safe --help`` and reads
the option names the wsrep SST scripts look up in the [sst] group; writes
tools/confcheck/data/mariadb-options.json with the version it came from.

Usage: ``python tools/capture_mariadb_options.py``
"""

from __future__ import annotations

import glob
import os
import re
import subprocess

import capture_common as cc

# An option line of --help: "  --name", "  -u, --user=name", "  --x[=#]".
OPTION = re.compile(
    r"^  (?:-\S, )?--(?P<name>[A-Za-z0-9_-]+)(?P<arg>\[=|=)?")
# Where the option list ends and the table of current values begins.
TABLE = "Variables (--variable-name=value)"
# What mariadbd says of an option it keeps only so old files still start.
REMOVED = re.compile(r"'([a-z0-9_-]+)' was removed\. It does nothing now")
# Option-like words in the server binary: removed options are hidden from
# --help, so the candidates come from the binary's strings.
CANDIDATE = re.compile(
    rb"(?<![\x21-\x7e])([a-z][a-z0-9]*(?:[-_][a-z0-9]+)+)\x00")
PROBE_BATCH = 200
# parse_cnf GROUPS 'name' in the wsrep_sst_* scripts.
SST_KEY = re.compile(r"parse_cnf\s+\S+\s+'?([a-z][a-z0-9-]*)")


def options(help_text: str) -> dict[str, str]:
    """name -> "r" (value required), "o" (optional) or "n" (no value)."""
    found = {}
    for line in help_text.split(TABLE, 1)[0].splitlines():
        match = OPTION.match(line)
        if match:
            name = match.group("name").replace("-", "_").lower()
            found[name] = {"=": "r", "[=": "o"}.get(match.group("arg"), "n")
    return found


def plugin_options(server: str, base: dict[str, str]) -> dict[str, list]:
    """Options each plugin library adds, found by loading it alone.

    Plugins are not loaded by --help, so their options (provider_lz4,
    server_audit_logging ...) are missing from the base list.
    """
    plugin_dir = re.search(r"^plugin-dir\s+(\S+)", cc.output(
        [server, "--no-defaults", "--verbose", "--help"]), re.MULTILINE)
    found = {}
    for library in sorted(glob.glob(os.path.join(
            plugin_dir.group(1) if plugin_dir else "/usr/lib/mysql/plugin",
            "*.so"))):
        name = os.path.basename(library).removesuffix(".so")
        text = cc.output([server, "--no-defaults",
                          f"--plugin-load-add={name}.so",
                          "--plugin-maturity=unknown", "--verbose",
                          "--help"])
        added = sorted(set(options(text)) - set(base))
        if added:
            found[name] = added
    return found


def removed_options(server: str, base: dict[str, str]) -> list[str]:
    """Options mariadbd accepts but ignores, with a "was removed" warning.

    Each candidate is passed as --loose-NAME=1 (an unknown name is then
    only a warning too); names that are a prefix of a known option are
    left out, since mariadbd would take them as an abbreviation.
    """
    with open(server, "rb") as fh:
        words = {m.group(1).decode().replace("-", "_")
                 for m in CANDIDATE.finditer(fh.read())}
    known = set(base)
    candidates = sorted(w for w in words - known
                        if not any(k.startswith(w) for k in known))
    found: set[str] = set()
    for start in range(0, len(candidates), PROBE_BATCH):
        batch = candidates[start:start + PROBE_BATCH]
        # The warnings go to standard error; the exit status is not the
        # verdict (an out-of-range value in the batch is fine too).
        proc = subprocess.run(
            [server, "--no-defaults",
             *(f"--loose-{name}=1" for name in batch), "--verbose",
             "--help"],
            capture_output=True, text=True, timeout=cc.TIMEOUT,
            check=False, stdin=subprocess.DEVNULL)
        text = proc.stderr
        found.update(m.replace("-", "_") for m in REMOVED.findall(text))
    return sorted(found)


def sst_keys() -> list[str]:
    keys = set()
    for script in glob.glob("/usr/bin/wsrep_sst_*"):
        with open(script, encoding="utf-8", errors="replace") as fh:
            keys.update(k.replace("-", "_") for k in SST_KEY.findall(
                fh.read()))
    return sorted(keys)


def main() -> None:
    server = cc.find("mariadbd")
    version = cc.output([server, "--version"]).strip()
    series = re.search(r"Ver (\d+\.\d+)", version)
    base = options(cc.output([server, "--no-defaults", "--verbose",
                              "--help"]))
    data = {
        "source": "mariadbd --no-defaults [--plugin-load-add=P.so] "
                  "--verbose --help; mariadbd --loose-NAME=1 --help "
                  "--verbose for 'was removed' names; mariadb "
                  "--no-defaults --verbose --help; mysqld_safe --help; "
                  "parse_cnf names in /usr/bin/wsrep_sst_*",
        "version": version,
        "series": series.group(1) if series else "unknown",
        "packages": {p: cc.package_version(p) for p in (
            "mariadb-server", "galera-4", "mariadb-client")},
        "server": base,
        "plugins": plugin_options(server, base),
        "removed": removed_options(server, base),
        "client": options(cc.output([cc.find("mariadb"), "--no-defaults",
                                     "--verbose", "--help"])),
        # mysqld_safe prints its usage and exits 1.
        "mysqld_safe": sorted(options(cc.output(
            [cc.find("mysqld_safe"), "--help"], ok=(0, 1)))),
        "sst": sst_keys(),
    }
    cc.write("mariadb-options.json", data)


if __name__ == "__main__":
    main()

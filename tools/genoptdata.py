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
"""Regenerate confcheck's oslo.config option data from the real services.

Creates a throwaway venv, installs the newest release of every service and
library below, takes the generator configs from the services' sdists (they
are not in wheels), runs oslo-config-generator's JSON output for each file
and writes the compact data confcheck loads: one JSON per file name under
tools/confcheck/data/oslo/ plus index.json (package versions, series,
generator). Fails when stevedore reports "Could not load": the generator
exits 0 then, silently dropping that driver's options.

Usage: ``python tools/genoptdata.py [--workdir DIR] [--output DIR]``
"""

from __future__ import annotations

import argparse
import concurrent.futures
import json
import os
import re
import subprocess
import sys
import tarfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
DEFAULT_OUTPUT = os.path.join(HERE, "confcheck", "data", "oslo")
DUMPER = os.path.join(HERE, "optdata_dump.py")

# Service package -> the config files whose generator configs its sdist
# ships (found by their output_file, so a moved config is still found).
# PyPI's "heat" and "placement" are unrelated projects: the OpenStack ones
# carry an "openstack-" prefix.
SERVICES: dict[str, tuple[str, ...]] = {
    "keystone": ("keystone.conf",),
    "nova": ("nova.conf",),
    "openstack-placement": ("placement.conf",),
    "neutron": ("neutron.conf", "l3_agent.ini", "dhcp_agent.ini",
                "metadata_agent.ini", "ml2_conf.ini",
                "openvswitch_agent.ini", "ovn_agent.ini",
                "neutron_ovn_metadata_agent.ini"),
    "glance": ("glance-api.conf",),
    "cinder": ("cinder.conf",),
    "manila": ("manila.conf",),
    "openstack-heat": ("heat.conf",),
    "octavia": ("octavia.conf",),
    "ceilometer": ("ceilometer.conf",),
    "aodh": ("aodh.conf",),
    "masakari": ("masakari.conf",),
    "masakari-monitors": ("masakarimonitors.conf",),
}
# Installed only when it resolves with the rest (it lags the services).
OPTIONAL = ("masakari-monitors",)
LIBRARIES = ("oslo.config", "oslo.messaging", "oslo.db", "oslo.cache",
             "oslo.log", "oslo.middleware", "oslo.policy",
             "oslo.concurrency", "keystonemiddleware", "keystoneauth1")
# Not services, but needed so no driver's options are dropped: cinder's
# opts module imports every volume driver (its "all" extra).
EXTRA_DEPS = ("google-api-python-client",)

# Option fields carried over as they are (when not empty).
PLAIN_FIELDS = ("min", "max", "deprecated_reason", "deprecated_since")
# Where a release's series name is written in an OpenStack sdist: the
# stable branch in .gitreview or the constraints URL in tox.ini.
SERIES_PATTERNS = (
    (".gitreview", re.compile(r"^defaultbranch\s*=\s*stable/(\S+)", re.M)),
    ("tox.ini", re.compile(r"constraints/upper/(\d{4}\.\d|[a-z]+)\b")),
)
# Namespaces a library's import registers in every service using it, even
# where the service's generator config leaves them out: oslo.messaging's
# queue manager takes oslo_concurrency.lockutils file locks, so
# [oslo_concurrency] lock_path is read (masakari's config omits it).
IMPLIED_NAMESPACES = {"oslo.messaging": ("oslo.concurrency",)}
RELEASE_NOTES_PAGE = re.compile(r"releasenotes/source/([\w.]+)\.rst")
LOAD_WORKERS = 2


def log(message: str) -> None:
    print(f"genoptdata: {message}", file=sys.stderr, flush=True)


def run(argv: list[str], **kwargs) -> subprocess.CompletedProcess:
    log(" ".join(argv[:6]) + (" ..." if len(argv) > 6 else ""))
    result = subprocess.run(argv, capture_output=True, text=True,
                            check=False, **kwargs)
    if result.returncode:
        sys.stderr.write(result.stdout[-4000:] + result.stderr[-4000:])
        raise SystemExit(f"genoptdata: failed: {' '.join(argv[:4])}")
    return result


def make_venv(workdir: str) -> str:
    venv = os.path.join(workdir, "venv")
    python = os.path.join(venv, "bin", "python")
    if not os.path.exists(python):
        run([sys.executable, "-m", "venv", venv])
    required = [p for p in SERVICES if p not in OPTIONAL]
    run([python, "-m", "pip", "install", "-q", "--upgrade",
         *required, *LIBRARIES, *EXTRA_DEPS])
    for package in OPTIONAL:
        result = subprocess.run(
            [python, "-m", "pip", "install", "-q", "--upgrade", package],
            capture_output=True, text=True, check=False)
        if result.returncode:
            log(f"optional {package} does not install; skipped")
    return python


def installed_versions(python: str) -> dict[str, str]:
    out = run([python, "-m", "pip", "list", "--format", "json"]).stdout
    return {canonical(p["name"]): p["version"] for p in json.loads(out)}


def canonical(name: str) -> str:
    return re.sub(r"[-_.]+", "-", name).lower()


def download_sdists(python: str, workdir: str,
                    versions: dict[str, str]) -> dict[str, str]:
    """Each installed service's sdist, pinned to the installed version."""
    dest = os.path.join(workdir, "sdist")
    os.makedirs(dest, exist_ok=True)
    # pip prepares every sdist's metadata even when the file is already
    # there, so only the missing ones are asked for.
    present = {canonical(name) for name in os.listdir(dest)}
    pins = [f"{p}=={versions[canonical(p)]}" for p in SERVICES
            if canonical(p) in versions and canonical(
                f"{p}-{versions[canonical(p)]}.tar.gz") not in present]
    if pins:
        run([python, "-m", "pip", "download", "-q", "--no-deps",
             "--no-binary", ":all:", "-d", dest, *pins])
    found = {}
    for package in SERVICES:
        version = versions.get(canonical(package))
        if version is None:
            continue
        stem = f"{canonical(package)}-{version}.tar.gz"
        for name in os.listdir(dest):
            if canonical(name) == canonical(stem):
                found[package] = os.path.join(dest, name)
        if package not in found:
            raise SystemExit(f"genoptdata: no sdist {stem} in {dest}")
    return found


def read_sdist(path: str) -> tuple[dict[str, tuple[str, str]], dict]:
    """Generator configs by target file name, and the release's series."""
    configs: dict[str, tuple[str, str]] = {}
    texts: dict[str, str] = {}
    notes: list[str] = []
    with tarfile.open(path) as tar:
        for member in tar.getmembers():
            inner = member.name.split("/", 1)[-1]
            match = RELEASE_NOTES_PAGE.fullmatch(inner)
            if match:
                notes.append(match.group(1))
            if not member.isfile() or member.size > 65536 or \
                    not inner.endswith((".conf", ".ini", ".gitreview")):
                continue
            text = tar.extractfile(member).read().decode("utf-8", "replace")
            texts[inner] = text
            target = generator_target(text)
            if target:
                configs.setdefault(target, (inner, text))
    return configs, series_of(texts, notes)


def series_of(texts: dict[str, str], notes: list[str]) -> dict:
    """The release series, from the stable branch the sdist was cut on.

    A release tagged before its branch's bot commits still names master;
    then the series is the one after the newest series page of its release
    notes (the release's own notes are still "unreleased" there).
    """
    for source, pattern in SERIES_PATTERNS:
        match = pattern.search(texts.get(source, ""))
        if match and match.group(1) != "master":
            return {"series": match.group(1), "series_source": source}
    numbered = sorted(n for n in notes if re.fullmatch(r"\d{4}\.[12]", n))
    if not numbered:
        return {"series": None, "series_source": None}
    year, half = map(int, numbered[-1].split("."))
    following = f"{year}.2" if half == 1 else f"{year + 1}.1"
    return {"series": following,
            "series_source": f"releasenotes/source: next after "
                             f"{numbered[-1]}.rst"}


def generator_target(text: str) -> str | None:
    """The file a generator config writes (its output_file, sans .sample)."""
    if not re.search(r"^namespace\s*=", text, re.M):
        return None
    match = re.search(r"^output_file\s*=\s*(\S+)", text, re.M)
    if not match:
        return None
    name = os.path.basename(match.group(1))
    return name.removesuffix(".sample")


def dump(python: str, genconf: str, out: str) -> dict:
    result = subprocess.run([python, DUMPER, genconf, out],
                            capture_output=True, text=True, check=False)
    if result.returncode:
        raise SystemExit(f"genoptdata: {genconf}: generator failed:\n"
                         f"{result.stderr[-4000:]}")
    with open(out, encoding="utf-8") as fh:
        data = json.load(fh)
    if data["load_failures"]:
        raise SystemExit(
            f"genoptdata: {genconf}: options dropped (install the missing "
            f"dependency):\n  " + "\n  ".join(data["load_failures"]))
    return data


def compact_option(entry: dict, params: dict) -> dict:
    """The fields of one generator option record that confcheck uses."""
    record: dict = {"type": entry["type"]}
    if entry.get("choices"):
        record["choices"] = [c[0] for c in entry["choices"]]
    for field in PLAIN_FIELDS:
        if entry.get(field) not in (None, ""):
            record[field] = entry[field]
    if entry.get("deprecated_for_removal"):
        record["deprecated_for_removal"] = True
    # Files use the dest spelling: keystoneauth's "auth-url" is auth_url.
    old = sorted({(d["group"] or "DEFAULT", d["name"].replace("-", "_"))
                  for d in entry.get("deprecated_opts", [])})
    if old:
        record["deprecated_opts"] = [list(o) for o in old]
    record.update(params)
    return record


def compact(data: dict) -> dict:
    """Group -> option -> record, plus dynamic and driver group facts."""
    groups: dict = {}
    dynamic: dict = {}
    for group, info in data["options"].items():
        params = data["type_params"].get(group, {})
        opts = groups.setdefault(group, {})
        for entry in info["opts"]:
            # manila registers some options from two namespaces; the
            # records are the same, keep one.
            opts[entry["dest"]] = compact_option(
                entry, params.get(entry["dest"], {}))
        if info.get("dynamic_group_owner"):
            dynamic[group] = info["dynamic_group_owner"]
    result = {"groups": groups}
    if dynamic:
        result["dynamic_groups"] = dynamic
    return result


def write_json(path: str, data: dict) -> None:
    """Sorted JSON, one option per line: compact, yet diffs stay legible."""
    lines = ["{"]
    top = sorted(data.items())
    for i, (key, value) in enumerate(top):
        comma = "," if i < len(top) - 1 else ""
        if key == "groups":
            lines.append('"groups": {')
            groups = sorted(value.items())
            for j, (group, opts) in enumerate(groups):
                lines.append(f"{json.dumps(group)}: {{")
                items = sorted(opts.items())
                for k, (name, record) in enumerate(items):
                    sep = "," if k < len(items) - 1 else ""
                    lines.append(json.dumps(name) + ": " + json.dumps(
                        record, sort_keys=True, separators=(",", ":"))
                        + sep)
                lines.append("}" + ("," if j < len(groups) - 1 else ""))
            lines.append("}" + comma)
        else:
            lines.append(json.dumps(key) + ": " + json.dumps(
                value, sort_keys=True, indent=1) + comma)
    lines.append("}")
    with open(path, "w", encoding="utf-8") as fh:
        fh.write("\n".join(lines) + "\n")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--workdir", default="/tmp/genoptdata",
                        help="throwaway venv, sdists and raw output "
                             "(default: %(default)s)")
    parser.add_argument("--output", default=DEFAULT_OUTPUT,
                        help="data directory (default: %(default)s)")
    args = parser.parse_args(argv)
    started = time.monotonic()
    os.makedirs(args.workdir, exist_ok=True)
    python = make_venv(args.workdir)
    versions = installed_versions(python)
    sdists = download_sdists(python, args.workdir, versions)
    installed = time.monotonic()

    jobs: list[tuple[str, str, str]] = []
    configs_text: dict[str, str] = {}
    packages: dict = {}
    for package, sdist in sorted(sdists.items()):
        configs, series = read_sdist(sdist)
        packages[package] = {"version": versions[canonical(package)],
                             **series}
        for target in SERVICES[package]:
            if target not in configs:
                raise SystemExit(f"genoptdata: {os.path.basename(sdist)} "
                                 f"has no generator config for {target}")
            inner, text = configs[target]
            configs_text[target] = text
            genconf = os.path.join(args.workdir, "genconf", target)
            os.makedirs(os.path.dirname(genconf), exist_ok=True)
            with open(genconf, "w", encoding="utf-8") as fh:
                fh.write(text.rstrip("\n") + "\n" + "".join(
                    f"namespace = {ns}\n" for ns in implied(text)))
            jobs.append((package, target, inner))
    for library in LIBRARIES:
        packages[library] = {"version": versions[canonical(library)]}

    raw = os.path.join(args.workdir, "raw")
    os.makedirs(raw, exist_ok=True)
    os.makedirs(args.output, exist_ok=True)
    files: dict = {}
    with concurrent.futures.ThreadPoolExecutor(LOAD_WORKERS) as pool:
        results = {target: pool.submit(
            dump, python, os.path.join(args.workdir, "genconf", target),
            os.path.join(raw, target + ".json"))
            for _package, target, _inner in jobs}
        auth = pool.submit(dump_auth, python, raw)
        for package, target, inner in jobs:
            data = compact(results[target].result())
            write_json(os.path.join(args.output, target + ".json"), data)
            files[target] = {
                "package": package, "generator_config": inner,
                "namespaces": sorted(namespaces(args.workdir, target)),
                "namespaces_added": implied(configs_text[target]),
                "groups": len(data["groups"]),
                "options": sum(map(len, data["groups"].values()))}
        write_json(os.path.join(args.output, "keystoneauth1.json"),
                   compact(auth.result()))
    index = {"files": files, "packages": packages,
             "generator": {
                 "tool": "oslo-config-generator --format json "
                         "(oslo_config.generator.generate)",
                 "oslo.config": versions["oslo-config"],
                 "python": sys.version.split()[0],
                 "command": "python tools/genoptdata.py"}}
    with open(os.path.join(args.output, "index.json"), "w",
              encoding="utf-8") as fh:
        json.dump(index, fh, sort_keys=True, indent=1)
        fh.write("\n")
    done = time.monotonic()
    log(f"install+download {installed - started:.0f} s, generation "
        f"{done - installed:.0f} s, total {done - started:.0f} s")
    return 0


def dump_auth(python: str, raw: str) -> dict:
    return dump(python, "--keystoneauth",
                os.path.join(raw, "keystoneauth1.json"))


def implied(text: str) -> list[str]:
    """Namespaces IMPLIED_NAMESPACES adds to one generator config."""
    present = set(re.findall(r"^namespace\s*=\s*(\S+)", text, re.M))
    return sorted({extra for ns, extras in IMPLIED_NAMESPACES.items()
                   if ns in present for extra in extras} - present)


def namespaces(workdir: str, target: str) -> list[str]:
    with open(os.path.join(workdir, "genconf", target),
              encoding="utf-8") as fh:
        return re.findall(r"^namespace\s*=\s*(\S+)", fh.read(), re.M)


if __name__ == "__main__":
    sys.exit(main())

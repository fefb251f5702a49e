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

For one release series (or all): creates a throwaway venv, installs that
series' major version of every service below with the libraries pinned by
the series' upper constraints (the newest series: the newest of each),
takes the generator configs from the services' sdists (they are not in
wheels), runs oslo-config-generator's JSON output for each file and keeps
that raw output in the series' workdir. Then it packs every series whose
raw output is there (and keeps the others the data directory holds): the
newest whole, one JSON per file name under tools/confcheck/data/oslo/,
each older one as its differences from it under releases/, and index.json
(package versions, series, generator). Fails when stevedore reports
"Could not load": the generator exits 0 then, silently dropping that
driver's options.

Usage: ``python tools/genoptdata.py [--release SERIES|all]
[--constraints FILE|URL] [--workdir DIR] [--output DIR] [--pack-only]``
"""

from __future__ import annotations

import argparse
import concurrent.futures
import json
import os
import re
import subprocess
import socket
import sys
import tarfile
import time
import urllib.request

from confcheck.checks import oslo_delta

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
    "glance": ("glance-api.conf", "glance-image-import.conf"),
    "cinder": ("cinder.conf",),
    "manila": ("manila.conf",),
    "openstack-heat": ("heat.conf",),
    "octavia": ("octavia.conf",),
    "ceilometer": ("ceilometer.conf",),
    "aodh": ("aodh.conf",),
    "masakari": ("masakari.conf",),
    "masakari-monitors": ("masakarimonitors.conf",),
    "neutron-vpnaas": ("vpn_agent.ini", "neutron_vpnaas.conf",
                       "ovn_vpn_agent.ini"),
}
# Generator configs only some releases ship (added or removed on the way):
# their absence from one release's sdist is not an error.
SOME_RELEASES = ("ovn_vpn_agent.ini",)
# The series with data, oldest first: the maintained ones (2024.1 on) and,
# for the history of removed options, the two before. The last one is the
# newest, whose data is committed whole (the others as differences).
RELEASES = ("2023.1", "2023.2", "2024.1", "2024.2", "2025.1", "2025.2",
            "2026.1", "2026.2")
# Each service's major version in the oldest series: every service has
# released one major version per series since, so the series' index gives
# the rest (compared with the series hinted in each sdist).
FIRST_MAJOR = {"keystone": 23, "nova": 27, "openstack-placement": 9,
               "neutron": 22, "glance": 26, "cinder": 22, "manila": 16,
               "openstack-heat": 20, "octavia": 12, "ceilometer": 20,
               "aodh": 16, "masakari": 15, "masakari-monitors": 15,
               "neutron-vpnaas": 22}
# Where OpenStack publishes each series' pinned library versions.
CONSTRAINTS_URL = "https://releases.openstack.org/constraints/upper/{series}"
# Installed only when it resolves with the rest (it lags the services).
OPTIONAL = ("masakari-monitors",)
LIBRARIES = ("oslo.config", "oslo.messaging", "oslo.db", "oslo.cache",
             "oslo.log", "oslo.middleware", "oslo.policy",
             "oslo.concurrency", "keystonemiddleware", "keystoneauth1")
# Not services, but needed so no driver's options are dropped: cinder's
# opts module imports every volume driver (its "all" extra).
EXTRA_DEPS = ("google-api-python-client",)
# What reading the sdists' metadata needs in the venv itself (pip download
# runs without build isolation, see download_sdists): the pbr of series
# before 2025.1 imports pkg_resources, which setuptools 81 dropped.
BUILD_DEPS = ("setuptools<81", "wheel")

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
# Written next to the raw dumps of one series; read back by pack().
RELEASE_FILE = "release.json"
AUTH_FILE = "keystoneauth1"
# Older series' data: differences from the newest, one file per series.
RELEASES_DIR = "releases"


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


def service_pins(series: str) -> dict[str, str]:
    """pip requirement per service: its major version for ``series``."""
    step = RELEASES.index(series)
    return {p: f"{p}~={FIRST_MAJOR[p] + step}.0" for p in SERVICES}


def service_free_constraints(source: str, workdir: str) -> str:
    """A copy of the constraints without the services' own pins.

    Upper constraints pin some services too (ceilometer, at a release
    candidate, for the plugins that import it); the services' versions come
    from service_pins instead.
    """
    if re.match(r"https?://", source):
        with urllib.request.urlopen(source, timeout=60) as response:
            text = response.read().decode("utf-8")
    else:
        with open(source, encoding="utf-8") as fh:
            text = fh.read()
    services = {canonical(p) for p in SERVICES}
    kept = [line for line in text.splitlines()
            if canonical(re.split(r"[=<>!~;\s]", line, maxsplit=1)[0])
            not in services]
    path = os.path.join(workdir, "constraints.txt")
    with open(path, "w", encoding="utf-8") as fh:
        fh.write("\n".join(kept) + "\n")
    return path


def make_venv(workdir: str, series: str, constraints: str | None) -> str:
    venv = os.path.join(workdir, "venv")
    python = os.path.join(venv, "bin", "python")
    if not os.path.exists(python):
        run([sys.executable, "-m", "venv", venv])
    pins = service_pins(series)
    limit = ["-c", service_free_constraints(constraints, workdir)] \
        if constraints else []
    required = [pins[p] for p in SERVICES if p not in OPTIONAL]
    # --no-compile: the generator imports each module once; compiling
    # ~180 packages ahead costs minutes of CPU.
    run([python, "-m", "pip", "install", "-q", "--upgrade", "--no-compile",
         *limit, *required, *LIBRARIES, *EXTRA_DEPS, *BUILD_DEPS])
    for package in OPTIONAL:
        result = subprocess.run(
            [python, "-m", "pip", "install", "-q", "--upgrade",
             "--no-compile", *limit, pins[package]],
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
        # The venv already has the build requirements (setuptools, pbr):
        # an isolated build environment per sdist takes minutes.
        run([python, "-m", "pip", "download", "-q", "--no-deps",
             "--no-build-isolation", "--no-binary", ":all:", "-d", dest,
             *pins])
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
            target = generator_target(text, inner)
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


def generator_target(text: str, name: str = "") -> str | None:
    """The file a generator config writes (its output_file, sans .sample).

    Without output_file (aodh until 2025.1 passes it on the command line),
    the config's own name tells: aodh-config-generator.conf is aodh.conf.
    """
    if not re.search(r"^namespace\s*=", text, re.M):
        return None
    match = re.search(r"^output_file\s*=\s*(\S+)", text, re.M)
    if match:
        return os.path.basename(match.group(1)).removesuffix(".sample")
    named = re.fullmatch(r"(?:.*/)?([\w-]+)-config-generator\.conf", name)
    return f"{named.group(1)}.conf" if named else None


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


def compact_option(entry: dict, params: dict,
                   machine: dict | None = None) -> dict:
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
    default = default_text(entry, machine or {})
    if default is not None:
        record["default"] = default
    record.update(params)
    return record


def default_text(entry: dict, machine: dict) -> str | None:
    """The default as a file would spell it (sample_default when given).

    Defaults computed on the generating machine (its host name, the venv's
    paths) would differ between series for no reason: they become
    "<machine-specific>".
    """
    value = entry.get("sample_default")
    if value is None:
        value = entry.get("default")
    if value is None:
        return None
    if isinstance(value, bool):
        text = "true" if value else "false"
    elif isinstance(value, (list, tuple)):
        text = ",".join(default_text({"default": v}, {}) or ""
                        for v in value)
    elif isinstance(value, dict):
        text = ",".join(f"{k}:{v}" for k, v in sorted(value.items()))
    else:
        text = str(value)
    host = machine.get("host")
    # The host name only as a name of its own: a host called "vm" must not
    # turn "kvm" into a machine-specific default.
    if (machine.get("workdir") and machine["workdir"] in text) or (
            host and re.search(rf"(?<![\w-]){re.escape(host)}(?![\w-])",
                               text)):
        return "<machine-specific>"
    return text


def compact(data: dict, machine: dict | None = None) -> dict:
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
                entry, params.get(entry["dest"], {}), machine)
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
    parser.add_argument("--workdir",
                        help="throwaway venv, sdists and raw output "
                             "(default: /tmp/genoptdata-SERIES)")
    parser.add_argument("--output", default=DEFAULT_OUTPUT,
                        help="data directory (default: %(default)s)")
    parser.add_argument("--release", choices=(*RELEASES, "all"),
                        default=RELEASES[-1],
                        help="series to generate, or all of them one after "
                             "the other (default: %(default)s)")
    parser.add_argument("--constraints",
                        help="upper-constraints file or URL pinning the "
                             "libraries (default: the series' published "
                             "constraints; none for the newest series)")
    parser.add_argument("--pack-only", action="store_true",
                        help="generate nothing: rebuild the data directory "
                             "from the raw output already in each series' "
                             "workdir (and the committed data)")
    args = parser.parse_args(argv)
    if args.release == "all" and (args.workdir or args.constraints):
        parser.error("--release all takes neither --workdir nor "
                     "--constraints")
    for series in RELEASES if args.release == "all" else [args.release]:
        if args.pack_only:
            break
        constraints = args.constraints
        if constraints is None and series != RELEASES[-1]:
            constraints = CONSTRAINTS_URL.format(series=series)
        generate(args.workdir or workdir_of(series), series, constraints)
    raws = {series: os.path.join(workdir_of(series), "raw")
            for series in RELEASES}
    if args.workdir:
        raws[args.release] = os.path.join(args.workdir, "raw")
    pack(args.output, {series: raw for series, raw in raws.items()
                       if os.path.exists(os.path.join(raw, RELEASE_FILE))})
    return 0


def workdir_of(series: str) -> str:
    return f"/tmp/genoptdata-{series}"


def generate(workdir: str, release: str, constraints: str | None) -> None:
    """Install one series and write its raw generator output.

    workdir/raw/ receives one JSON per file (optdata_dump.py's output) and
    RELEASE_FILE: package versions, generator configs and namespaces.
    """
    started = time.monotonic()
    os.makedirs(workdir, exist_ok=True)
    python = make_venv(workdir, release, constraints)
    versions = installed_versions(python)
    sdists = download_sdists(python, workdir, versions)
    installed = time.monotonic()

    jobs: list[tuple[str, str, str]] = []
    configs_text: dict[str, str] = {}
    packages: dict = {}
    for package, sdist in sorted(sdists.items()):
        configs, series = read_sdist(sdist)
        packages[package] = {"version": versions[canonical(package)],
                             **series}
        if series["series"] != release:
            # The pin chose the series' major version; the sdist's own
            # hints can lag (masakari 17.0.0 has no 2023.2 notes page).
            log(f"{os.path.basename(sdist)}: its files suggest series "
                f"{series['series']} ({series['series_source']}); pinned "
                f"as {release}")
            packages[package].update(series=release,
                                     series_source="version pin",
                                     series_hint=series["series"])
        for target in SERVICES[package]:
            if target not in configs and target in SOME_RELEASES:
                continue
            if target not in configs:
                raise SystemExit(f"genoptdata: {os.path.basename(sdist)} "
                                 f"has no generator config for {target}")
            inner, text = configs[target]
            configs_text[target] = text
            genconf = os.path.join(workdir, "genconf", target)
            os.makedirs(os.path.dirname(genconf), exist_ok=True)
            with open(genconf, "w", encoding="utf-8") as fh:
                fh.write(text.rstrip("\n") + "\n" + "".join(
                    f"namespace = {ns}\n" for ns in implied(text)))
            jobs.append((package, target, inner))
    for library in LIBRARIES:
        packages[library] = {"version": versions[canonical(library)]}

    raw = os.path.join(workdir, "raw")
    os.makedirs(raw, exist_ok=True)
    files: dict = {}
    with concurrent.futures.ThreadPoolExecutor(LOAD_WORKERS) as pool:
        results = {target: pool.submit(
            dump, python, os.path.join(workdir, "genconf", target),
            os.path.join(raw, target + ".json"))
            for _package, target, _inner in jobs}
        auth = pool.submit(dump_auth, python, raw)
        for package, target, inner in jobs:
            results[target].result()
            files[target] = {
                "package": package, "generator_config": inner,
                "namespaces": sorted(namespaces(workdir, target)),
                "namespaces_added": implied(configs_text[target])}
        auth.result()
    meta = {"files": files, "packages": packages,
            "constraints": constraints_label(constraints, release),
            "machine": {"workdir": workdir, "host": socket.gethostname()},
            "generator": {
                "tool": "oslo-config-generator --format json "
                        "(oslo_config.generator.generate)",
                "oslo.config": versions["oslo-config"],
                "python": sys.version.split()[0],
                "command": f"python tools/genoptdata.py --release "
                           f"{release}"}}
    with open(os.path.join(raw, RELEASE_FILE), "w", encoding="utf-8") as fh:
        json.dump(meta, fh, sort_keys=True, indent=1)
    done = time.monotonic()
    log(f"{release}: install+download {installed - started:.0f} s, "
        f"generation {done - installed:.0f} s")


def constraints_label(constraints: str | None, release: str) -> str:
    """Where the library pins came from, without this machine's paths."""
    if constraints is None:
        return "none (the newest release of each library)"
    if re.match(r"https?://", constraints):
        return constraints
    return (f"a local copy of openstack/requirements upper-constraints.txt "
            f"for {release} ({os.path.basename(constraints)})")


def compact_release(raw: str) -> tuple[dict, dict]:
    """(file -> compact data, release metadata) from one raw directory."""
    with open(os.path.join(raw, RELEASE_FILE), encoding="utf-8") as fh:
        meta = json.load(fh)
    machine = meta.pop("machine")
    data = {}
    for target in [*meta["files"], AUTH_FILE]:
        with open(os.path.join(raw, target + ".json"),
                  encoding="utf-8") as fh:
            data[target] = compact(json.load(fh), machine)
    for target, info in meta["files"].items():
        info["groups"] = len(data[target]["groups"])
        info["options"] = sum(map(len, data[target]["groups"].values()))
    return data, meta


def pack(output: str, raws: dict[str, str]) -> None:
    """Write the newest series whole and every other one as differences.

    A series without raw output here keeps what the data directory already
    holds, so one series can be regenerated alone.
    """
    committed = read_committed(output)
    full: dict[str, dict] = {}
    metas: dict[str, dict] = {}
    for series in RELEASES:
        if series in raws:
            full[series], metas[series] = compact_release(raws[series])
            log(f"{series}: packed from {raws[series]}")
        elif series in committed:
            full[series], metas[series] = committed[series]
    if not full:
        raise SystemExit("genoptdata: no series to pack")
    newest = [s for s in RELEASES if s in full][-1]
    base = full[newest]
    os.makedirs(os.path.join(output, RELEASES_DIR), exist_ok=True)
    for name in os.listdir(output):
        if name.endswith(".json") and name != "index.json" and \
                name.removesuffix(".json") not in base:
            os.remove(os.path.join(output, name))
    for target, data in base.items():
        write_json(os.path.join(output, target + ".json"), data)
    releases = {}
    for series in full:
        releases[series] = metas[series]
        path = os.path.join(output, RELEASES_DIR, series + ".json")
        if series == newest:
            if os.path.exists(path):
                os.remove(path)
            continue
        write_delta(path, oslo_delta.diff(base, full[series]))
    index = {"newest": newest, "releases": releases,
             # The newest series' facts, where older readers look.
             "files": metas[newest]["files"],
             "packages": metas[newest]["packages"],
             "generator": metas[newest]["generator"]}
    with open(os.path.join(output, "index.json"), "w",
              encoding="utf-8") as fh:
        json.dump(index, fh, sort_keys=True, indent=1)
        fh.write("\n")
    log(f"wrote {output}: {', '.join(full)} (newest {newest}), "
        f"{data_size(output)} bytes")


def data_size(output: str) -> int:
    total = 0
    for folder, _dirs, names in os.walk(output):
        total += sum(os.path.getsize(os.path.join(folder, n))
                     for n in names)
    return total


def read_committed(output: str) -> dict[str, tuple[dict, dict]]:
    """Every series the data directory holds: series -> (data, meta)."""
    try:
        with open(os.path.join(output, "index.json"), encoding="utf-8") as fh:
            index = json.load(fh)
    except FileNotFoundError:
        return {}
    if "releases" not in index:
        return {}  # the single-series layout: regenerate it whole
    base = {}
    for name in os.listdir(output):
        if name.endswith(".json") and name != "index.json":
            with open(os.path.join(output, name), encoding="utf-8") as fh:
                base[name.removesuffix(".json")] = json.load(fh)
    found = {index["newest"]: (base, index["releases"][index["newest"]])}
    for series, meta in index["releases"].items():
        if series == index["newest"]:
            continue
        with open(os.path.join(output, RELEASES_DIR, series + ".json"),
                  encoding="utf-8") as fh:
            found[series] = (oslo_delta.apply(base, json.load(fh)), meta)
    return found


def write_delta(path: str, change: dict) -> None:
    """One line per changed option, like write_json."""
    lines = ["{", '"absent": ' + json.dumps(change["absent"]) + ",",
             '"files": {']
    targets = sorted(change["files"].items())
    for i, (target, entry) in enumerate(targets):
        lines.append(json.dumps(target) + ": {")
        keys = sorted(entry)
        for j, key in enumerate(keys):
            sep = "," if j < len(keys) - 1 else ""
            if key != "groups":
                lines.append(json.dumps(key) + ": " + json.dumps(
                    entry[key], sort_keys=True, separators=(",", ":"))
                    + sep)
                continue
            lines.append('"groups": {')
            groups = sorted(entry["groups"].items())
            for k, (group, opts) in enumerate(groups):
                lines.append(json.dumps(group) + ": {")
                items = sorted(opts.items())
                for m, (name, record) in enumerate(items):
                    lines.append(json.dumps(name) + ": " + json.dumps(
                        record, sort_keys=True, separators=(",", ":"))
                        + ("," if m < len(items) - 1 else ""))
                lines.append("}" + ("," if k < len(groups) - 1 else ""))
            lines.append("}" + sep)
        lines.append("}" + ("," if i < len(targets) - 1 else ""))
    lines += ["}", "}"]
    with open(path, "w", encoding="utf-8") as fh:
        fh.write("\n".join(lines) + "\n")


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

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
"""The committed oslo-config-generator data: loading, indexes, value types."""

from __future__ import annotations

import functools
import json
import os
import typing

from oslo_config import types

from confcheck.checks import oslo_delta

DATA_DIR = os.path.join(os.path.dirname(os.path.dirname(
    os.path.abspath(__file__))), "data", "oslo")
# keystoneauth1's option sets (written by tools/genoptdata.py) that a
# section gains when it sets auth_type (or is named by auth_section).
AUTH_DATA = "keystoneauth1"
AUTH_PLUGINS = ("password", "v3password")
AUTH_COMMON = "common"


# Older series are stored as differences from the newest (genoptdata.py).
RELEASES_DIR = os.path.join(DATA_DIR, "releases")
# The series checks use when the caller names none (select_release).
_selected: list[str] = []


@functools.cache
def index() -> dict:
    """index.json: the data files, package versions and generator used."""
    with open(os.path.join(DATA_DIR, "index.json"), encoding="utf-8") as fh:
        return json.load(fh)


def releases() -> list[str]:
    """The series with option data, oldest first ("2024.1", ...)."""
    return sorted(index().get("releases") or [newest()], key=_series_key)


def newest() -> str:
    return index().get("newest") or index()["packages"]["nova"]["series"]


def select_release(series: str | None,
                   upgrade_from: str | None = None) -> None:
    """Make series the default of every later check (None: the newest).

    With upgrade_from, later checks list what a file written for that
    series must change to run with series instead (oslo_conf.upgrade).
    The command line's --release, --upgrade-from and --to call this.
    """
    for name in (series, upgrade_from):
        if name is not None and name not in releases():
            raise ValueError(f"no option data for release {name!r}; "
                             f"known: {', '.join(releases())}")
    target = series or newest()
    if upgrade_from is not None and \
            _series_key(upgrade_from) >= _series_key(target):
        raise ValueError(f"--upgrade-from {upgrade_from} must be older "
                         f"than the release upgraded to ({target})")
    _selected[:] = [target, upgrade_from]


def current_release() -> str:
    return _selected[0] if _selected else newest()


def upgrading_from() -> str | None:
    """The series given to select_release's upgrade_from, if any."""
    return _selected[1] if _selected else None


def release_info(series: str) -> dict:
    """index.json's record of one series: packages, files, generator."""
    found = index().get("releases", {}).get(series)
    return found if found is not None else index()


def data_name(basename: str, release: str | None = None) -> str | None:
    """The option data a file is checked with in a series, or None.

    A file with data of its own uses it (glance-api.conf). Otherwise
    ``<service>-<part>.conf`` (manila-share.conf, read with a second
    --config-file by one process of the service) uses ``<service>.conf``.
    """
    files = release_info(release or current_release())["files"]
    if basename in files:
        return basename
    service, dash, _part = basename.partition("-")
    if dash and basename.endswith(".conf") and f"{service}.conf" in files:
        return f"{service}.conf"
    return None


def has_data(basename: str, release: str | None = None) -> bool:
    return data_name(basename, release) is not None


class Schema:
    """One service file's groups and options plus the derived look-ups."""

    def __init__(self, name: str, data: dict, release: str = "") -> None:
        self.name = name
        self.release = release
        self.groups: dict[str, dict[str, dict]] = data["groups"]
        self.dynamic: dict[str, str] = data.get("dynamic_groups", {})
        # (old group, old name) -> (group, name) of its current option.
        self.aliases: dict[tuple[str, str], tuple[str, str]] = {}
        # option name -> groups defining it (for wrong-section hints).
        self.where: dict[str, list[str]] = {}
        for group, opts in self.groups.items():
            for opt, record in opts.items():
                self.where.setdefault(opt, []).append(group)
                for old_group, old_name in record.get("deprecated_opts", ()):
                    self.aliases[(old_group, old_name)] = (group, opt)

    def record(self, group: str, name: str) -> dict | None:
        return self.groups.get(group, {}).get(name)


@functools.cache
def _base(basename: str) -> dict | None:
    try:
        with open(os.path.join(DATA_DIR, basename + ".json"),
                  encoding="utf-8") as fh:
            return json.load(fh)
    except FileNotFoundError:
        return None


@functools.cache
def _delta(series: str) -> dict:
    with open(os.path.join(RELEASES_DIR, series + ".json"),
              encoding="utf-8") as fh:
        return json.load(fh)


def _data(basename: str, series: str) -> dict:
    """One file's data in one series: the newest's, changed by a delta."""
    if series == newest():
        data = _base(basename)
        if data is None:
            raise FileNotFoundError(basename)
        return data
    change = _delta(series)
    data = None if basename in change["absent"] else _base(basename)
    data = oslo_delta.merge(data, change["files"].get(basename, {}))
    if data is None:
        raise FileNotFoundError(f"{basename} in {series}")
    return data


@functools.cache
def schema(basename: str, release: str | None = None) -> Schema:
    """The Schema of a service file such as ``nova.conf`` (cached)."""
    series = release or newest()
    basename = data_name(basename, series) or basename
    return Schema(basename, _data(basename, series), series)


@functools.cache
def auth_schema(release: str | None = None) -> Schema:
    return schema(AUTH_DATA, release)


class Past(typing.NamedTuple):
    """What the series' data tell of an option missing from one series."""

    last: str            # the last series that has it
    gone: str            # the first series after it without it
    replacement: tuple[str, str] | None  # (group, name) taking its place
    record: dict         # its record in the last series


def _series_key(series: str) -> tuple[int, ...]:
    return tuple(int(p) for p in series.split("."))


def missing_between(older: str, newer: str) -> list[str]:
    """The series between older and newer that have no option data.

    OpenStack has released two series a year, YYYY.1 and YYYY.2, since
    2023.1; a removal found between two series with such a gap happened
    in one of the missing series or in newer.
    """
    known = set(releases())
    year, half = _series_key(older)
    missing = []
    while len(missing) < 16:
        year, half = (year, 2) if half == 1 else (year + 1, 1)
        series = f"{year}.{half}"
        if _series_key(series) >= _series_key(newer):
            return missing
        if series not in known:
            missing.append(series)
    return missing


@functools.cache
def _present(basename: str) -> dict[tuple[str, str], list[str]]:
    """(group, name) -> the series whose data have it, oldest first."""
    found: dict[tuple[str, str], list[str]] = {}
    for series in releases():
        try:
            groups = schema(basename, series).groups
        except FileNotFoundError:
            continue
        for group, opts in groups.items():
            for name in opts:
                found.setdefault((group, name), []).append(series)
    return found


def past(basename: str, group: str, name: str,
         release: str) -> Past | None:
    """The history of an option that release's data lacks, if any.

    The last earlier series that had it, and the option listing it as its
    old name in a later series (a rename whose alias has since gone).
    """
    seen = [s for s in _present(basename).get((group, name), ())
            if _series_key(s) < _series_key(release)]
    if not seen:
        return None
    last = seen[-1]
    later = [s for s in releases() if _series_key(s) > _series_key(last)]
    replacement = None
    for series in later:
        found = schema(basename, series).aliases.get((group, name))
        if found is not None:
            replacement = found
            break
    return Past(last, later[0], replacement,
                schema(basename, last).groups[group][name])


def past_group(basename: str, group: str,
               release: str) -> tuple[str, str] | None:
    """(last series with the group, first without) if earlier ones had it."""
    seen = sorted({s for (g, _n), found in _present(basename).items()
                   if g == group for s in found
                   if _series_key(s) < _series_key(release)},
                  key=_series_key)
    if not seen:
        return None
    later = [s for s in releases() if _series_key(s) > _series_key(seen[-1])]
    return seen[-1], later[0]


def future(basename: str, group: str, name: str,
           release: str) -> str | None:
    """The first series after release that has the option, if any."""
    return next((s for s in _present(basename).get((group, name), ())
                 if _series_key(s) > _series_key(release)), None)


def make_type(record: dict):
    """The oslo_config.types instance checking one option's values.

    The generator keeps only a display name for the type; the map below is
    its inverse. None for custom types (nothing to check against).
    """
    name = record["type"]
    choices = [c for c in record.get("choices", ()) if c is not None]
    builder = TYPE_BUILDERS.get(name)
    return builder(record, choices or None) if builder else None


def _string(record: dict, choices):
    return types.String(choices=choices, regex=record.get("regex"),
                        ignore_case=record.get("ignore_case", False),
                        max_length=record.get("max_length"),
                        quotes=record.get("quotes", False))


def _item(record: dict, key: str):
    spec = record.get(key)
    return make_type(spec) if spec else None


TYPE_BUILDERS = {
    "string value": _string,
    "multi valued": _string,
    "integer value": lambda r, c: types.Integer(
        min=r.get("min"), max=r.get("max"), choices=c),
    "floating point value": lambda r, c: types.Float(
        min=r.get("min"), max=r.get("max")),
    "port value": lambda r, c: types.Port(
        min=r.get("min"), max=r.get("max"), choices=c),
    "boolean value": lambda r, c: types.Boolean(),
    "list value": lambda r, c: types.List(
        item_type=_item(r, "item"), bounds=r.get("bounds", False)),
    "dict value": lambda r, c: types.Dict(
        value_type=_item(r, "value"), bounds=r.get("bounds", False)),
    "uri value": lambda r, c: types.URI(
        max_length=r.get("max_length"), schemes=r.get("schemes")),
    "host address value": lambda r, c: types.HostAddress(),
    "host domain value": lambda r, c: types.HostDomain(),
    "hostname value": lambda r, c: types.Hostname(),
    "IP address value": lambda r, c: types.IPAddress(),
}

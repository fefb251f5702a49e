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

from oslo_config import types

DATA_DIR = os.path.join(os.path.dirname(os.path.dirname(
    os.path.abspath(__file__))), "data", "oslo")
# keystoneauth1's option sets (written by tools/genoptdata.py) that a
# section gains when it sets auth_type (or is named by auth_section).
AUTH_DATA = "keystoneauth1"
AUTH_PLUGINS = ("password", "v3password")
AUTH_COMMON = "common"


@functools.cache
def index() -> dict:
    """index.json: the data files, package versions and generator used."""
    with open(os.path.join(DATA_DIR, "index.json"), encoding="utf-8") as fh:
        return json.load(fh)


def data_name(basename: str) -> str | None:
    """The option data a file is checked with, or None.

    A file with data of its own uses it (glance-api.conf). Otherwise
    ``<service>-<part>.conf`` (manila-share.conf, read with a second
    --config-file by one process of the service) uses ``<service>.conf``.
    """
    files = index()["files"]
    if basename in files:
        return basename
    service, dash, _part = basename.partition("-")
    if dash and basename.endswith(".conf") and f"{service}.conf" in files:
        return f"{service}.conf"
    return None


def has_data(basename: str) -> bool:
    return data_name(basename) is not None


class Schema:
    """One service file's groups and options plus the derived look-ups."""

    def __init__(self, name: str, data: dict) -> None:
        self.name = name
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


@functools.cache
def schema(basename: str) -> Schema:
    """The Schema of a service file such as ``nova.conf`` (cached)."""
    basename = data_name(basename) or basename
    with open(os.path.join(DATA_DIR, basename + ".json"),
              encoding="utf-8") as fh:
        return Schema(basename, json.load(fh))


@functools.cache
def auth_schema() -> Schema:
    return schema(AUTH_DATA)


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

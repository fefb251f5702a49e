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
"""Older series' option data as differences from the newest series' data.

Shared by tools/genoptdata.py, which writes them, and oslo_data, which
reads them; it imports nothing beyond the standard library so that the
generator can use it without oslo.config.
"""

from __future__ import annotations


def diff(base: dict, other: dict) -> dict:
    """What turns base into other (both: file name -> file data).

    Per file, group and option: a record replaces the base's, None removes
    it. A file only other has is given whole; "absent" lists the base's
    files other lacks.
    """
    out: dict = {"files": {}, "absent": sorted(set(base) - set(other))}
    for target, data in other.items():
        if target not in base:
            out["files"][target] = {"whole": data}
            continue
        old = base[target]
        changes: dict = {}
        for group in sorted(set(old["groups"]) | set(data["groups"])):
            mine = data["groups"].get(group, {})
            theirs = old["groups"].get(group, {})
            changed = {name: mine.get(name) for name in
                       sorted(set(mine) | set(theirs))
                       if mine.get(name) != theirs.get(name)}
            if changed:
                changes[group] = changed
        entry: dict = {}
        if changes:
            entry["groups"] = changes
        if data.get("dynamic_groups") != old.get("dynamic_groups"):
            entry["dynamic_groups"] = data.get("dynamic_groups", {})
        if entry:
            out["files"][target] = entry
    return out


def merge(data: dict | None, entry: dict) -> dict | None:
    """One file's data in the other series: base data plus its entry."""
    if "whole" in entry:
        return entry["whole"]
    if data is None:
        return None
    groups = {g: dict(opts) for g, opts in data["groups"].items()}
    for group, opts in entry.get("groups", {}).items():
        merged = groups.setdefault(group, {})
        for name, record in opts.items():
            if record is None:
                merged.pop(name, None)
            else:
                merged[name] = record
        if not merged:
            del groups[group]
    result = {"groups": groups}
    dynamic = entry.get("dynamic_groups", data.get("dynamic_groups"))
    if dynamic:
        result["dynamic_groups"] = dynamic
    return result


def apply(base: dict, change: dict) -> dict:
    """The inverse of diff(): every file of the other series."""
    out = {target: merge(data, change["files"].get(target, {}))
           for target, data in base.items()
           if target not in change["absent"]}
    for target, entry in change["files"].items():
        if "whole" in entry:
            out[target] = entry["whole"]
    return out

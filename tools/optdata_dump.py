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
"""Dump one service's oslo-config-generator data (runs inside the venv).

``genoptdata.py`` runs this with the throwaway venv's interpreter, once per
generator config file, so every service is loaded in a fresh process (the
options registered by one service cannot leak into the next). It writes
one JSON document: the generator's own machine-readable output, the type
parameters that output drops (list item types, dict value types, string
regexes, URI schemes), and every stevedore "Could not load" message.

Usage: ``python optdata_dump.py GENERATOR_CONF OUT.json``
       ``python optdata_dump.py --keystoneauth OUT.json``
"""

import io
import json
import logging
import sys

from oslo_config import cfg
from oslo_config import generator
from oslo_config import types

# Type classes whose parameters the checker can use; anything else is
# recorded by class name only.
NUMBERS = (types.Integer, types.Float)


class LoadFailures(logging.Handler):
    """Collects stevedore's "Could not load" errors (exit 0 otherwise).

    Only stevedore.extension's: that is a plugin whose import failed.
    stevedore.named says "Could not load" too, for requested names that
    have no entry point in a namespace (the generator asks every driver
    namespace for every name), which drops nothing.
    """

    def __init__(self) -> None:
        super().__init__(logging.WARNING)
        self.messages: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        text = record.getMessage()
        if "Could not load" in text and record.name != "stevedore.named":
            self.messages.append(f"{record.name}: {text}")


def type_params(opt_type) -> dict:
    """The parameters of an oslo_config type that the JSON output drops."""
    params: dict = {}
    if isinstance(opt_type, types.String):
        if opt_type.regex is not None:
            params["regex"] = opt_type.regex.pattern
        if opt_type.ignore_case:
            params["ignore_case"] = True
        if opt_type.max_length:
            params["max_length"] = opt_type.max_length
        if opt_type.quotes:
            params["quotes"] = True
    elif isinstance(opt_type, (types.List, types.Dict)):
        if isinstance(opt_type, types.List):
            key, inner = "item", opt_type.item_type
        else:
            key, inner = "value", opt_type.value_type
        # A plain string is what List() and Dict() assume anyway.
        if not (type(inner) is types.String and not type_params(inner)
                and not inner.choices):
            params[key] = item_spec(inner)
        if opt_type.bounds:
            params["bounds"] = True
    elif isinstance(opt_type, types.URI):
        if opt_type.schemes:
            params["schemes"] = sorted(opt_type.schemes)
        if opt_type.max_length:
            params["max_length"] = opt_type.max_length
    return params


def item_spec(opt_type) -> dict:
    """A list item or dict value type as a small self-contained record."""
    spec = {"type": generator._format_type_name(opt_type)}
    choices = getattr(opt_type, "choices", None)
    if choices:
        spec["choices"] = [str(c) for c in choices]
    if isinstance(opt_type, NUMBERS):
        if opt_type.min is not None:
            spec["min"] = opt_type.min
        if opt_type.max is not None:
            spec["max"] = opt_type.max
    spec.update(type_params(opt_type))
    return spec


def dump_service(genconf: str) -> dict:
    conf = cfg.ConfigOpts()
    generator.register_cli_opts(conf)
    conf(["--config-file", genconf, "--format", "json"])
    out = io.StringIO()
    generator.generate(conf, out)
    data = json.loads(out.getvalue())
    # The generator's public API gives no access to the Opt objects, whose
    # type parameters are otherwise lost; _list_opts is what generate()
    # itself calls, so the two views come from the same option lists.
    extras: dict = {}
    for _namespace, listing in generator._list_opts(conf.namespace):
        for group, opts in listing:
            gname = getattr(group, "name", group) or "DEFAULT"
            for opt in opts:
                params = type_params(opt.type)
                # MultiOpt sets "multi" on its class, so the generator's
                # copy of the instance's attributes never shows it.
                if opt.multi:
                    params["multi"] = True
                if params:
                    extras.setdefault(gname, {})[opt.dest] = params
    data["type_params"] = extras
    return data


def dump_keystoneauth() -> dict:
    from keystoneauth1 import loading

    conf = cfg.ConfigOpts()
    sets = {
        "common": loading.get_auth_common_conf_options(),
        "session": loading.get_session_conf_options(),
        "adapter": loading.get_adapter_conf_options(),
        "password": loading.get_auth_plugin_conf_options("password"),
        "v3password": loading.get_auth_plugin_conf_options("v3password"),
    }
    data: dict = {"options": {}, "type_params": {}}
    for name, opts in sets.items():
        data["options"][name] = {"opts": [
            generator._build_entry(opt, name, "keystoneauth1", conf)
            for opt in opts]}
        for opt in opts:
            params = type_params(opt.type)
            if params:
                data["type_params"].setdefault(name, {})[opt.dest] = params
    return data


def main(argv: list[str]) -> int:
    failures = LoadFailures()
    logging.basicConfig(level=logging.WARNING)
    logging.getLogger().addHandler(failures)
    if argv[0] == "--keystoneauth":
        data = dump_keystoneauth()
    else:
        data = dump_service(argv[0])
    data["load_failures"] = failures.messages
    with open(argv[1], "w", encoding="utf-8") as fh:
        json.dump(data, fh, default=str, sort_keys=True)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))

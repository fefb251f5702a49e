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
"""The --release, --upgrade-from and --to options of the command line."""

from __future__ import annotations

import argparse


def add_arguments(parser: argparse.ArgumentParser) -> None:
    # No option data is read here: --version and --help stay light.
    group = parser.add_argument_group(
        "OpenStack release", "the series with option data are listed in "
        "the guide's confcheck appendix (and by an unknown --release)")
    group.add_argument("--release", metavar="SERIES",
                       help="check OpenStack files against this release's "
                            "options (default: the newest)")
    group.add_argument("--upgrade-from", metavar="SERIES",
                       help="list what each OpenStack file, written for "
                            "this release, must change for the release "
                            "given by --to: options removed or renamed, "
                            "new deprecations, changed defaults")
    group.add_argument("--to", metavar="SERIES",
                       help="the release --upgrade-from upgrades to "
                            "(default: --release, else the newest)")


def apply(args: argparse.Namespace) -> str | None:
    """Select the release(s); the usage error to report, if any."""
    if not (args.release or args.upgrade_from or args.to):
        return None
    from confcheck.checks import oslo_data

    if args.to and args.release and args.to != args.release:
        return "--to and --release name different releases"
    if args.to and not args.upgrade_from:
        return "--to needs --upgrade-from"
    try:
        oslo_data.select_release(args.to or args.release, args.upgrade_from)
    except ValueError as exc:
        return str(exc)
    return None

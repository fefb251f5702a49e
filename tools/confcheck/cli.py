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
"""Command line: ``python -m confcheck [--kind KIND] FILE...``."""

from __future__ import annotations

import argparse
import sys

import confcheck
from confcheck import kinds

EXIT_OK, EXIT_ERRORS, EXIT_USAGE = 0, 1, 2


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="python -m confcheck",
        description="Validate OpenStack HA configuration files against the "
                    "real software: oslo.config option data, haproxy -c, "
                    "keepalived -t, pcs, crmsh and more.",
        epilog="Exit status: 0 no errors (warnings allowed), 1 errors, "
               "2 usage error or unreadable input.")
    parser.add_argument("--kind", choices=sorted(kinds.KINDS),
                        help="check every FILE as this kind instead of "
                             "inferring it from the file name")
    parser.add_argument("-q", "--quiet", action="store_true",
                        help="no summary line on standard error")
    parser.add_argument("files", nargs="+", metavar="FILE")
    return parser


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    status = EXIT_OK
    errors = warnings = 0
    for path in args.files:
        try:
            findings = confcheck.check_file(path, args.kind)
        except (confcheck.InputError, confcheck.UnknownKind) as exc:
            print(f"confcheck: {exc}", file=sys.stderr)
            status = EXIT_USAGE
            continue
        for finding in findings:
            print(finding.format())
        errors += sum(f.severity == "error" for f in findings)
        warnings += sum(f.severity == "warning" for f in findings)
    if errors and status == EXIT_OK:
        status = EXIT_ERRORS
    if not args.quiet and len(args.files) > 1:
        print(f"confcheck: {len(args.files)} files, {errors} errors, "
              f"{warnings} warnings", file=sys.stderr)
    return status

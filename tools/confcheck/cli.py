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
import os
import sys

import confcheck
from confcheck import external, kinds

EXIT_OK, EXIT_ERRORS, EXIT_USAGE, EXIT_INTERNAL = 0, 1, 2, 3


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="python -m confcheck",
        description="Validate OpenStack HA configuration files against the "
                    "real software: oslo.config option data, haproxy -c, "
                    "keepalived -t, pcs, crmsh and more.",
        epilog="Exit status: 0 no errors (warnings allowed), 1 errors, "
               "2 usage error or unreadable input, 3 internal error "
               "(confcheck crashed on a file: please report it).")
    parser.add_argument("--kind", choices=sorted(kinds.KINDS),
                        help="check every FILE as this kind instead of "
                             "inferring it from the file name")
    parser.add_argument("--tool-root", metavar="DIR",
                        help="run haproxy, keepalived, corosync, pcs and "
                             "crm from this root file system (chrooted), "
                             f"as ${external.TOOL_ROOT_VARIABLE} does")
    parser.add_argument("-j", "--jobs", type=int, default=None,
                        help="files checked at once (default: twice the "
                             "CPUs, at most 8)")
    parser.add_argument("-q", "--quiet", action="store_true",
                        help="no summary line on standard error")
    parser.add_argument("files", nargs="+", metavar="FILE")
    return parser


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    if args.tool_root is not None:
        if not os.path.isdir(os.path.join(args.tool_root, "usr")):
            print(f"confcheck: --tool-root {args.tool_root}: not a root "
                  f"file system (no usr/ in it)", file=sys.stderr)
            return EXIT_USAGE
        os.environ[external.TOOL_ROOT_VARIABLE] = args.tool_root
    status = EXIT_OK
    errors = warnings = 0
    crashed = False
    for _, findings in confcheck.check_files(args.files, args.kind,
                                             args.jobs):
        if isinstance(findings, Exception):
            print(f"confcheck: {findings}", file=sys.stderr)
            status = EXIT_USAGE
            continue
        crashed = crashed or confcheck.has_internal_error(findings)
        for finding in findings:
            print(finding.format())
        errors += sum(f.severity == "error" for f in findings)
        warnings += sum(f.severity == "warning" for f in findings)
    if errors and status == EXIT_OK:
        status = EXIT_ERRORS
    if crashed:
        status = EXIT_INTERNAL
    if not args.quiet and len(args.files) > 1:
        print(f"confcheck: {len(args.files)} files, {errors} errors, "
              f"{warnings} warnings", file=sys.stderr)
    return status

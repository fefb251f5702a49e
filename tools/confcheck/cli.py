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
"""Command line: ``confcheck [OPTIONS] PATH...`` and ``confcheck explain``.

Start-up stays fast because nothing heavy is imported here: the checkers,
the option data and the output formats are loaded when first needed.
"""

from __future__ import annotations

import argparse
import os
import stat
import sys
import time

import confcheck
from confcheck import kinds, releases, settings, sources, suppress

EXIT_OK, EXIT_ERRORS, EXIT_USAGE, EXIT_INTERNAL = 0, 1, 2, 3
STDIN = "-"
# Codes about the input rather than its content: --select does not hide
# them (a file that could not be checked must not pass silently).
INPUT_CODES = frozenset({"GEN010", "GEN011"})

EPILOG = """\
Exit status: 0 no error found (warnings allowed unless --strict);
1 errors found (a file that cannot be read, or whose kind is unknown, is an
error on that file); 2 usage error, nothing checked; 3 internal error of
confcheck (reported as a finding; the other files are still checked).

Explain a code: %(prog)s explain CODE
Configuration: .confcheck.toml or [tool.confcheck] in pyproject.toml,
searched upwards from the current directory.
Suppress on one line: a comment "# confcheck: ignore=CODE" on the line
before (or at the end of the line); in a file: "# confcheck: file-ignore=CODE".
"""


def prog_name() -> str:
    """How the user ran us, for usage lines: console script or -m."""
    name = os.path.basename(sys.argv[0] if sys.argv else "")
    return "confcheck" if name == "confcheck" else "python -m confcheck"


def comma_list(value: str) -> list[str]:
    return [item.strip().upper() for item in value.split(",")
            if item.strip()]


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog=prog_name(),
        formatter_class=argparse.RawDescriptionHelpFormatter,
        description="Validate OpenStack HA configuration files against "
                    "the real software:\noslo.config option data, "
                    "haproxy -c, keepalived -t, pcs, crmsh and more.",
        epilog=EPILOG)
    parser.add_argument("--version", action="version",
                        version=f"confcheck {confcheck.__version__}")
    parser.add_argument("--kind", choices=sorted(kinds.KINDS),
                        help="check every FILE named on the command line "
                             "(and standard input) as this kind instead of "
                             "inferring it from the name; files found in a "
                             "directory are always judged by their name")
    parser.add_argument("--stdin-filename", metavar="NAME",
                        help="the name of the file read from standard "
                             "input (-): it sets the kind and the option "
                             "data, and is the path in the findings")
    parser.add_argument("--format", choices=settings.FORMATS,
                        help="output format (default: text)")
    parser.add_argument("--select", type=comma_list, metavar="CODES",
                        help="report only these codes or prefixes, "
                             "comma-separated (e.g. OSL,HAP001)")
    parser.add_argument("--ignore", type=comma_list, metavar="CODES",
                        help="never report these codes or prefixes")
    parser.add_argument("--strict", action=argparse.BooleanOptionalAction,
                        default=None,
                        help="warnings fail the check too (exit 1)")
    config = parser.add_mutually_exclusive_group()
    config.add_argument("--config", metavar="FILE",
                        help="read settings from FILE instead of searching "
                             "for .confcheck.toml or pyproject.toml")
    config.add_argument("--no-config", action="store_true",
                        help="ignore every configuration file")
    parser.add_argument("--color", choices=("auto", "always", "never"),
                        default="auto",
                        help="colour the text format (auto: on a terminal, "
                             "unless NO_COLOR is set)")
    parser.add_argument("--tool-root", metavar="DIR",
                        help="run haproxy, keepalived, corosync, pcs and "
                             "crm from this root file system (chrooted), "
                             "as $CONFCHECK_TOOL_ROOT does")
    parser.add_argument("-j", "--jobs", type=int, default=None,
                        help="files checked at once (default: twice the "
                             "CPUs, at most 8)")
    parser.add_argument("--skip-unknown", action="store_true",
                        help="skip files of unknown kind named on the "
                             "command line, as a walk does, and exit 0 "
                             "when nothing is left (for pre-commit and "
                             "other tools that pass every changed file)")
    parser.add_argument("--progress", action="store_true",
                        help="show progress on standard error even when it "
                             "is not a terminal")
    parser.add_argument("-q", "--quiet", action="store_true",
                        help="no summary and no hints on standard error")
    releases.add_arguments(parser)
    parser.add_argument("paths", nargs="+", metavar="PATH",
                        help="a file, a directory (walked; files of unknown "
                             "kind are skipped) or - for standard input")
    return parser


def explain_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog=f"{prog_name()} explain",
        description="Show what a code means, why it matters, a bad and a "
                    "good example, and its page in the guide.")
    parser.add_argument("code", metavar="CODE")
    return parser


def codebook() -> dict[str, tuple[confcheck.Code, str]]:
    """Every documented code with the kind it belongs to."""
    from confcheck import tree  # the example-tree codes, TRE*

    book = {c.code: (c, "any file") for c in confcheck.GENERAL}
    for kind in sorted(kinds.KINDS):
        book.update((c.code, (c, kind)) for c in kinds.checker(kind).CODES)
    book.update((c.code, (c, "the guide's example tree"))
                for c in tree.CODES)
    return book


def explain(argv: list[str]) -> int:
    import difflib

    from confcheck import report

    args = explain_parser().parse_args(argv)
    wanted = args.code.strip().upper()
    book = codebook()
    if wanted not in book:
        close = difflib.get_close_matches(wanted, book, n=3)
        hint = f"; did you mean {', '.join(close)}?" if close else ""
        print(f"confcheck: unknown code {args.code!r}{hint}",
              file=sys.stderr)
        return EXIT_USAGE
    code, kind = book[wanted]
    sys.stdout.write(report.explain(code, kind))
    return EXIT_OK


class Options:
    """The command line merged over the configuration file.

    This module keeps to plain classes: each dataclass costs about two
    milliseconds at import, which every run of the CLI would pay.
    """

    def __init__(self, *, kind, stdin_filename, format, select, ignore,
                 strict, config, skip_unknown=False) -> None:
        self.kind: str | None = kind
        self.stdin_filename: str | None = stdin_filename
        self.format: str = format
        self.select: list[str] = select
        self.ignore: list[str] = ignore
        self.strict: bool = strict
        self.config: settings.Settings = config
        self.skip_unknown: bool = skip_unknown


def merge(args: argparse.Namespace, config: settings.Settings) -> Options:
    return Options(
        kind=args.kind, stdin_filename=args.stdin_filename,
        format=args.format or config.format,
        select=args.select if args.select is not None else
        [c.upper() for c in config.select],
        ignore=args.ignore if args.ignore is not None else
        [c.upper() for c in config.ignore],
        strict=args.strict if args.strict is not None else config.strict,
        config=config, skip_unknown=args.skip_unknown)


def unknown_codes(prefixes: list[str], known) -> list[str]:
    return [p for p in prefixes if not any(k.startswith(p) for k in known)]


class Target:
    """One input: a path or ``-``, named explicitly or found in a walk.

    ``problem`` says why a walk could not read a directory; such a target
    is reported, not read.
    """

    __slots__ = ("path", "explicit", "kind", "problem")

    def __init__(self, path: str, explicit: bool, kind: str | None,
                 problem: str | None = None) -> None:
        self.path, self.explicit, self.kind = path, explicit, kind
        self.problem = problem


def targets(paths: list[str], opts: Options) -> list[Target]:
    """The inputs named, with directories walked (sorted, no symlinks)."""
    result = []
    for path in paths:
        if path == STDIN:
            result.append(Target(STDIN, True, opts.kind))
        elif os.path.isdir(path):
            result += walk(path, opts.config)
        elif (opts.skip_unknown and opts.kind is None
              and kinds.infer_kind(path) is None):
            continue
        else:
            result.append(Target(path, True, opts.kind))
    return result


def walk(top: str, config: settings.Settings) -> list[Target]:
    """Regular files under top whose name gives a kind.

    Hidden directories (.git, .tox) and excluded paths are pruned; symbolic
    links are not followed, so a walk never reads outside the tree.
    """
    found = []

    def unreadable(exc: OSError) -> None:
        # A directory the walk cannot list may hold files that should
        # have been checked: an error on it, never a silent gap.
        found.append(Target(exc.filename or top, True, None,
                            f"cannot read the directory: {exc.strerror}"))

    for directory, dirnames, filenames in os.walk(top, onerror=unreadable):
        dirnames[:] = sorted(
            d for d in dirnames if not d.startswith(".")
            and not config.excluded(os.path.join(directory, d)))
        for name in sorted(filenames):
            path = os.path.join(directory, name)
            try:
                mode = os.lstat(path).st_mode
            except OSError:
                continue
            if not stat.S_ISREG(mode) or config.excluded(path):
                continue
            kind = kinds.infer_kind(path)
            if kind is not None:
                found.append(Target(path, False, kind))
    return found


class Progress:
    """``[i/n] path`` on standard error, on a terminal or when asked."""

    def __init__(self, total: int, forced: bool) -> None:
        self.tty = sys.stderr.isatty()
        self.enabled = total > 1 and (forced or self.tty)
        self.total = total
        self.start = time.monotonic()
        self.shown = False

    def update(self, done: int, path: str) -> None:
        if not self.enabled:
            return
        if self.tty:
            # Only runs long enough to wonder about get a progress line.
            if time.monotonic() - self.start < 0.5:
                return
            width = os.get_terminal_size(sys.stderr.fileno()).columns
            if width < 20:  # a pseudo-terminal that reports no size
                width = 80
            line = f"[{done}/{self.total}] {path}"[:width - 1]
            sys.stderr.write(f"\r\033[K{line}")
            self.shown = True
        else:
            sys.stderr.write(f"confcheck: [{done}/{self.total}] {path}\n")
        sys.stderr.flush()

    def clear(self) -> None:
        if self.shown:
            sys.stderr.write("\r\033[K")
            sys.stderr.flush()
            self.shown = False


def use_colour(choice: str) -> bool:
    if choice != "auto":
        return choice == "always"
    # https://no-color.org: present and not empty disables colour.
    return (sys.stdout.isatty() and not os.environ.get("NO_COLOR")
            and os.environ.get("TERM") != "dumb")


def read_stdin() -> str:
    data = sys.stdin.buffer.read(sources.MAX_BYTES + 1)
    if len(data) > sources.MAX_BYTES:
        raise sources.InputError(
            f"{STDIN}: input too large (the limit for a configuration "
            f"file is {sources.MAX_BYTES // 1048576} MiB)")
    return sources.decode(data, STDIN)


def reason(exc: Exception, path: str) -> str:
    """An input error's text without the path it starts with."""
    return str(exc).removeprefix(f"{path}: ").removeprefix(f"{path}:")


class Tally:
    """Counts over the whole run."""

    def __init__(self) -> None:
        self.files = self.errors = self.warnings = 0
        self.suppressed = self.internal = 0


class Checked:
    """What checking one target gave: findings shown, and how many not."""

    __slots__ = ("findings", "suppressed")

    def __init__(self, findings: list[confcheck.Finding],
                 suppressed: int = 0) -> None:
        self.findings, self.suppressed = findings, suppressed


class Run:
    """Checks targets and filters their findings; counts in the caller.

    ``check`` keeps no state of its own but the code list it loads once,
    so targets may be checked concurrently; ``count`` runs in order.
    """

    def __init__(self, opts: Options) -> None:
        self.opts = opts
        self.tally = Tally()
        self._known: dict | None = None

    def known(self) -> dict:
        if self._known is None:
            self._known = {code: c for code, (c, _) in codebook().items()}
        return self._known

    def read(self, target: Target) -> confcheck.Source | Checked:
        """target read for its checker, or why it cannot be checked."""
        shown = target.path
        if target.path == STDIN and self.opts.stdin_filename:
            shown = self.opts.stdin_filename
        general = confcheck.GENERAL
        if target.problem is not None:
            return Checked([general.finding(shown, 0, "GEN010",
                                            target.problem)])
        try:
            if target.path == STDIN:
                return confcheck.Source.of(read_stdin(), shown, target.kind)
            return confcheck.SourceReader(target.path, target.kind).read()
        except sources.InputError as exc:
            return Checked([general.finding(shown, 0, "GEN010",
                                            reason(exc, target.path))])
        except kinds.UnknownKind as exc:
            message = reason(exc, shown)
            if target.path == STDIN:
                message += "; or name the file with --stdin-filename"
            return Checked([general.finding(shown, 0, "GEN011", message)])

    def filter(self, findings, text: str, path: str) -> Checked:
        kept, suppressed, named = suppress.apply(findings, text)
        for line, code in named:
            if unknown_codes([code], self.known()):
                kept.append(confcheck.GENERAL.finding(
                    path, line, "GEN012",
                    f"no code starts with {code!r}; nothing is suppressed"))
        ignore = self.opts.ignore + self.opts.config.ignored_in(path)
        result = []
        for finding in kept:
            if finding.code in INTERNAL_CODES:
                result.append(finding)
            elif suppress.matches(finding.code, ignore) or not (
                    not self.opts.select or finding.code in INPUT_CODES
                    or suppress.matches(finding.code, self.opts.select)):
                suppressed.append(finding)
            else:
                result.append(finding)
        # An internal error is never suppressed: it means the file was not
        # fully checked.
        result += [f for f in suppressed if f.code in INTERNAL_CODES]
        return Checked(sorted(set(result)),
                       sum(f.code not in INTERNAL_CODES for f in suppressed))

    def results(self, todo: list[Target], jobs: int | None = None):
        """(target, Checked) for each target, in order, checked at once."""
        read = [self.read(target) for target in todo]
        with confcheck.CheckRunner(jobs) as runner:
            runner.start(item for item in read
                         if isinstance(item, confcheck.Source))
            for target, item in zip(todo, read, strict=True):
                if isinstance(item, confcheck.Source):
                    item = self.filter(runner.findings(item), item.text,
                                       item.path)
                yield target, item

    def count(self, checked: Checked) -> None:
        self.tally.files += 1
        self.tally.suppressed += checked.suppressed
        for finding in checked.findings:
            if finding.code in INTERNAL_CODES:
                self.tally.internal += 1
            elif finding.severity == "error":
                self.tally.errors += 1
            else:
                self.tally.warnings += 1

    def status(self) -> int:
        if self.tally.internal:
            return EXIT_INTERNAL
        if self.tally.errors or (self.opts.strict and self.tally.warnings):
            return EXIT_ERRORS
        return EXIT_OK


# The code of the finding that stands for a crash of confcheck itself:
# the core API's crash boundary (check_text) turns a checker's exception
# into it.
INTERNAL_CODES = frozenset({confcheck.INTERNAL_ERROR})


def usage_error(message: str) -> int:
    print(f"{prog_name()}: error: {message}", file=sys.stderr)
    return EXIT_USAGE


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    if argv[:1] == ["explain"]:
        return explain(argv[1:])
    args = build_parser().parse_args(argv)
    try:
        if args.no_config:
            config = settings.Settings()
        else:
            config = settings.load(args.config or settings.find())
    except settings.ConfigError as exc:
        return usage_error(str(exc))
    opts = merge(args, config)
    if args.tool_root is not None:
        from confcheck import external

        if not os.path.isdir(os.path.join(args.tool_root, "usr")):
            return usage_error(f"--tool-root {args.tool_root}: not a root "
                               f"file system (no usr/ in it)")
        os.environ[external.TOOL_ROOT_VARIABLE] = args.tool_root
    if args.jobs is not None and args.jobs < 1:
        return usage_error("--jobs must be 1 or more")
    problem = releases.apply(args)
    if problem:
        return usage_error(problem)
    if args.paths.count(STDIN) > 1:
        return usage_error("standard input (-) can be read only once")
    run = Run(opts)
    for name, prefixes in (("--select", opts.select),
                           ("--ignore", opts.ignore)):
        bad = unknown_codes(prefixes, run.known()) if prefixes else []
        if bad:
            return usage_error(f"{name}: no code starts with "
                               f"{', '.join(bad)}")
    todo = targets(args.paths, opts)
    if not todo:
        if opts.skip_unknown:
            return EXIT_OK
        return usage_error("nothing to check: no file of a known kind "
                           "in " + ", ".join(args.paths))
    return emit(run, todo, opts, args)


def emit(run: Run, todo: list[Target], opts: Options,
         args: argparse.Namespace) -> int:
    from confcheck import report

    colour = opts.format == "text" and use_colour(args.color)
    progress = Progress(len(todo), args.progress)
    every = []
    for number, (_, checked) in enumerate(
            run.results(todo, args.jobs), start=1):
        # Done so far, and the file the run now waits for.
        progress.update(number, todo[min(number, len(todo) - 1)].path)
        run.count(checked)
        findings = checked.findings
        every += findings
        if opts.format in ("text", "github") and findings:
            progress.clear()
            out = (report.text(findings, colour) if opts.format == "text"
                   else report.github(findings))
            sys.stdout.write(out)
            sys.stdout.flush()
    progress.clear()
    status = run.status()
    tally = run.tally
    if opts.format == "json":
        sys.stdout.write(report.as_json(every, {
            **vars(tally), "exit_status": status}))
    elif opts.format == "sarif":
        sys.stdout.write(report.sarif(every, run.known(),
                                      successful=not tally.internal))
    if not args.quiet and opts.format == "text":
        if every:
            sys.stderr.write(report.text_hints(every))
        if tally.files > 1 or tally.suppressed:
            print(f"confcheck: {tally.files} files, {tally.errors} errors, "
                  f"{tally.warnings} warnings"
                  + (f", {tally.suppressed} suppressed"
                     if tally.suppressed else ""), file=sys.stderr)
    return status

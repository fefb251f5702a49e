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
"""Stamps a finished HTML build with the key of its inputs, for reuse.

  python tools/docs_stamp.py begin doc/build/html   # before sphinx-build
  python tools/docs_stamp.py done doc/build/html    # after it succeeded

tox -e docs runs these around its sphinx-build, so the reader tests
(tests/reader) can serve the guide CI built minutes earlier instead of
building it again. The key covers every input of the build: the files
under doc/source, doc/examples and tools (the extensions and confcheck
with its data), doc/requirements.txt, the Python version, the version of
every distribution doc/requirements.txt pulls in (as installed in the
environment that computes the key), the bash the console lexer asks,
and the real tools whose versions a page lists (confcheck's fingerprint
of them: which root, which binaries). ``begin`` removes the old output,
so no page of an earlier build survives, and notes the key; ``done``
stamps the output only if the key is still the same (nothing changed
while Sphinx ran). A build that failed is never stamped: tox stops at
the failing command. Whoever reads a stamp compares it with the key of
the inputs as they are now (``matches``); any difference means building
again.
"""

from __future__ import annotations

import hashlib
import shutil
import subprocess
import sys
from importlib import metadata
from pathlib import Path

from packaging.requirements import InvalidRequirement, Requirement
from packaging.utils import canonicalize_name

TOP = Path(__file__).resolve().parents[1]
INPUT_DIRS = ("doc/source", "doc/examples", "tools")
# Files outside those directories that the build reads: the lab's PyPI
# pins, which :pinned-version: renders.
INPUT_FILES = ("tests/functional/openstack/constraints.txt",)
REQUIREMENTS = TOP / "doc" / "requirements.txt"
# Generated next to the inputs, never read by a build.
SKIP_PARTS = frozenset({"__pycache__", ".pytest_cache"})
SKIP_SUFFIXES = (".pyc", ".egg-info")
STAMP = ".haguide-inputs"
PENDING = ".haguide-inputs.pending"
# Bump when the build's command line in tox.ini changes its output.
LAYOUT = "html 1"


def _files() -> list[Path]:
    found = []
    for top in INPUT_DIRS:
        for path in (TOP / top).rglob("*"):
            relative = path.relative_to(TOP)
            if (SKIP_PARTS.intersection(relative.parts) or
                    any(p.endswith(SKIP_SUFFIXES) for p in relative.parts)):
                continue
            if path.is_file():
                found.append(path)
    found.extend(path for path in (TOP / name for name in INPUT_FILES)
                 if path.is_file())
    return sorted(found)


def _requirements(text: str) -> list[Requirement]:
    wanted = []
    for line in text.splitlines():
        line = line.split("#", 1)[0].strip()
        if line:
            wanted.append(Requirement(line))
    return wanted


def distributions(wanted: list[Requirement]) -> list[str]:
    """name==version of wanted and everything they require, installed.

    Markers are evaluated for this interpreter and the extras asked for;
    a distribution that is not installed counts as "missing", so its
    later installation changes the key too.
    """
    versions: dict[str, str] = {}
    todo = [(req, frozenset(req.extras)) for req in wanted]
    seen: set[tuple[str, frozenset[str]]] = set()
    while todo:
        req, extras = todo.pop()
        name = canonicalize_name(req.name)
        if (name, extras) in seen:
            continue
        seen.add((name, extras))
        try:
            dist = metadata.distribution(req.name)
        except metadata.PackageNotFoundError:
            versions.setdefault(name, "missing")
            continue
        versions[name] = dist.version
        for text in dist.requires or []:
            try:
                sub = Requirement(text)
            except InvalidRequirement:
                versions[f"{name}: {text}"] = "unparsed"
                continue
            if sub.marker is None or any(
                    sub.marker.evaluate({"extra": extra})
                    for extra in ("", *extras)):
                todo.append((sub, frozenset(sub.extras)))
    return sorted(f"{name}=={version}" for name, version in versions.items())


def _bash() -> str:
    bash = shutil.which("bash")
    if bash is None:
        return "no bash"
    done = subprocess.run([bash, "--version"], capture_output=True,
                          text=True, timeout=10, check=False)
    return done.stdout.splitlines()[0] if done.stdout else "bash?"


def key() -> str:
    """Hex digest of everything the HTML build's output depends on."""
    digest = hashlib.sha256()

    def part(label: str, data: bytes) -> None:
        digest.update(f"{label}\0{len(data)}\0".encode())
        digest.update(data)

    part("layout", LAYOUT.encode())
    for path in _files():
        part(str(path.relative_to(TOP)), path.read_bytes())
    part("requirements", REQUIREMENTS.read_bytes())
    wanted = _requirements(REQUIREMENTS.read_text())
    part("distributions", "\n".join(distributions(wanted)).encode())
    part("python", sys.version.encode())
    part("bash", _bash().encode())
    # Imported here: tools/ is on the path of every caller, not of this
    # module's importers in general.
    from confcheck import external
    part("tools", external.fingerprint().encode())
    return digest.hexdigest()


def matches(outdir: str | Path) -> bool:
    """True if outdir holds a finished build of the inputs as they are."""
    stamp = Path(outdir) / STAMP
    return stamp.is_file() and stamp.read_text().strip() == key()


def begin(outdir: Path) -> None:
    if outdir.exists():
        shutil.rmtree(outdir)
    outdir.mkdir(parents=True)
    (outdir / PENDING).write_text(key() + "\n")


def done(outdir: Path) -> int:
    pending = outdir / PENDING
    if not pending.is_file():
        print(f"docs_stamp: {pending} is missing: not stamped",
              file=sys.stderr)
        return 1
    noted = pending.read_text().strip()
    pending.unlink()
    if noted != key():
        # Not an error: the build is fine, only not reusable.
        print("docs_stamp: the inputs changed during the build: not "
              "stamped, so nothing reuses it", file=sys.stderr)
        return 0
    (outdir / STAMP).write_text(noted + "\n")
    return 0


def main(argv: list[str]) -> int:
    if len(argv) != 2 or argv[0] not in ("begin", "done"):
        print(__doc__.splitlines()[2], file=sys.stderr)
        print("usage: docs_stamp.py begin|done OUTDIR", file=sys.stderr)
        return 2
    outdir = Path(argv[1])
    if argv[0] == "begin":
        begin(outdir)
        return 0
    return done(outdir)


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))

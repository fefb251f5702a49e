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
"""The configuration file: ``.confcheck.toml`` or ``[tool.confcheck]``.

Searched upwards from the current directory; in each directory a
``.confcheck.toml`` wins over a ``pyproject.toml``, and a ``pyproject.toml``
counts only if it has a ``[tool.confcheck]`` table. ``.confcheck.toml``
holds the same keys at its top level.
"""

from __future__ import annotations

import fnmatch
import os

OWN_FILE = ".confcheck.toml"
PYPROJECT = "pyproject.toml"
FORMATS = ("text", "json", "sarif", "github")


class ConfigError(Exception):
    """The configuration file is unusable; ``str(exc)`` says why."""


class Settings:
    """Values of the configuration file; the command line overrides them.

    A plain class, not a dataclass: building one costs a few milliseconds
    at import, and every run of the CLI imports this module.
    """

    def __init__(self, path: str | None = None) -> None:
        self.path = path
        self.select: list[str] = []
        self.ignore: list[str] = []
        self.strict = False
        self.format = "text"
        self.exclude: list[str] = []
        self.per_file_ignores: dict[str, list[str]] = {}

    @property
    def root(self) -> str:
        """The directory that relative patterns are relative to."""
        return os.path.dirname(self.path) if self.path else os.getcwd()

    def excluded(self, path: str) -> bool:
        """True if a walk should skip path (a file or a directory)."""
        return any(matches_path(path, p, self.root) for p in self.exclude)

    def ignored_in(self, path: str) -> list[str]:
        """The codes per-file-ignores switches off for path."""
        codes: list[str] = []
        for pattern, listed in self.per_file_ignores.items():
            if matches_path(path, pattern, self.root):
                codes += listed
        return codes


def matches_path(path: str, pattern: str, root: str) -> bool:
    """A glob matches the base name, or the path relative to root."""
    if fnmatch.fnmatchcase(os.path.basename(path), pattern):
        return True
    relative = os.path.relpath(os.path.abspath(path), root)
    return fnmatch.fnmatchcase(relative.replace(os.sep, "/"), pattern)


def find(start: str | None = None) -> str | None:
    """The nearest configuration file at or above start (default: cwd)."""
    directory = os.path.abspath(start or os.getcwd())
    while True:
        own = os.path.join(directory, OWN_FILE)
        if os.path.isfile(own):
            return own
        pyproject = os.path.join(directory, PYPROJECT)
        if os.path.isfile(pyproject) and mentions_confcheck(pyproject) and (
                "confcheck" in read(pyproject).get("tool", {})):
            return pyproject
        parent = os.path.dirname(directory)
        if parent == directory:
            return None
        directory = parent


def mentions_confcheck(path: str) -> bool:
    """A cheap test before parsing: a [tool.confcheck] table names us."""
    try:
        with open(path, "rb") as fh:
            return b"confcheck" in fh.read()
    except OSError:
        return True  # let read() report why


def read(path: str) -> dict:
    # Imported here: most runs find no configuration file, and --version
    # should not pay for the parser.
    try:
        import tomllib
    except ModuleNotFoundError:  # Python 3.10: the same parser, from PyPI
        import tomli as tomllib
    try:
        with open(path, "rb") as fh:
            return tomllib.load(fh)
    except OSError as exc:
        raise ConfigError(f"{path}: cannot read: {exc.strerror}") from None
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"{path}: not valid TOML: {exc}") from None
    except UnicodeDecodeError:
        raise ConfigError(f"{path}: not UTF-8 text") from None


def load(path: str | None) -> Settings:
    """Settings from path (None: the defaults)."""
    if path is None:
        return Settings()
    data = read(path)
    if os.path.basename(path) == PYPROJECT:
        data = data.get("tool", {}).get("confcheck", {})
    return from_table(data, path)


def from_table(data: dict, path: str) -> Settings:
    result = Settings(path=path)
    for key, value in data.items():
        name = key.replace("-", "_")
        if name in ("select", "ignore", "exclude"):
            setattr(result, name, string_list(value, key, path))
        elif name == "strict":
            if not isinstance(value, bool):
                raise ConfigError(f"{path}: {key} must be true or false")
            result.strict = value
        elif name == "format":
            if value not in FORMATS:
                raise ConfigError(f"{path}: format must be one of "
                                  f"{', '.join(FORMATS)}, not {value!r}")
            result.format = value
        elif name == "per_file_ignores":
            if not isinstance(value, dict):
                raise ConfigError(f"{path}: {key} must be a table of "
                                  f"glob = [codes]")
            result.per_file_ignores = {
                pattern: string_list(codes, f"{key}.{pattern}", path)
                for pattern, codes in value.items()}
        else:
            raise ConfigError(
                f"{path}: unknown setting {key!r}; known: select, ignore, "
                f"strict, format, exclude, per-file-ignores")
    return result


def string_list(value, key: str, path: str) -> list[str]:
    if not isinstance(value, list) or not all(
            isinstance(v, str) for v in value):
        raise ConfigError(f"{path}: {key} must be a list of strings")
    return value

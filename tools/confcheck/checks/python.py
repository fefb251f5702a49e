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
"""Python files (Django/horizon local_settings.py): syntax and HA lints."""

from __future__ import annotations

import ast
import warnings

from confcheck.findings import Code, CodeBook, Finding

KIND = "python"
DESCRIPTION = ("Python files: compile() errors; horizon local_settings "
               "OPENSTACK_HOST and CACHES lints")

MEMCACHED_BACKENDS = frozenset({
    "django.core.cache.backends.memcached.PyMemcacheCache",
    "django.core.cache.backends.memcached.PyLibMCCache"})
# Removed in Django 4.1 (deprecated in 3.2): it used python-memcached.
REMOVED_BACKENDS = frozenset({
    "django.core.cache.backends.memcached.MemcachedCache"})

CODES = CodeBook(
    Code("PY001", "error", "Syntax error",
         bad="OPENSTACK_HOST = 10.0.0.11",
         good='OPENSTACK_HOST = "10.0.0.11"', lexer="python",
         why="Django cannot import the settings file, so the dashboard does "
             "not start."),
    Code("PY002", "warning", "Python warns while compiling",
         bad='PATTERN = "\\d+"', good='PATTERN = r"\\d+"', lexer="python",
         why="Python warns at every start, and what it warns about (such as "
             "an invalid escape in a string) becomes an error in a later "
             "Python."),
    Code("PY101", "error", "OPENSTACK_HOST is not a string",
         bad="OPENSTACK_HOST = controller",
         good='OPENSTACK_HOST = "controller"', lexer="python",
         why="OPENSTACK_HOST must be a string; written bare it is a Python "
             "name, and importing the settings fails."),
    Code("PY102", "warning", "Dashboard cache is not memcached",
         bad='CACHES = {"default": {"BACKEND": '
             '"django.core.cache.backends.locmem.LocMemCache"}}',
         good='CACHES = {"default": {"BACKEND": '
              '"django.core.cache.backends.memcached.PyMemcacheCache",\n'
              '    "LOCATION": ["10.0.0.12:11211", "10.0.0.13:11211", '
              '"10.0.0.14:11211"]}}', lexer="python",
         why="A local-memory cache is private to each process, so what one "
             "dashboard process caches, sessions included when they live in "
             "the cache, the others behind the load balancer do not see."),
    Code("PY103", "warning", "One memcached LOCATION instead of all",
         bad='CACHES = {"default": {"BACKEND": '
             '"django.core.cache.backends.memcached.PyMemcacheCache",\n'
             '    "LOCATION": "10.0.0.11:11211"}}',
         good='CACHES = {"default": {"BACKEND": '
              '"django.core.cache.backends.memcached.PyMemcacheCache",\n'
              '    "LOCATION": ["10.0.0.12:11211", "10.0.0.13:11211", '
              '"10.0.0.14:11211"]}}', lexer="python",
         why="With one memcached server the dashboard's cache is a single "
             "point of failure, and all its load falls on one node."),
    Code("PY104", "error", "Cache backend removed from Django",
         bad='CACHES = {"default": {"BACKEND": '
             '"django.core.cache.backends.memcached.MemcachedCache",\n'
             '    "LOCATION": ["10.0.0.12:11211", "10.0.0.13:11211"]}}',
         good='CACHES = {"default": {"BACKEND": '
              '"django.core.cache.backends.memcached.PyMemcacheCache",\n'
              '    "LOCATION": ["10.0.0.12:11211", "10.0.0.13:11211"]}}',
         lexer="python",
         why="Django 4.1 removed this backend (it was deprecated in 3.2), so "
             "the dashboard does not start on current Django."),
)


def check(text: str, path: str) -> list[Finding]:
    # The parser warns (invalid escapes: DeprecationWarning in 3.11,
    # SyntaxWarning later); compiling the tree finds the errors the parser
    # leaves to the compiler ('return' outside a function).
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        try:
            tree = ast.parse(text, path)
            compile(tree, path, "exec", dont_inherit=True)
        except SyntaxError as exc:
            return [CODES.finding(path, exc.lineno or 0, "PY001",
                                  _syntax_message(exc, text))]
        except (ValueError, RecursionError, MemoryError) as exc:
            # NUL bytes, or nesting deeper than the compiler manages
            return [CODES.finding(path, 0, "PY001",
                                  f"cannot compile: {exc}")]
    findings = [CODES.finding(path, w.lineno or 0, "PY002",
                              f"{w.category.__name__}: {w.message}")
                for w in caught if w.filename == path and issubclass(
                    w.category, (SyntaxWarning, DeprecationWarning))]
    for node in tree.body:
        if isinstance(node, ast.Assign) and len(node.targets) == 1 and (
                isinstance(node.targets[0], ast.Name)):
            findings.extend(_setting(path, node.targets[0].id, node.value))
    return findings


def _syntax_message(exc: SyntaxError, text: str) -> str:
    message = exc.msg
    lines = text.splitlines()
    if exc.lineno and exc.lineno <= len(lines) and lines[
            exc.lineno - 1].lstrip().startswith("OPENSTACK_HOST"):
        message += "; OPENSTACK_HOST is a string: quote the address"
    return message


def _setting(path: str, name: str, value: ast.expr) -> list[Finding]:
    if name == "OPENSTACK_HOST" and not (
            isinstance(value, ast.Constant) and isinstance(value.value, str)):
        return [CODES.finding(path, value.lineno, "PY101",
                              "OPENSTACK_HOST must be a string literal, "
                              'e.g. OPENSTACK_HOST = "10.0.0.11"')]
    if name == "CACHES" and isinstance(value, ast.Dict):
        default = _get(value, "default")
        if isinstance(default, ast.Dict):
            return _cache(path, default)
    return []


def _get(mapping: ast.Dict, key: str) -> ast.expr | None:
    for k, v in zip(mapping.keys, mapping.values, strict=True):
        if isinstance(k, ast.Constant) and k.value == key:
            return v
    return None


def _cache(path: str, default: ast.Dict) -> list[Finding]:
    backend = _get(default, "BACKEND")
    name = backend.value if isinstance(backend, ast.Constant) else None
    line = backend.lineno if backend is not None else default.lineno
    if name in REMOVED_BACKENDS:
        return [CODES.finding(path, line, "PY104", f"{name} was removed "
                              "in Django 4.1; use PyMemcacheCache")]
    if name not in MEMCACHED_BACKENDS:
        return [CODES.finding(path, line, "PY102", f"{name}: each node "
                              "then caches alone, and sessions kept in "
                              "the cache are lost when the load balancer "
                              "moves a user; use PyMemcacheCache")]
    location = _get(default, "LOCATION")
    servers = (location.elts if isinstance(location, (ast.List, ast.Tuple))
               else [location])
    if len(servers) < 2:
        where = location.lineno if location is not None else line
        return [CODES.finding(path, where, "PY103", "LOCATION names one "
                              "server (or a VIP, which memcached cannot "
                              "use); list every memcached server so the "
                              "client spreads keys and skips a dead one")]
    return []

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
"""An API client in the lab's client namespace: keystone and placement.

  python apiclient.py service KEYSTONE USER PASSWORD
      create the service user USER (project service, roles admin and
      service) with the admin account keystone-manage bootstrap made.
  python apiclient.py load KIND KEYSTONE PLACEMENT OUT SECONDS INTERVAL
      loop for SECONDS, one request per INTERVAL: KIND "token" issues
      tokens; KIND "placement" lists placement's resource providers with
      a token issued once at the start. One JSON line per request to OUT
      (kind, ok, start, end, error), written as it goes.

Standard library only (urllib): every request opens a new connection,
as a command-line client does, and is bounded by TIMEOUT.
"""

from __future__ import annotations

import email.message
import http.client
import json
import sys
import time
import urllib.error
import urllib.request

TIMEOUT = 10.0
ADMIN = ("admin", "ADMIN_PASS")
# Errors that make one request fail (and the loop go on).
FAILURES = (urllib.error.URLError, http.client.HTTPException, OSError,
            TimeoutError)
PLACEMENT_VERSION = "placement 1.39"
KINDS = ("token", "placement")


def request(url: str, *, method="GET", body=None, token=None,
            headers=None) -> tuple[int, email.message.Message, bytes]:
    """One request; its status, headers (case-insensitive) and body."""
    data = json.dumps(body).encode() if body is not None else None
    req = urllib.request.Request(url, data=data, method=method)
    req.add_header("Content-Type", "application/json")
    if token:
        req.add_header("X-Auth-Token", token)
    for key, value in (headers or {}).items():
        req.add_header(key, value)
    try:
        with urllib.request.urlopen(req, timeout=TIMEOUT) as answer:
            return answer.status, answer.headers, answer.read()
    except urllib.error.HTTPError as exc:
        return exc.code, exc.headers, exc.read()


def token(keystone: str, user: str, password: str,
          project: str = "admin") -> str:
    status, headers, body = request(f"{keystone}/v3/auth/tokens",
                                    method="POST", body={"auth": {
        "identity": {"methods": ["password"], "password": {"user": {
            "name": user, "domain": {"id": "default"},
            "password": password}}},
        "scope": {"project": {"name": project,
                              "domain": {"id": "default"}}}}})
    if status != 201:
        raise RuntimeError(f"token: HTTP {status}: {body[:200]!r}")
    return headers.get("X-Subject-Token")


def _id(keystone, admin, kind, name) -> str:
    status, _, body = request(f"{keystone}/v3/{kind}?name={name}",
                              token=admin)
    found = json.loads(body)[kind]
    if status != 200 or not found:
        raise RuntimeError(f"no {kind} {name}: HTTP {status}")
    return found[0]["id"]


def _create(keystone, admin, kind, entity) -> None:
    status, _, body = request(f"{keystone}/v3/{kind}", method="POST",
                              body={kind[:-1]: entity}, token=admin)
    # 409: it exists already (bootstrap makes some roles itself).
    if status not in (201, 409):
        raise RuntimeError(f"create {kind}: HTTP {status}: {body[:200]!r}")


def service(keystone: str, user: str, password: str) -> int:
    admin = token(keystone, *ADMIN)
    _create(keystone, admin, "projects",
            {"name": "service", "domain_id": "default"})
    _create(keystone, admin, "users",
            {"name": user, "password": password, "domain_id": "default"})
    _create(keystone, admin, "roles", {"name": "service"})
    project = _id(keystone, admin, "projects", "service")
    user_id = _id(keystone, admin, "users", user)
    for role in ("admin", "service"):
        role_id = _id(keystone, admin, "roles", role)
        status, _, _ = request(
            f"{keystone}/v3/projects/{project}/users/{user_id}/roles/"
            f"{role_id}", method="PUT", token=admin)
        if status not in (200, 204):
            raise RuntimeError(f"grant {role}: HTTP {status}")
    print(json.dumps({"user": user, "project": project}))
    return 0


def _timed(kind: str, operation) -> tuple[dict, object]:
    started = time.time()
    result = None
    try:
        result = operation()
        outcome = {"ok": True}
    except FAILURES as exc:
        outcome = {"ok": False, "error": type(exc).__name__}
    except RuntimeError as exc:
        outcome = {"ok": False, "error": str(exc)[:80]}
    outcome.update(kind=kind, start=round(started, 3),
                   end=round(time.time(), 3))
    return outcome, result


def _providers(placement: str, user_token: str) -> int:
    status, _, body = request(
        f"{placement}/resource_providers", token=user_token,
        headers={"OpenStack-API-Version": PLACEMENT_VERSION})
    if status != 200:
        raise RuntimeError(f"placement: HTTP {status}")
    return len(json.loads(body)["resource_providers"])


def load(kind: str, keystone: str, placement: str, out: str,
         seconds: float, interval: float) -> int:
    if kind == "token":
        operation = lambda: token(keystone, *ADMIN)  # noqa: E731
    else:
        user_token = token(keystone, *ADMIN)
        operation = lambda: _providers(placement, user_token)  # noqa: E731
    deadline = time.monotonic() + seconds
    with open(out, "a", encoding="utf-8") as log:
        while time.monotonic() < deadline:
            outcome, _ = _timed(kind, operation)
            log.write(json.dumps(outcome) + "\n")
            log.flush()
            time.sleep(interval)
    return 0


def main(argv: list[str]) -> int:
    if len(argv) == 5 and argv[1] == "service":
        return service(argv[2], argv[3], argv[4])
    if len(argv) == 8 and argv[1] == "load" and argv[2] in KINDS:
        return load(argv[2], argv[3], argv[4], argv[5], float(argv[6]),
                    float(argv[7]))
    print(__doc__, file=sys.stderr)
    return 2


if __name__ == "__main__":
    sys.exit(main(sys.argv))

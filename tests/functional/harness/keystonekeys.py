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
"""keystone's own token and credential code on a node's key repositories.

``python keystonekeys.py issue`` or ``python keystonekeys.py check
STATE_JSON``, with the OpenStack venv's Python in a node's view
(harness.openstack), where /etc/keystone/keystone.conf is the tree's and
its [fernet_tokens] and [credential] key repositories are the node's.

- issue: a Fernet token (keystone's TokenFormatter, as the token API
  makes it, unscoped, for a password login) and a credential secret
  encrypted by the Fernet credential provider; prints them as JSON.
- check: validates STATE's token, decrypts its credential, then issues
  a new token and validates it; prints what passed and, for what did
  not, the error keystone raised.
"""

from __future__ import annotations

import datetime
import json
import sys
import uuid

import keystone.conf
from keystone import exception
# From the module itself: the package re-exports everything of it,
# including the base module it imports as core.
from keystone.credential.providers.fernet.core import Provider
from keystone.token import token_formatters

CONF = keystone.conf.CONF
SECRET = "haguide-ec2-secret"


def token() -> str:
    expires = datetime.datetime.now(datetime.timezone.utc) + \
        datetime.timedelta(hours=1)
    return token_formatters.TokenFormatter().create_token(
        uuid.uuid4().hex, expires.strftime("%Y-%m-%dT%H:%M:%S.000000Z"),
        [uuid.uuid4().hex[:22]], token_formatters.UnscopedPayload,
        methods=["password"])


def validate(value: str) -> str | None:
    """None if keystone validates value, else the error it raised."""
    try:
        token_formatters.TokenFormatter().validate_token(value)
    except (exception.ValidationError, exception.KeysNotFound) as exc:
        return f"{type(exc).__name__}: {exc}"
    return None


def decrypt(blob: str) -> str | None:
    """None if the credential decrypts to SECRET, else the error."""
    try:
        plain = Provider().decrypt(blob)
    except exception.CredentialEncryptionError as exc:
        return f"{type(exc).__name__}: {exc}"
    return None if plain == SECRET else f"decrypted to {plain!r}"


def main() -> None:
    keystone.conf.configure()
    CONF(args=[], project="keystone",
         default_config_files=["/etc/keystone/keystone.conf"])
    if sys.argv[1] == "issue":
        blob, _key_hash = Provider().encrypt(SECRET)
        print(json.dumps({"token": token(), "credential": blob.decode()}))
        return
    state = json.loads(sys.argv[2])
    fresh = token()
    print(json.dumps({
        "old_token": validate(state["token"]),
        "old_credential": decrypt(state["credential"]),
        "new_token": validate(fresh)}))


if __name__ == "__main__":
    main()

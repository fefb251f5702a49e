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
"""keystone's key repositories: backup.rst's backup and restore, run."""

from __future__ import annotations

import hashlib
import json
import time
from pathlib import Path

import pytest

from harness import keystone, netns, openstack, requirements, runbook, tree

pytestmark = pytest.mark.functional

PAGE = "operations/backup.rst"
NODE = "controller1"
KEYS_SCRIPT = Path(__file__).parent / "harness" / "keystonekeys.py"


@pytest.fixture(scope="module")
def node(workdir, daemons):
    """controller1's view: the tree's keystone.conf, its own key dirs."""
    requirements.require(binaries=("rsync",))
    venv = openstack.venv()
    lab = netns.Lab("kk", daemons)
    try:
        lab.setup({NODE: {"eth0": tree.address(NODE)}})
        view = openstack.Node(lab, NODE, workdir / NODE, venv,
                              keystone.files(NODE),
                              writable=keystone.KEY_DIRS)
        # keystone-manage logs to /var/log/keystone (the node's /var/log).
        (view.root / "log" / "keystone").mkdir()
        # /var/backups of the node: a directory of the run, mounted over
        # the host's in the node's own mount namespace only.
        view.backups = workdir / NODE / "backups"
        view.backups.mkdir()
        yield view
    finally:
        daemons.stop_all()
        lab.close()


def setup_keys(node: openstack.Node) -> None:
    """identity.rst's key set-up on the first controller."""
    for kind in ("fernet_setup", "credential_setup"):
        keystone.manage(node, kind, "--keystone-user", "root",
                        "--keystone-group", "root")


def run_step(node: openstack.Node, name: str) -> float:
    """Run backup.rst's block name in the node's view; its seconds."""
    script = runbook.script(PAGE, name)
    started = time.monotonic()
    node.run(["bash", "-c",
              f"mount --bind {node.backups} /var/backups\n{script}"],
             timeout=60, env=openstack.environ())
    return time.monotonic() - started


def keys(node: openstack.Node, tool: str, *args: str) -> dict:
    # -P: the script's directory (the harness, with its own keystone.py)
    # must not shadow keystone's package.
    done = node.run([node.bin("python"), "-P", str(KEYS_SCRIPT), tool,
                     *args],
                    timeout=keystone.MANAGE_TIMEOUT, env=openstack.environ())
    return json.loads(done.stdout.strip().splitlines()[-1])


def repositories(node: openstack.Node) -> dict[str, str]:
    """{relative path: SHA-256} of every key file, with its mode."""
    found = {}
    for relpath in keystone.KEY_DIRS:
        for path in sorted((node.root / "rw" / relpath).iterdir()):
            digest = hashlib.sha256(path.read_bytes()).hexdigest()
            found[f"{relpath}/{path.name}"] = (
                f"{digest} {oct(path.stat().st_mode & 0o777)}")
    return found


def test_keystone_keys_backup_restore(node, measurements):
    """The page's backup and restore of the key repositories, run.

    keystone-manage sets up the Fernet and credential repositories on
    controller1 (tree's keystone.conf); keystone's token formatter issues
    a token and its credential provider encrypts a secret. The page's
    backup block runs; the repositories are emptied and set up anew, as
    on a rebuilt controller, and the old token and secret must be
    refused; the page's restore block runs, and the restored
    repositories must hold the same files and validate the old token,
    decrypt the old secret, and issue and validate a new token.
    """
    result = measurements.scenario(
        "keystone-keys-backup",
        title="keystone: key repositories backed up and restored",
        description=(
            "keystone-manage sets up the Fernet and credential keys from "
            "the tree's keystone.conf; a token and an encrypted credential "
            "are made with keystone's code; backup.rst's backup block runs, "
            "the repositories are set up anew, then its restore block "
            "runs."),
        test="test_keystone_keys_backup_restore")
    result.loads(keystone.KEYSTONE_CONF)
    result.without_timeline(
        "a sequence of steps and checks on one node, with no load "
        "running: there is nothing to chart over time.")
    setup_keys(node)
    state = keys(node, "issue")
    original = repositories(node)
    assert any(p.startswith("keystone/fernet-keys/") for p in original)
    result.measure("backup block", run_step(node, "keystone-keys-backup"),
                   "s", bound=("<=", 30))
    for relpath in keystone.KEY_DIRS:
        for path in (node.root / "rw" / relpath).iterdir():
            path.unlink()
    setup_keys(node)
    assert repositories(node).keys() & original.keys(), "no file names"
    before = keys(node, "check", json.dumps(state))
    refused = [what for what in ("old_token", "old_credential")
               if before[what] is not None]
    result.measure("old token and secret refused by new repositories",
                   len(refused), "of 2", bound=(">=", 2))
    assert "ValidationError" in before["old_token"], before
    assert "CredentialEncryptionError" in before["old_credential"], before
    result.measure("restore block", run_step(node, "keystone-keys-restore"),
                   "s", bound=("<=", 30))
    restored = repositories(node)
    result.measure("key files differing from the backed-up ones",
                   len(set(original.items()) ^ set(restored.items())),
                   "files", bound=("==", 0))
    after = keys(node, "check", json.dumps(state))
    passed = [what for what, error in after.items() if error is None]
    result.measure("checks passed after the restore (old token, old "
                   "secret, new token)", len(passed), "of 3",
                   bound=(">=", 3))
    assert after == {"old_token": None, "old_credential": None,
                     "new_token": None}, after

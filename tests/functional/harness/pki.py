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
"""The lab's certificate authority, made by the run itself with openssl.

No private key is ever committed: CA() creates a key and a self-signed
CA certificate in the scenario's scratch directory, and issue() signs a
certificate for a node with the names and addresses cluster.yaml gives
it (the node's name and management address, the VIP's host name and
address). Certificates last one day: long enough for any run, useless
afterwards. The openssl command line of the host does the work, as an
operator's own CA tooling would.
"""

from __future__ import annotations

import ipaddress
import shutil
import ssl
from pathlib import Path

from harness import labroot, proc, tree

# P-256 keys: quick to make (a run creates a dozen) and accepted by every
# TLS stack of the lab (OpenSSL in HAProxy, Erlang, MariaDB, memcached).
KEY_ARGS = ("-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256",
            "-nodes")
DAYS = "1"
# Extensions of a server certificate: what strict verifiers (Python 3.13's
# VERIFY_X509_STRICT, Erlang's ssl) look for besides the names.
LEAF_EXTENSIONS = """\
basicConstraints = critical, CA:FALSE
keyUsage = critical, digitalSignature
extendedKeyUsage = serverAuth, clientAuth
subjectKeyIdentifier = hash
authorityKeyIdentifier = keyid
subjectAltName = {names}
"""


def node_names(node: str) -> list[str]:
    """DNS name and address of a node, or of a VIP, from cluster.yaml.

    node is a host of cluster.yaml (controller1) or a VIP's key
    (internal, public).
    """
    data = tree.cluster()
    if node in data["hosts"]:
        return [node, data["hosts"][node]["address"]]
    vip = data["vips"][node]
    return [vip["hostname"], vip["address"]]


def cluster_names(node: str) -> list[str]:
    """node's name and address first, then every other controller's."""
    names = node_names(node)
    return [*names, *(name for other in tree.CONTROLLERS if other != node
                      for name in node_names(other))]


def subject_alt_names(names: list[str]) -> str:
    """openssl's subjectAltName value: IP: for addresses, DNS: else."""
    entries = []
    for name in names:
        try:
            ipaddress.ip_address(name)
        except ValueError:
            entries.append(f"DNS:{name}")
        else:
            entries.append(f"IP:{name}")
    return ", ".join(entries)


class CA:
    """A throwaway CA in directory; issue() signs node certificates."""

    def __init__(self, directory: Path, name: str = "haguide lab CA"):
        self.directory = directory
        directory.mkdir(parents=True, exist_ok=True)
        self.cert = directory / "ca.pem"
        self.key = directory / "ca.key"
        self.serial = 0
        proc.run(["openssl", "req", "-x509", *KEY_ARGS, "-days", DAYS,
                  "-subj", f"/CN={name}",
                  "-addext", "basicConstraints=critical,CA:TRUE",
                  "-addext", "keyUsage=critical,keyCertSign,cRLSign",
                  "-addext", "subjectKeyIdentifier=hash",
                  "-keyout", str(self.key), "-out", str(self.cert)])

    def issue(self, label: str, names: list[str]) -> dict[str, Path]:
        """Key and certificate for names; label names the files.

        Returns cert, key, pem (certificate then key, HAProxy's crt
        format) and chain (certificate then CA, what memcached and
        RabbitMQ serve). Each call makes a new key and serial number, so
        a second call with the same names is a rotated certificate.
        """
        self.serial += 1
        base = self.directory / label
        ext = base.with_suffix(".ext")
        ext.write_text(LEAF_EXTENSIONS.format(
            names=subject_alt_names(names)))
        key, csr, cert = (base.with_suffix(s) for s in (".key", ".csr",
                                                         ".crt"))
        proc.run(["openssl", "req", "-new", *KEY_ARGS,
                  "-subj", f"/CN={names[0]}",
                  "-keyout", str(key), "-out", str(csr)])
        proc.run(["openssl", "x509", "-req", "-in", str(csr),
                  "-CA", str(self.cert), "-CAkey", str(self.key),
                  "-set_serial", str(self.serial), "-days", DAYS,
                  "-extfile", str(ext), "-out", str(cert)])
        key.chmod(0o600)
        pem = base.with_suffix(".pem")
        pem.write_text(cert.read_text() + key.read_text())
        pem.chmod(0o600)
        chain = base.with_suffix(".chain.pem")
        chain.write_text(cert.read_text() + self.cert.read_text())
        return {"cert": cert, "key": key, "pem": pem, "chain": chain}

    def client_context(self) -> ssl.SSLContext:
        """A client context that trusts this CA only, names checked."""
        return ssl.create_default_context(cafile=str(self.cert))


def install(target: Path, owner: str, files: dict[str, Path]) -> None:
    """Copy files (name in target: source) where a daemon reads them.

    The directory and every file go to owner, the user the daemon runs
    as; a key (a name ending in .key) is readable by owner alone.
    """
    target.mkdir(parents=True, exist_ok=True)
    for name, source in files.items():
        shutil.copy(source, target / name)
        labroot.chown(target / name, owner)
        if name.endswith(".key"):
            (target / name).chmod(0o400)
    labroot.chown(target, owner)

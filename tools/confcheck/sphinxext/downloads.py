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
"""Every node's files at stable addresses, and an archive per node.

Sphinx's own downloads live under a hash of their content, so a link
changes whenever the file does. The HTML build instead writes the tree
below ``_downloads/examples/``, as each node has it:

``<node>/<path on the node>``
    a file of controller, network or compute role, with cluster.yaml's
    per_node lines filled in for that node (controller2/etc/nova/nova.conf)
``variants/<variant>/<node>/<path on the node>``
    the same for a variant's files
``pacemaker/<file>``, ``cluster.yaml``
    files that belong to no node, as they are
``<node>.tar.gz``
    the whole tree of one node; ``ha-guide-examples.tar.gz`` is the tree
    as the repository has it.

The files a node gets besides the first are validated with confcheck
like the tree's own (emit.py reports them on every build). In HTML, a
literal that names a tree file links it (LinkTreePaths), and
``.. example-archives::`` lists the archives.
"""

from __future__ import annotations

import gzip
import io
import os
import tarfile

from docutils import nodes
from sphinx import addnodes
from sphinx.transforms.post_transforms import SphinxPostTransform
from sphinx.util import logging
from sphinx.util.docutils import SphinxDirective

import confcheck
from confcheck.cluster import (Cluster, CLUSTER_FILE, ClusterError,
                               derive_node_file, load_cluster)
from confcheck.layout import (path_on_node, role_of, tree_files, variant_of,
                              VARIANTS_DIR)
from confcheck.sources import InputError, read_bytes
from confcheck.sphinxext import store

logger = logging.getLogger(__name__)

# Below the HTML output directory; the address readers and scripts use.
DOWNLOADS = "_downloads/examples"
TREE_ARCHIVE = "ha-guide-examples.tar.gz"
# Roles whose files are files on a node (not command lists).
NODE_ROLES = frozenset({"controller", "network", "compute"})
# Archive members get a fixed time and owner, so a rebuild of an unchanged
# tree gives the same bytes.
ARCHIVE_MTIME = 0


def node_files(cluster: Cluster, relpath: str) -> list[tuple[str, str]]:
    """[(node or "", download path)] of one tree file, first node first.

    The download path is relative to DOWNLOADS; node is "" for a file
    that belongs to no node.
    """
    role = role_of(relpath)
    variant = variant_of(relpath)
    if role not in NODE_ROLES or relpath == CLUSTER_FILE:
        return [("", relpath)]
    on_node = path_on_node(relpath).lstrip("/")
    prefix = f"{VARIANTS_DIR}/{variant}/" if variant else ""
    return [(node, f"{prefix}{node}/{on_node}")
            for node in cluster.file_nodes(relpath)]


def derived(cluster: Cluster) -> list[tuple[str, str, str]]:
    """(relpath, node, download path) of every file a node gets that the
    tree does not hold as it is: the other nodes' versions of files with
    per_node lines."""
    result = []
    for relpath in tree_files(cluster.examples_dir):
        if not cluster.templates(relpath):
            continue
        result.extend((relpath, node, path) for node, path in
                      node_files(cluster, relpath)[1:])
    return result


def derived_sources(examples_dir: str
                    ) -> list[tuple[confcheck.Source, str]]:
    """(source, node) of every derived file a checker reads, shown as the
    tree file; the include prefetches their checks, emit reports them."""
    try:
        cluster = load_cluster(examples_dir)
    except ClusterError:
        return []  # reported by the tree checks
    files = []
    for relpath, node, _path in derived(cluster):
        source = os.path.join(examples_dir, relpath)
        try:
            text = derive_node_file(cluster, relpath, node)
            files.append((confcheck.Source(
                text, store.display_path(source),
                confcheck.resolve_kind(source)), node))
        except (ClusterError, confcheck.UnknownKind,
                confcheck.InputError):
            continue  # TRE007, or a file no checker reads
    return files


def _write(path: str, data: bytes) -> None:
    os.makedirs(os.path.dirname(path), exist_ok=True)
    with open(path, "wb") as fh:
        fh.write(data)


def _archive(members: list[tuple[str, bytes]]) -> bytes:
    """A reproducible tar.gz of (name, content) members."""
    raw = io.BytesIO()
    with tarfile.open(fileobj=raw, mode="w", format=tarfile.PAX_FORMAT) as tar:
        for name, data in sorted(members):
            info = tarfile.TarInfo(name)
            info.size, info.mtime, info.mode = len(data), ARCHIVE_MTIME, 0o644
            if name.endswith(".sh"):
                info.mode = 0o755
            tar.addfile(info, io.BytesIO(data))
    packed = io.BytesIO()
    with gzip.GzipFile(fileobj=packed, mode="wb", mtime=ARCHIVE_MTIME) as gz:
        gz.write(raw.getvalue())
    return packed.getvalue()


def file_bytes(cluster: Cluster, relpath: str, node: str,
               first: bool) -> bytes:
    """The content of relpath on node (the tree's own bytes on the first
    node or a file of no node)."""
    source = os.path.join(cluster.examples_dir, relpath)
    if first or not cluster.templates(relpath):
        return read_bytes(source)
    return derive_node_file(cluster, relpath, node).encode()


def write_tree(cluster: Cluster, outdir: str) -> int:
    """Write every node's files and the archives; return the file count."""
    top = os.path.join(outdir, *DOWNLOADS.split("/"))
    per_node: dict[str, list[tuple[str, bytes]]] = {}
    whole: list[tuple[str, bytes]] = []
    count = 0
    for relpath in tree_files(cluster.examples_dir):
        try:
            whole.append((f"examples/{relpath}", read_bytes(
                os.path.join(cluster.examples_dir, relpath))))
        except InputError:
            # A FIFO, a device or a huge file is not published (opening
            # a FIFO would wait for a writer for ever); an include of it
            # says why.
            continue
        for index, (node, path) in enumerate(node_files(cluster, relpath)):
            try:
                data = file_bytes(cluster, relpath, node, index == 0)
            except (ClusterError, InputError):
                continue  # a template that does not match: TRE007
            _write(os.path.join(top, *path.split("/")), data)
            count += 1
            if node and not variant_of(relpath):
                per_node.setdefault(node, []).append((path, data))
    for node, members in per_node.items():
        _write(os.path.join(top, f"{node}.tar.gz"), _archive(members))
    _write(os.path.join(top, TREE_ARCHIVE), _archive(whole))
    return count


def configured_cluster(config) -> Cluster | None:
    """cluster.yaml of the configured tree; None without one (the tree
    checks report a broken file)."""
    if not config.confcheck_examples_dir:
        return None
    try:
        return load_cluster(config.confcheck_examples_dir)
    except ClusterError:
        return None


def build_finished(app, exception) -> None:
    """build-finished: publish the tree next to an HTML build."""
    if exception is not None or app.builder.format != "html":
        return
    cluster = configured_cluster(app.config)
    if cluster is None:
        return
    count = write_tree(cluster, app.outdir)
    logger.info("[confcheck] wrote %d example files below %s", count,
                DOWNLOADS)


# The tree's files as this build's writing phase sees them, by examples
# dir: LinkTreePaths runs on every page written, and a walk of the tree
# for each page was a tenth of a one-file rebuild. Emptied at
# env-updated, so every build (and every test app) walks it afresh.
_BUILD_TREE_FILES: dict[str, frozenset[str]] = {}


def build_tree_files(examples_dir: str) -> frozenset[str]:
    """tree_files() of examples_dir, walked once per build."""
    files = _BUILD_TREE_FILES.get(examples_dir)
    if files is None:
        files = _BUILD_TREE_FILES[examples_dir] = frozenset(
            tree_files(examples_dir))
    return files


def forget_tree_files(app=None, env=None) -> list[str]:
    """env-updated: the next pages written see the tree as it is now."""
    _BUILD_TREE_FILES.clear()
    return []


class LinkTreePaths(SphinxPostTransform):
    """In HTML, a literal that names a file of the tree links the file.

    ``controller/etc/nova/nova.conf`` in a table or a sentence becomes a
    link to its published copy (as on the role's first node), so the
    example-tree appendix links every file without a second list.
    """

    default_priority = 400
    formats = ("html",)

    def run(self, **kwargs) -> None:
        cluster = configured_cluster(self.config)
        if cluster is None:
            return
        files = build_tree_files(cluster.examples_dir)
        docname = self.env.docname
        for literal in list(self.document.findall(nodes.literal)):
            text = literal.astext()
            if text not in files or isinstance(
                    literal.parent, nodes.reference):
                continue
            path = node_files(cluster, text)[0][1]
            link = nodes.reference("", "", refuri=uri(docname, path),
                                   classes=["confcheck-file"])
            literal.replace_self(link)
            link += literal


def uri(docname: str, path: str) -> str:
    """The address of a published file, relative to the page docname."""
    return "../" * docname.count("/") + DOWNLOADS + "/" + path


class ExampleArchives(SphinxDirective):
    """A list of the archives: one per node, and the whole tree."""

    def run(self) -> list[nodes.Node]:
        self.env.note_dependency(os.path.join(
            self.config.confcheck_examples_dir, CLUSTER_FILE))
        cluster = configured_cluster(self.config)
        if cluster is None:
            return []
        base = self.config.confcheck_download_url
        items = nodes.bullet_list()
        names = [(f"{node}.tar.gz", f"the files of {node}")
                 for role in sorted(NODE_ROLES)
                 for node in cluster.nodes(role)]
        names.append((TREE_ARCHIVE, "the whole tree, as in the repository"))
        for name, what in names:
            html = nodes.reference("", "", nodes.literal(name, name),
                                   refuri=uri(self.env.docname, name),
                                   classes=["confcheck-file"])
            text = nodes.literal(name, name)
            if base:
                url = base.rstrip("/") + "/" + name
                text = nodes.reference(url, url, refuri=url)
            para = nodes.paragraph("", "", addnodes.only("", html,
                                                         expr="html"),
                                   addnodes.only("", text,
                                                 expr="not html"),
                                   nodes.Text(f": {what}"))
            items += nodes.list_item("", para)
        return [items]

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
"""Sphinx configuration of the OpenStack High Availability Guide."""

import os
import sys

import openstackdocstheme
from sphinx.errors import ConfigError

HERE = os.path.dirname(os.path.abspath(__file__))

# The checker package lives in tools/ so operators can run it without
# installing anything; the extension imports it from there.
sys.path.insert(0, os.path.join(HERE, "..", "..", "tools"))

import require_git_checkout  # noqa: E402 - lives in tools/, added above


if not require_git_checkout.inside_git_checkout(HERE):
    raise ConfigError(require_git_checkout.MESSAGE)

extensions = [
    "confcheck.sphinxext",
    "haguide_console",
    "haguide_pdf",
    "haguide_results",
    "openstackdocstheme",
    "sphinx_copybutton",
    "sphinx_tabs.tabs",
    # The figures are SVG sources; LaTeX needs them as PDF (rsvg-convert,
    # from the bindep "pdf" profile). Inert on the HTML builder.
    "sphinxcontrib.rsvgconverter",
]

project = "OpenStack High Availability Guide"
copyright = "OpenStack contributors"
author = "OpenStack contributors"
# The release of OpenStack the guide is written and validated for; see the
# option data index in tools/confcheck/data/oslo/index.json.
version = release = "2026.2"

openstackdocs_repo_name = "openstack/ha-guide"
openstackdocs_bug_project = "openstack-manuals"
openstackdocs_bug_tag = "ha-guide"
openstackdocs_auto_name = False
openstackdocs_auto_version = False
openstackdocs_use_storyboard = False

root_doc = "index"
exclude_patterns = ["_build"]
# pygments_style stays unset: HTML then uses the theme's dark "native"
# style, and LaTeX Sphinx's light default, which prints legibly.
nitpicky = True

# The example tree the include directive reads and validates.
confcheck_examples_dir = os.path.join(HERE, "..", "examples")
# Where the published guide serves every node's files (the HTML build
# writes them below _downloads/examples/); the PDF prints this address.
confcheck_download_url = (
    "https://docs.openstack.org/ha-guide/_downloads/examples/")

# The copy button copies a listing as it is shown, except what the
# console lexer marks as a prompt ("# ", "$ ", "> ") or as command output:
# prompts are excluded by their token class, not matched as text, because
# in a configuration file "# " starts a comment that must be copied.
copybutton_exclude = ".linenos, .gp, .go"
copybutton_prompt_text = ""

# -- HTML -------------------------------------------------------------------
html_theme = "openstackdocs"
html_theme_options = {
    # No third-party analytics script: readers often build and read the
    # guide offline, and a page should request nothing from other sites.
    "analytics_tracking_code": "",
    # Search the guide's own index; the theme's site-wide search widget
    # (loaded from search.openstack.org) is emptied in _templates/.
    "sidebar_search": True,
}
templates_path = ["_templates"]
html_static_path = ["_static"]
# Tables that scroll in their own box, the chapter before the navigation
# on phones.
html_css_files = ["haguide.css"]
# The theme ships an icon but no page links it, so browsers ask for
# /favicon.ico at the site root and get a 404.
html_favicon = os.path.join(
    os.path.dirname(openstackdocstheme.__file__), "theme", "openstackdocs",
    "static", "favicon.ico")
html_last_updated_fmt = "%Y-%m-%d %H:%M"
htmlhelp_basename = "ha-guide"

# -- LaTeX / PDF ------------------------------------------------------------
# Set here, not left to the theme: the theme switches the engine too late
# for the preamble Sphinx has already generated.
latex_engine = "xelatex"
latex_documents = [
    ("index", "ha-guide.tex", project, author, "manual"),
]
latex_elements = {
    "papersize": "a4paper",
    "pointsize": "10pt",
    "fontpkg": r"""
\setmainfont{Liberation Serif}
\setsansfont{Liberation Sans}
\setmonofont[Scale=0.85]{Liberation Mono}
""",
    "maxlistdepth": "10",
}
latex_use_xindy = False

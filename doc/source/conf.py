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
import subprocess
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
    "haguide_architecture",
    "haguide_console",
    "haguide_index",
    "haguide_pdf",
    "haguide_results",
    "haguide_sequence",
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
# Each page links the PDF, published beside the HTML as doc-ha-guide.pdf.
openstackdocs_pdf_link = True

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
# doc-<repository>.pdf is the name the OpenStack PDF job publishes and the
# theme's PDF link (openstackdocs_pdf_link, above) points to.
latex_documents = [
    ("index", "doc-ha-guide.tex", project, author, "manual"),
]


def _git(*args: str) -> str:
    """Output of a git command in this checkout (checked above)."""
    return subprocess.run(["git", "-C", HERE, *args], capture_output=True,
                          text=True, timeout=10, check=True).stdout.strip()


# The title page gives the date of the commit, not of the build, so a
# rebuild of the same sources prints the same PDF.
COMMIT, today = _git("log", "-1", "--format=%h %cs").split()
FILES_URL = confcheck_download_url
SOURCE_URL = "https://opendev.org/openstack/ha-guide"

# Margins of the text area; tests/reader/test_pdf.py reads them here and
# checks that no text reaches past them.
LATEX_HMARGIN = "1in"
latex_elements = {
    "papersize": "a4paper",
    "pointsize": "10pt",
    # No hyphen is ever added to, or a line broken at the hyphen of, a
    # monospaced word: a reader must be able to type what is printed.
    "fontpkg": r"""
\setmainfont{Liberation Serif}
\setsansfont{Liberation Sans}
\setmonofont[Scale=0.85,HyphenChar=None]{Liberation Mono}
""",
    "maxlistdepth": "10",
    "sphinxsetup": f"hmargin={{{LATEX_HMARGIN},{LATEX_HMARGIN}}}",
    "preamble": r"""
% Inline literals may break after , ; ? ! / and after a hyphen that is
% part of the text (the font adds none of its own), but not after a dot,
% so an address such as 10.0.0.12 stays on one line.
\renewcommand*\sphinxbreaksafteractivelist{\do\,\do\;\do\?\do\!\do\/}
\protected\def\haguidehyphen#1{\mbox{-}\allowbreak}
\renewcommand*{\sphinxhyphenininlineliteral}{\haguidehyphen}
% Index entries (file paths among them) may break after a slash too;
% in the index Sphinx lets \spxentry be \sphinxstyleindexentry.
\ExplSyntaxOn
\cs_new_protected:Npn \haguide_index_entry:n #1
  {
    \tl_set:Nn \l_tmpa_tl { #1 }
    \tl_replace_all:Nnn \l_tmpa_tl { / } { / \allowbreak }
    \tl_use:N \l_tmpa_tl
  }
\cs_new_eq:NN \haguideindexentry \haguide_index_entry:n
\ExplSyntaxOff
\AtBeginDocument{%
  \let\haguideoriginalindexentry\sphinxstyleindexentry
  \renewcommand*{\sphinxstyleindexentry}[1]{%
    \haguideoriginalindexentry{\haguideindexentry{#1}}}%
}
% Listings, tables and figures are numbered through the whole book; the
% chapter-wise numbers printed "Listing 1" once per chapter.
\AtBeginDocument{%
  \counterwithout{literalblock}{chapter}%
  \counterwithout{table}{chapter}%
  \counterwithout{figure}{chapter}%
  \renewcommand*{\theliteralblock}{\arabic{literalblock}}%
  \renewcommand*{\thetable}{\arabic{table}}%
  \renewcommand*{\thefigure}{\arabic{figure}}%
}
\newcommand{\sphinxbackoftitlepage}{%
  \vspace*{\fill}
  \begin{flushleft}\small
  \textbf{<project>}, release <release>.\par\medskip
  Copyright \textcopyright{} OpenStack contributors. Except where
  otherwise noted, this document is licensed under the Creative Commons
  Attribution 3.0 License
  (\url{https://creativecommons.org/licenses/by/3.0/}). The source
  repository, with the example files and the tools, is licensed under
  the Apache License, Version 2.0.\par\medskip
  Every configuration file of the guide, as each node has it, and an
  archive per node:\\ \url{<files>}\par\medskip
  Source: \url{<source>}, commit <commit> of <today>.
  \end{flushleft}
}
"""
}
# The LaTeX above is full of % comments, so the values go in by name.
for _name, _value in {"project": project, "release": release,
                      "files": FILES_URL, "source": SOURCE_URL,
                      "commit": COMMIT, "today": today}.items():
    latex_elements["preamble"] = latex_elements["preamble"].replace(
        f"<{_name}>", _value)
latex_use_xindy = False

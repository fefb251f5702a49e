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
"""The copy button of every listing on every page copies the right text."""

from __future__ import annotations

import re
import subprocess
import urllib.parse
import urllib.request

import pytest

pytestmark = pytest.mark.reader

# Prompts as the reader sees them: "# " (root), "$ " (a user), and "> "
# where a command goes on over several lines.
PROMPT = re.compile(r"^[#$] ")
PS2 = "> "

# Clicks every copy button of the page in order and records the text each
# click hands to the clipboard. ClipboardJS copies through
# document.execCommand("copy") on a selected scratch textarea, so wrapping
# execCommand sees exactly what lands on the clipboard, with no clipboard
# permission needed in a headless browser.
COPY_ALL = """
const copied = [];
const original = document.execCommand.bind(document);
document.execCommand = (command, ...rest) => {
  if (command === "copy") {
    const el = document.activeElement;
    copied.push(el && "value" in el ? el.value
                                    : String(document.getSelection()));
  }
  return original(command, ...rest);
};
const result = [];
for (const button of document.querySelectorAll("button.copybtn")) {
  const target = document.querySelector(
    button.getAttribute("data-clipboard-target"));
  const shown = target.cloneNode(true);
  shown.querySelectorAll(".linenos").forEach(n => n.remove());
  const block = target.closest("div[class*='highlight-']");
  const wrapper = target.closest(".confcheck-example");
  let download = null;
  if (wrapper) {
    let next = wrapper.closest(".literal-block-wrapper") || wrapper;
    while (next && !download) {
      next = next.nextElementSibling;
      const link = next && next.querySelector("a.confcheck-file");
      if (link) download = link.href;
    }
  }
  const before = copied.length;
  button.click();
  result.push({
    id: target.id,
    shown: shown.textContent,
    console: !!(block && block.className.includes("highlight-console")),
    example: !!wrapper,
    download: download,
    copied: copied.length > before ? copied[copied.length - 1] : null,
  });
}
document.execCommand = original;
return result;
"""


def _incomplete(command: str) -> bool:
    """True if bash, reading command, would wait for more lines."""
    result = subprocess.run(["bash", "-n"], input=command + "\n",
                            capture_output=True, text=True, timeout=10,
                            check=False)
    return result.returncode != 0 and bool(
        re.search(r"unexpected (end of file|EOF)", result.stderr, re.I))


def expected_console(shown: str) -> str:
    """The commands of a console listing: no prompts, no output.

    A line that starts with a prompt begins a command. The next line
    continues it when it starts with "> ", when the command so far ends
    in a backslash, or when bash says the command is not complete (an
    open quote, a loop without its "done"). Any other line is output:
    its text is not copied, so it leaves an empty line.
    """
    lines, command = [], None
    # The button drops one final newline, as for any listing.
    for line in shown.removesuffix("\n").split("\n"):
        if PROMPT.match(line):
            command = line[2:]
            lines.append(command)
        elif command is not None and (
                line.startswith(PS2) or command.endswith("\\")
                or _incomplete(command)):
            part = line[len(PS2):] if line.startswith(PS2) else line
            command += "\n" + part
            lines.append(part)
        else:
            command = None
            lines.append("" if line.strip() else line)
    return "\n".join(lines)


@pytest.fixture(scope="module")
def copies(site, pages, browser):
    """(page, block) for every copy button of the guide."""
    base, _ = site
    found = []
    for page in pages:
        browser.get(f"{base}/{page}")
        found.extend((page, block) for block in
                     browser.execute_script(COPY_ALL))
    return found


def test_every_copy_button_copies_something(copies):
    assert len(copies) > 400
    assert [(page, b["id"]) for page, b in copies
            if not b["copied"]] == []


def test_listings_copy_exactly_what_they_show(copies):
    """A configuration listing copies every line it shows, comments too.

    The copy button once treated a configuration comment ("# ...") as a
    root prompt and copied only the comments of nova.conf; any listing
    that is not a console session must now copy as shown.
    """
    wrong = [(page, b["id"], b["copied"][:80])
             for page, b in copies if not b["console"]
             and b["copied"] != b["shown"].removesuffix("\n")]
    assert wrong == []


def test_console_listings_copy_commands_only(copies):
    wrong = [(page, b["id"], b["copied"][:80])
             for page, b in copies if b["console"]
             and b["copied"] != expected_console(b["shown"])]
    assert wrong == []
    # Enough console listings for the comparison to mean something.
    assert len([b for _, b in copies if b["console"]]) > 50


def test_copied_examples_are_lines_of_their_file(copies):
    """What an example listing copies is a run of whole lines of the file
    its download link serves, so a pasted listing works as the file."""
    fetched: dict[str, str] = {}
    wrong = []
    examples = [(p, b) for p, b in copies
                if b["example"] and not b["console"]]
    assert len(examples) > 100
    for page, block in examples:
        url = block["download"]
        assert url, f"{page}: {block['id']} has no download link"
        assert urllib.parse.urlsplit(url).hostname == "127.0.0.1"
        if url not in fetched:
            with urllib.request.urlopen(url, timeout=10) as response:
                fetched[url] = response.read().decode()
        text = "\n" + fetched[url]
        if "\n" + block["copied"] + "\n" not in text + "\n":
            wrong.append((page, block["id"], url))
    assert wrong == []

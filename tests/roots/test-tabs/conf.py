extensions = ["confcheck.sphinxext", "sphinx_tabs.tabs"]  # tools/: setup.cfg
confcheck_examples_dir = "examples"  # relative to this file

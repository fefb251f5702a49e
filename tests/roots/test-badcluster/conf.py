extensions = ["confcheck.sphinxext"]  # tools/ is on sys.path (setup.cfg)
confcheck_examples_dir = "examples"  # relative to this file

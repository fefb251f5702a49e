extensions = ["confcheck.sphinxext", "haguide_architecture"]
project = "Architecture"
# The test writes cluster.yaml here before it builds.
confcheck_examples_dir = "examples"
confcheck_validate = False
latex_documents = [("index", "book.tex", project, "", "manual")]

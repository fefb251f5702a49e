extensions = ["haguide_pdf"]
project = "Appendices"
latex_documents = [("index", "book.tex", project, "", "manual")]

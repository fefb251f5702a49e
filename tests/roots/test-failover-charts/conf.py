extensions = ["haguide_results"]

extensions = ["haguide_sequence"]

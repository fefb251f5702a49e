import pathlib

extensions = ["haguide_results"]
haguide_pins_file = str(pathlib.Path(__file__).parent / "_data" / "pins.txt")

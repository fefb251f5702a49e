"""Sphinx adapter for confcheck (being written)."""


def setup(app):
    return {"version": "0", "parallel_read_safe": True,
            "parallel_write_safe": True}

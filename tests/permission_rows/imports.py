"""Permission rows for the imports app (see tests/permission_rows/__init__.py)."""

ROWS = []
OBJECTS = {}
WRITES = {}


def snapshot() -> tuple:
    return ()

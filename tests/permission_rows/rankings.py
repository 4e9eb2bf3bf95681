"""Permission rows for the rankings app (see tests/permission_rows/__init__.py)."""

ROWS = []
OBJECTS = {}
WRITES = {}


def snapshot() -> tuple:
    return ()

"""Permission rows for the oc4ids app (see tests/permission_rows/__init__.py)."""

ROWS = []
OBJECTS = {}
WRITES = {}


def snapshot() -> tuple:
    return ()

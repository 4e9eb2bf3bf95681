"""Permission rows for the dashboards app (see tests/permission_rows/__init__.py)."""

ROWS = []
OBJECTS = {}
WRITES = {}


def snapshot() -> tuple:
    return ()

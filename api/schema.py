"""Schema post-processing: the checked-in api/openapi.yaml must not depend on the database it was made with.

Django gives integer fields the range of the database's column type (SQLite: 64 bits for every integer;
PostgreSQL: 16 bits for a small integer), and the schema generator writes those ranges as ``minimum`` and
``maximum``. This hook drops bounds that are only a column type's range; bounds the models set themselves
(a year up to 2100, a limit of 365 working days) stay.
"""

COLUMN_BOUNDS = {2**15 - 1, -(2**15), 2**31 - 1, -(2**31), 2**63 - 1, -(2**63)}


def drop_column_ranges(result, generator, request, public):
    _drop(result)
    return result


def _drop(node) -> None:
    if isinstance(node, dict):
        if node.get("type") == "integer":
            for bound in ("minimum", "maximum"):
                if node.get(bound) in COLUMN_BOUNDS:
                    del node[bound]
            if node.get("format") == "int64" and "maximum" not in node:
                del node["format"]
        for value in node.values():
            _drop(value)
    elif isinstance(node, list):
        for value in node:
            _drop(value)

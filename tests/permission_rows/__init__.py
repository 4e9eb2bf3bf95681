"""Rows of the permission table kept beside the apps they cover (one module per app), gathered by
tests/test_permissions.py. Each module defines:

- ``ROWS``: a list of ``Row``;
- ``OBJECTS``: what a row's ``obj`` names, ``name -> callable(cast) -> primary key`` (make rows lazily and
  remember them on ``cast``, as test_permissions._problems does);
- ``WRITES``: ``(url name, method) -> callable(cast) -> bool``, the check that a successful write happened;
- ``snapshot()``: a tuple of everything a refused request must leave untouched in that app.
"""

from dataclasses import dataclass, field

from reports import colours

from ..conftest import COUNTY_ROLES, EDITOR_ROLES

ANONYMOUS = "anonymous"
AUDIENCES = [ANONYMOUS, *COUNTY_ROLES]


@dataclass(frozen=True)
class Row:
    name: str
    method: str
    anonymous: int
    editors: int
    readers: int
    obj: str | None = None  # "own" | "other"
    kwargs: dict = field(default_factory=dict)
    overrides: dict = field(default_factory=dict)  # role -> status, where one role differs from its group
    login_redirect: bool = True  # anonymous is sent to the login page

    def expected(self, audience: str) -> int:
        if audience in self.overrides:
            return self.overrides[audience]
        if audience == ANONYMOUS:
            return self.anonymous
        return self.editors if audience in EDITOR_ROLES else self.readers


XLSX, CSV = {"fmt": "xlsx"}, {"fmt": "csv"}
YEAR, MONTH = colours.current_month()
THIS_MONTH = {"year": YEAR, "month": MONTH}
REPORTER_AND_LEADER_200 = {"reporter": 200, "leader": 200}


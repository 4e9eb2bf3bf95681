"""The red/yellow/blue colours: inputs computed in SQL for a whole region at once.

Interface used by the rest of the app (implementation in progress by the lead):
- recompute(year, month, region=None, project_ids=None) -> int
- recompute_after_commit(project_ids, year, month)
- reason_texts(colour: ProjectColour) -> list[str]
"""

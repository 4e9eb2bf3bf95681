"""How long a city's monthly bulletin takes: content, Word, PDF and the Excel ledger, on the 20,000-project set.

Run: .venv/bin/python benchmarks/bulletin.py [--regions 140100,141100] [--projects 20000] [--years 3] [--reuse]

Builds the demo data set (benchmarks/_setup.py) in a throw-away SQLite file (var/bench-bulletin.sqlite3), then
for each region renders last month's bulletin step by step as ``Bulletin.run_generation`` does: the content
(the figures' SQL and the words), the Word document (python-docx), the PDF (WeasyPrint) and the Excel annex
(openpyxl: the ledger and the stalled lists in full), timing each in wall-clock seconds and in the process's
CPU seconds (on a shared machine the wall time includes other people's work; the CPU time is what the step
costs). "rows" counts the table rows of the body (each stalled list shows its 30 longest-overdue entries, the
annex has the rest), "annex" the rows of the annex's stalled-list sheets. Targets, for a city's bulletin of
about 2,000 projects of the year (太原市 140100 in the demo set; 吕梁市 141100 has about 3,600): Word ≤ 5 s,
PDF ≤ 20 s. --reuse measures the file of an earlier run (migrated first).
"""

import argparse
import datetime
import sys
import time
from dataclasses import dataclass

from _setup import VAR_DIR, build_demo, fresh_sqlite, setup_django

DB_FILE = VAR_DIR / "bench-bulletin.sqlite3"
TARGETS = {"docx": 5.0, "pdf": 20.0}
TARGET_REGION = "140100"  # 太原市: about 2,000 projects of the year


@dataclass
class Step:
    name: str
    wall: float
    cpu: float
    size: int


@dataclass
class Measured:
    code: str
    name: str
    projects: int
    rows: int
    annex_rows: int
    pages: int
    steps: list[Step]

    def step(self, name: str) -> Step:
        return next(step for step in self.steps if step.name == name)


def _timed(name: str, function, *args):
    wall, cpu = time.perf_counter(), time.process_time()
    result = function(*args)
    return result, Step(name, time.perf_counter() - wall, time.process_time() - cpu, 0)


def measure(code: str, year: int, month: int) -> Measured:
    from django_scopes import scopes_disabled

    from bulletins import content, documents, word
    from org.models import Region

    with scopes_disabled():
        region = Region.objects.get(code=code)
        computed, content_step = _timed("content", content.compute, region, year, month)
        as_of = datetime.date.fromisoformat(computed["meta"]["as_of"])
        docx, docx_step = _timed("docx", word.render_docx, computed)
        (pages, pdf), pdf_step = _timed("pdf", _pdf, computed)
        ledger, ledger_step = _timed("annex", documents.ledger_bytes, region, year, month, as_of)
    docx_step.size, pdf_step.size, ledger_step.size = len(docx), len(pdf), len(ledger)
    rows = sum(len(block["rows"]) for block in computed["blocks"] if block["kind"] == "table")
    return Measured(code, region.name, int(computed["figures"]["projects"]), rows, _annex_rows(ledger), pages,
                    [content_step, docx_step, pdf_step, ledger_step])  # fmt: skip


def _annex_rows(ledger: bytes) -> int:
    """Rows of the annex's stalled-list sheets (every sheet after the ledger), less titles, headers and totals."""
    import io

    from openpyxl import load_workbook

    book = load_workbook(io.BytesIO(ledger), read_only=True)
    return sum(max(sheet.max_row - 5, 0) for sheet in book.worksheets[1:])


def _pdf(computed: dict) -> tuple[int, bytes]:
    """What ``documents.render_pdf`` does, keeping the page count."""
    from bulletins.documents import laid_out_pdf

    document = laid_out_pdf(computed)
    return len(document.pages), document.write_pdf()


def report(results: list[Measured]) -> bool:
    print(f"\n{'region':<8}{'projects':>9}{'rows':>7}{'annex':>7}{'pages':>7}  {'step':<8}{'wall s':>8}{'cpu s':>8}"
          f"{'KiB':>8}")  # fmt: skip
    for m in results:
        for index, step in enumerate(m.steps):
            head = f"{m.name:<8}{m.projects:>9}{m.rows:>7}{m.annex_rows:>7}{m.pages:>7}" if index == 0 else " " * 38
            print(f"{head}  {step.name:<8}{step.wall:>8.2f}{step.cpu:>8.2f}{step.size / 1024:>8.0f}")
    target = next((m for m in results if m.code == TARGET_REGION), None)
    if target is None:
        return True
    verdicts = []
    for name, limit in TARGETS.items():
        step = target.step(name)
        ok = step.wall <= limit or step.cpu <= limit
        verdicts.append(ok)
        print(f"{target.name} {name} ≤ {limit:.0f} s: {'yes' if ok else 'NO'} "
              f"(wall {step.wall:.1f} s, cpu {step.cpu:.1f} s)")  # fmt: skip
    return all(verdicts)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--regions", default="140100,141100", help="region codes, comma separated")
    parser.add_argument("--projects", type=int, default=20000)
    parser.add_argument("--years", type=int, default=3)
    parser.add_argument("--reuse", action="store_true", help="measure the data set of an earlier run")
    args = parser.parse_args()

    setup_django(f"sqlite:///{DB_FILE}" if args.reuse else fresh_sqlite(DB_FILE))
    from django.core.management import call_command
    from django.utils import timezone
    from django_scopes import scopes_disabled

    from reports.models import previous_month

    call_command("migrate", verbosity=0)
    if not args.reuse:
        with scopes_disabled():
            seconds = build_demo(args.projects, args.years)
        print(f"demo --projects {args.projects} --years {args.years}: {seconds:.1f} s")
    today = timezone.localdate()
    year, month = previous_month(today.year, today.month)
    results = [measure(code.strip(), year, month) for code in args.regions.split(",") if code.strip()]
    return 0 if report(results) else 1


if __name__ == "__main__":
    sys.exit(main())

"""Score tieout on the blind export corpus and print one line per file (run by hand).

.venv/bin/python benchmarks/corpus_score.py [variant ...]
"""

from __future__ import annotations

import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests"))

from corpus_check import score, variants


def main(selected: list[str]) -> int:
    totals = {"files": 0, "ok": 0, "right": 0, "wrong": 0, "missing": 0, "read": 0, "by_design": 0}
    totals.update({"accepted": 0, "quarantined": 0})
    with tempfile.TemporaryDirectory() as tmp:
        for variant in selected or variants():
            result = score(variant, Path(tmp))
            if result.error:
                print(f"{variant}: ERROR {result.error}")
            for f in result.files:
                totals["files"] += 1
                totals["ok"] += f.ok
                totals["right"] += f.values_right
                totals["wrong"] += len(f.values_wrong)
                totals["missing"] += len(f.values_missing)
                totals["by_design"] += len(f.values_deliberate)
                if f.rows:
                    totals["read"] += f.rows[0]
                    totals["accepted"] += f.rows[1]
                    totals["quarantined"] += f.rows[2]
                mark = "ok " if f.ok else "BAD"
                print(f"{mark} {variant}/{f.file}: {f.table} rows={f.rows} want={f.expected_rows}")
                for line in [*f.problems, *f.values_wrong, *f.values_missing[:3]]:
                    print(f"      {line}")
                for line in f.values_deliberate:
                    print(f"      by design: {line}")
                if f.dates:
                    shown = ", ".join(f"{c}={r}" for c, r in f.dates.items())
                    print(f"      dates: {shown}")
    print(
        f"\n{totals['ok']} of {totals['files']} files right; rows read {totals['read']} = "
        f"accepted {totals['accepted']} + quarantined {totals['quarantined']}; stated values "
        f"{totals['right']} right, {totals['wrong']} silently wrong, {totals['by_design']} "
        f"different by design, {totals['missing']} on records not accepted"
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))

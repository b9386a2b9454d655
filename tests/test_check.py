"""`tieout check` and the run's preflight: every definition loaded and cross-checked once,
before anything runs, every problem named by file, line and key."""

from __future__ import annotations

import io
import json
from pathlib import Path

import pytest
import yaml
from rich.console import Console
from typer.testing import CliRunner

from support import invoke, write_project
from tieout import pipeline
from tieout.cli import common
from tieout.config import load_project
from tieout.errors import ConfigError

YML = """name: shop
as_of: 2026-03-31
sources:
  - name: crm
    path: Account.csv
    preset: salesforce.account
"""
ACCOUNTS = "Id,Name\n001Dn000004AAAaIAK,Acme Ltd\n"
RULE = """id: late_bills
title: Late bills
description: a work order completed and never billed
owner: finance
severity: high
sql: |
  SELECT w.account_native_id AS account_key, w.planned_value AS amount,
         w.currency AS currency, [] AS refs, 'late' AS detail
  FROM work_order w
"""
METRIC = """name: won_value
title: Won value
description: what the opportunities won were worth
owner: sales
version: 1
unit: money
good: up
grain: opportunity
dimensions: [month]
fact: |
  SELECT o.id, CAST(o.close_date AS DATE) AS date, NULL AS account_key, NULL AS product,
         NULL AS job_key, o.amount AS value
  FROM opportunity o
"""
PLAN = """plan: shop-2026
title: Shop plan
targets:
  - {period: 2026-01, metric: won_value, value: 100}
"""


def _project(root: Path, **files: str) -> Path:
    """The shop with a rule, a metric and a plan of its own; `files` replace or add some."""
    own = {"rules/late_bills.yml": RULE, "metrics/won_value.yml": METRIC, "plans/shop.yml": PLAN}
    return write_project(
        root, files.pop("tieout.yml", YML), {"Account.csv": ACCOUNTS, **own, **files}
    )


def _check(cli: CliRunner, root: Path) -> tuple[int, str]:
    return invoke(cli, "check", "-p", str(root))


def test_a_valid_project_passes_and_says_what_was_checked(tmp_path: Path, cli: CliRunner) -> None:
    code, out = _check(cli, _project(tmp_path))
    assert code == 0, out
    assert "Every definition is valid; nothing was run." in out
    assert "rules/late_bills.yml" in out and "metrics/won_value.yml" in out
    assert "plans/shop.yml" in out
    assert not (tmp_path / ".tieout").exists()  # nothing ran


def test_a_bad_key_in_tieout_yml(tmp_path: Path, cli: CliRunner) -> None:
    root = _project(tmp_path, **{"tieout.yml": YML + "    colums: {}\n"})
    code, out = _check(cli, root)
    assert code == 2
    assert "tieout.yml:7: sources.0.colums: unknown key" in out


def test_a_bad_key_and_a_missing_key_in_a_rule_both_reported(
    tmp_path: Path, cli: CliRunner
) -> None:
    root = _project(tmp_path, **{"rules/late_bills.yml": RULE.replace("severity:", "sevrity:")})
    code, out = _check(cli, root)
    assert code == 2
    assert "rules/late_bills.yml:5: sevrity: unknown key" in out
    assert "rules/late_bills.yml:1: severity: required key is missing" in out
    assert "2 problems; nothing was run." in out


def test_a_rule_naming_an_unknown_table(tmp_path: Path, cli: CliRunner) -> None:
    root = _project(tmp_path, **{"rules/late_bills.yml": RULE.replace("work_order", "work_ordr")})
    code, out = _check(cli, root)
    assert code == 2
    assert "rules/late_bills.yml:6: sql: rule late_bills: unknown table 'work_ordr'" in out


def test_unparsable_sql_in_a_metric(tmp_path: Path, cli: CliRunner) -> None:
    broken = METRIC.replace("FROM opportunity o", "FROM opportunity o WHERE (")
    root = _project(tmp_path, **{"metrics/won_value.yml": broken})
    code, out = _check(cli, root)
    assert code == 2
    assert "metrics/won_value.yml:10: fact: metric won_value: not valid SQL" in out


def test_unknown_metrics_in_a_plan_a_formula_and_a_scorecard_reported_together(
    tmp_path: Path, cli: CliRunner
) -> None:
    ratio = METRIC.replace("name: won_value", "name: won_ratio").split("fact:")[0]
    root = _project(
        tmp_path,
        **{
            "tieout.yml": YML + "scorecards:\n  sales: [won_value, won_valu]\n",
            "plans/shop.yml": PLAN.replace("metric: won_value", "metric: wonvalue"),
            "metrics/won_ratio.yml": ratio + "formula: won_value / lost_value\n",
        },
    )
    code, out = _check(cli, root)
    assert code == 2
    assert "metrics/won_ratio.yml:10: formula: metric won_ratio: formula names no metric" in out
    assert "plans/shop.yml:4: targets.0.metric: no metric 'wonvalue' (did you mean" in out
    assert (
        "tieout.yml:8: scorecards.sales.1: no metric 'won_valu' (did you mean 'won_value'?)" in out
    )
    assert "3 problems; nothing was run." in out


@pytest.mark.parametrize(
    ("name", "text", "line"),
    [
        ("tieout.yml", YML.replace("path: Account.csv", "path: Account.csv: x"), 5),
        ("rules/late_bills.yml", RULE.replace("owner: finance", "owner: [finance"), 5),
    ],
)
def test_a_yaml_syntax_error(
    tmp_path: Path, cli: CliRunner, name: str, text: str, line: int
) -> None:
    code, out = _check(cli, _project(tmp_path, **{name: text}))
    assert code == 2
    assert f"{name}:{line}: not valid YAML" in out


def test_json_lists_each_problem(tmp_path: Path, cli: CliRunner) -> None:
    root = _project(
        tmp_path, **{"rules/late_bills.yml": RULE.replace("severity: high", "severity: hi")}
    )
    code, out = invoke(cli, "check", "-p", str(root), "-f", "json")
    assert code == 2
    (problem,) = json.loads(out)
    assert problem["file"] == "rules/late_bills.yml"
    assert (problem["line"], problem["key"]) == (5, "severity")
    code, out = invoke(cli, "check", "-p", str(_project(tmp_path / "fine")), "-f", "json")
    assert (code, json.loads(out)) == (0, [])


def test_a_run_with_a_rule_typo_stops_before_ingest(tmp_path: Path, cli: CliRunner) -> None:
    root = _project(tmp_path, **{"rules/late_bills.yml": RULE.replace("work_order", "work_ordr")})
    expected = _check(cli, root)[1].splitlines()[0]
    code, out = invoke(cli, "run", "-p", str(root))
    assert code == 2
    assert out.splitlines() == [expected]  # the same message as `tieout check`
    assert not (root / ".tieout").exists()  # no landing, no snapshot, no run recorded


def test_a_run_reads_definitions_loaded_once(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Every stage takes what it needs from the loaded project: no YAML is read again."""
    project = load_project(_project(tmp_path))

    def again(*_: object, **__: object) -> None:
        raise AssertionError("a definition was loaded a second time")

    monkeypatch.setattr(yaml, "compose", again)
    summary = pipeline.run(project)
    assert summary.ingest.rows_accepted == 1
    assert "late_bills" in summary.reconcile.by_rule


def test_problems_fit_an_80_column_terminal(monkeypatch: pytest.MonkeyPatch) -> None:
    out = io.StringIO()
    terminal = Console(file=out, width=80, force_terminal=True, color_system=None)
    monkeypatch.setattr(common, "err_console", terminal)
    long = "no metric 'wonvalue' (did you mean 'won_value'?) " * 3
    common.print_problems(ConfigError(long, file="plans/shop.yml", line=4, key="targets.0.metric"))
    lines = out.getvalue().splitlines()
    assert len(lines) > 1 and all(len(line.rstrip()) <= 80 for line in lines)
    assert lines[0].startswith("error: plans/shop.yml:4: targets.0.metric: no metric")
    assert all(line.startswith(" " * 7) for line in lines[1:])  # under the message

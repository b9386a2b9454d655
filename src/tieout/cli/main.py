"""The `tieout` command: a thin shell over the stage functions."""

from __future__ import annotations

import typer

from tieout.cli import (
    audit_cmds,
    check_cmd,
    close_cmds,
    decision_cmds,
    demo_cmd,
    exception_cmds,
    init_cmd,
    match_cmds,
    metric_cmds,
    notify_cmds,
    operating_cmds,
    plan_cmds,
    presets_cmd,
    report_cmds,
    run_cmds,
    serve_cmd,
    state_cmds,
    user_cmds,
)

app = typer.Typer(
    name="tieout",
    help="Tie out what sales sold, operations delivered and finance billed.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    add_completion=False,
)
app.command("init")(init_cmd.init)
app.command("check")(check_cmd.check)
app.command("run")(run_cmds.run)
app.command("runs")(run_cmds.runs)
app.command("quarantine")(run_cmds.quarantine_cmd)
app.command("presets")(presets_cmd.presets)
app.command("demo")(demo_cmd.demo)
app.add_typer(match_cmds.app, name="match")
app.add_typer(match_cmds.export_app, name="export")
app.add_typer(exception_cmds.app, name="exceptions")
app.add_typer(close_cmds.app, name="close")
app.add_typer(metric_cmds.app, name="metrics")
app.add_typer(report_cmds.app, name="report")
app.command("accounts")(operating_cmds.accounts)
app.command("service")(operating_cmds.service)
app.command("capacity")(operating_cmds.capacity)
app.command("funnel")(operating_cmds.funnel)
app.command("scorecards")(operating_cmds.scorecard)
app.command("onboarding")(operating_cmds.onboarding)
app.command("utilisation")(operating_cmds.utilisation)
app.add_typer(plan_cmds.app, name="plan")
app.add_typer(decision_cmds.app, name="decisions")
app.add_typer(audit_cmds.app, name="audit")
app.add_typer(state_cmds.app, name="state")
app.add_typer(user_cmds.app, name="users")
app.add_typer(user_cmds.tokens_app, name="tokens")
app.add_typer(notify_cmds.app, name="notify")
app.command("serve")(serve_cmd.serve)

"""The ``grapevine`` command line (typer + rich): the app, its global options, its commands.

Commands live in ``commands`` (the pipeline), ``analytics`` (metrics, alerts, report) and the
``nlp`` package (``eval``, ``train``); shared options, output and error rendering in ``common``.
"""

from __future__ import annotations

import logging
from typing import Annotated

import typer
from rich.logging import RichHandler

from grapevine import __version__
from grapevine.cli import analytics, commands
from grapevine.cli import outcomes as outcomes_cli
from grapevine.cli.common import out
from grapevine.cli.output import OutputFormat

app = typer.Typer(
    name="grapevine",
    help="Grapevine: measure customer-to-customer word of mouth (advocacy and badvocacy) "
    "about brands, from social posts into a PostgreSQL warehouse.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    rich_markup_mode="markdown",  # docstring paragraphs flow to the terminal width
)


def _print_version(value: bool) -> None:
    """Eager, so that ``grapevine --version`` works without a command."""
    if value:
        typer.echo(f"grapevine {__version__}")
        raise typer.Exit()


@app.callback()
def main(
    verbose: Annotated[bool, typer.Option("--verbose", "-v", help="Show debug logs.")] = False,
    version: Annotated[
        bool,
        typer.Option(
            "--version",
            help="Print the version and exit.",
            callback=_print_version,
            is_eager=True,
        ),
    ] = False,
    output: Annotated[
        OutputFormat,
        typer.Option(
            "--format",
            help="How summary tables are printed: table (rich; full width when piped), or tsv / "
            "json (one object a line) on stdout, with messages on stderr.",
        ),
    ] = OutputFormat.table,
) -> None:
    """Configure logging and output for every command."""
    out.use(output)
    logging.basicConfig(
        level=logging.DEBUG if verbose else logging.WARNING,
        format="%(message)s",
        handlers=[RichHandler(console=out.err, show_path=False)],
        force=True,
    )
    from grapevine.redact import install

    install()  # secrets and auth headers masked in every logger's records, tweepy's included


app.command("init-db")(commands.init_db)
app.command("analyst-login")(commands.analyst_login)
app.command()(commands.collect)
app.command()(commands.classify)
app.command()(commands.run)
app.command()(commands.mentions)
app.command()(commands.demo)
for _command in (analytics.metrics, analytics.alerts, analytics.report):
    app.command()(_command)
app.add_typer(outcomes_cli.app, name="outcomes")


def _mount_nlp() -> None:
    """``grapevine eval …`` and ``grapevine train …`` live in the nlp package."""
    from nlp.cli import eval_app, train_app

    app.add_typer(
        eval_app, name="eval", help="Evaluate a model and the baselines on a labelled file."
    )
    app.add_typer(train_app, name="train", help="Train the shipped models (reproducibly).")


_mount_nlp()

if __name__ == "__main__":  # pragma: no cover
    app()

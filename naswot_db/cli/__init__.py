"""The ``naswot-db`` command line: one click group, one module per family of commands."""

from __future__ import annotations

import os
import signal
import sys

import click

from naswot_db import __version__
from naswot_db.core.errors import NaswotDbError


class _Group(click.Group):
    """Turns every :class:`NaswotDbError` into one ``Error: ...`` line and exit status 1.

    A bad option value (click's usage errors) is one line too, without the usage banner.
    Output piped into a reader that stops early (``| head``) ends the command quietly.
    Unreadable Parquet parts surface from DuckDB or Arrow; they get one line too, naming the
    file where the library does.
    """

    def invoke(self, ctx: click.Context):
        try:
            return super().invoke(ctx)
        except BrokenPipeError:
            _quiet_exit_on_closed_stdout()
        except NaswotDbError as exc:
            raise click.ClickException(str(exc)) from exc
        except click.UsageError as exc:
            raise click.ClickException(exc.format_message()) from exc
        except Exception as exc:
            if not isinstance(exc, _data_errors()):
                raise
            first_line = str(exc).strip().splitlines()[0] if str(exc).strip() else ""
            raise click.ClickException(f"{type(exc).__name__}: {first_line}") from exc


def _quiet_exit_on_closed_stdout() -> None:
    """The reader of stdout is gone: point stdout at /dev/null (so the final flush cannot fail
    again) and exit with the status a shell gives a command killed by SIGPIPE."""
    devnull = os.open(os.devnull, os.O_WRONLY)
    os.dup2(devnull, sys.stdout.fileno())
    sys.exit(128 + signal.SIGPIPE)


def _data_errors() -> tuple[type[BaseException], ...]:
    """OSError, plus DuckDB's and Arrow's errors when those libraries are loaded (an error of
    theirs implies they are), so that ``--help`` imports neither."""
    kinds: list[type[BaseException]] = [OSError]
    if "duckdb" in sys.modules:
        kinds.append(sys.modules["duckdb"].Error)
    if "pyarrow" in sys.modules:
        kinds.append(sys.modules["pyarrow"].ArrowException)
    return tuple(kinds)


@click.group(cls=_Group, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="naswot-db")
def main() -> None:
    """Precomputed NASWOT scores for NAS benchmarks: build them once, query them in SQL."""


def _register_commands() -> None:
    from . import (build_commands, distribution_commands, info_command, maintenance_commands,
                   query_commands, stability_command)

    for command in (build_commands.build, build_commands.ingest, *query_commands.COMMANDS,
                    info_command.info, *distribution_commands.COMMANDS,
                    *maintenance_commands.COMMANDS, stability_command.stability):
        main.add_command(command)


_register_commands()

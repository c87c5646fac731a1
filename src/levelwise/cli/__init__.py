"""The ``levelwise`` command: one typer app, one ``fail()``, a module per group.

Layout:

* ``main``: the root app, the core commands (``program``, ``ingest``,
  ``learner show``, ``placement``, ``replay``, ``fit``, ``keys``, ``serve``)
  and ``main()``, the console script.
* ``options``: the consoles, the common options (``--db``, ``--tenant``,
  ``--json``), the progress bar, ``fail()``, ``open_engine()`` and
  ``open_school()`` (which database, which school: see its docstring).
* ``examples``: the example programs that ship inside the package, for
  ``demo`` and ``simulate``.
* one module per command group: ``boards`` (with ``leagues``), ``credentials``,
  ``demo``, ``eval`` (with ``graph``), ``guide`` (``learner plan | next |
  forecast``), ``items``, ``metrics`` (with ``experiments``), ``pages``,
  ``pk``, ``simulate`` and ``webhooks``.

Registration, one style only: commands are declared with ``@x.command(...)`` on
module-level ``typer.Typer`` objects, and Typers are put together only with
``parent.add_typer(child)``, with no other arguments: a group's name and help
are given where its Typer is made (``typer.Typer(name="pk", help=...)``). Each
group module exposes one ``app``, which ``main`` mounts; a nameless ``app``
lends its commands and groups to the app it is mounted on (``simulate`` and
``demo`` on the root; ``boards`` and ``leagues``, ``metrics`` and
``experiments`` from one module each; ``graph`` on ``eval``; ``plan``,
``next`` and ``forecast`` on ``learner``). There are no ``add_x_commands``
functions, no app factories and no ``app.command()(f)`` calls.

Errors: a command that fails prints one line, ``error: <message>``, on stderr
with ``fail()`` (markup escaped; ``school '<id>': `` first when the error is
about a school) and exits 1, or 2 for unusable input (a missing input file, a
choice of school to make); a person never sees a traceback for a mistake of
theirs.

Output: piped or redirected, stdout is as wide as its widest line, so tables
are never cut; the commands that print tables take ``--json``.

Start-up: importing this package imports typer and ``levelwise.errors`` only,
so ``levelwise --help`` starts at once. rich is imported when a command first
prints (``options.out()``, ``err()``, ``escape()``; help is typer's plain help).
Heavy modules (numpy, scipy, SQLAlchemy, FastAPI, the API, adapters,
``levelwise.bootstrap``, app services) are imported inside the commands that
use them, and command signatures use only ``str``, ``Path``, numbers and types
declared in the CLI, since typer evaluates them when it builds the app
(``tests/integration/test_cli_startup.py``; ``benchmarks/startup.py`` times it).
"""

from levelwise.cli.main import main

__all__ = ["main"]

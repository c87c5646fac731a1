"""The example programs that ship inside the package, for ``demo`` and ``simulate``.

They live in ``levelwise/examples/programs/`` and are read with
:mod:`importlib.resources`, so the commands find them from any folder and from
an installed wheel, not only from a checkout of the repository.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING

from levelwise.cli.options import fail

if TYPE_CHECKING:
    from importlib.resources.abc import Traversable

EXAMPLES = ("english", "maths")
"""The example programs, by name (``<name>.yaml`` in the package)."""

DEFAULT_EXAMPLE = "english"
"""The program ``demo`` and ``simulate`` run without ``--program``."""

PROGRAM_HELP = (
    "A program file, or the name of an example that ships with Levelwise "
    f"({', '.join(EXAMPLES)}); default: {DEFAULT_EXAMPLE}."
)
"""The ``--program`` help of the commands that take an example."""


def example(name: str) -> Traversable:
    """The packaged example program ``name`` (one of :data:`EXAMPLES`).

    Examples:
        >>> example("english").name
        'english.yaml'
    """
    from importlib.resources import files  # not at start-up: --help needs none

    return files("levelwise") / "examples" / "programs" / f"{name}.yaml"


@contextmanager
def program_file(given: Path | None) -> Iterator[Path]:
    """The program file a command reads, as a path on disk.

    ``given`` is taken as a path when it names an existing file or has a folder
    or a suffix; a bare name such as ``maths`` names a packaged example. Only a
    bare name that is not an example is refused here: a missing file is for
    the reader to report with its name.

    Args:
        given: ``--program``; None: the default example.

    Yields:
        The file's path (a packaged example's, for as long as the block runs).

    Raises:
        typer.Exit: ``given`` is a bare name that is neither a file nor an
            example.
    """
    bare = given is not None and given.parent == Path() and not given.suffix
    if given is not None and (given.exists() or not bare):
        yield given
        return
    name = DEFAULT_EXAMPLE if given is None else str(given)
    if name not in EXAMPLES:
        shown = ", ".join(EXAMPLES)
        msg = f"{given}: no such file, nor an example program ({shown})"
        raise fail(msg, code=2)
    from importlib.resources import as_file

    with as_file(example(name)) as path:
        yield path

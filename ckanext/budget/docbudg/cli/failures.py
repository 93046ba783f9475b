"""How a run of ``budget-doc`` ends: an exit code and a message, never a traceback.

A traceback could quote a document (personal data) and tells a user nothing; the typed
errors carry a bilingual message instead. ``BUDGET_DOC_DEBUG=1`` re-raises, for developers.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Callable
from typing import Any, TextIO

import click

from ..errors import BudgetDocError
from ..messages import Message
from . import texts as T

EXIT_OK = 0
EXIT_FAILED = 1
EXIT_USAGE = 2
EXIT_UNREADABLE = 3
EXIT_IO = 4
EXIT_INTERNAL = 70
EXIT_INTERRUPTED = 130


def say(msg: Message, stream: TextIO | None = None, /, **params: Any) -> None:
    """Print ``msg`` in the run's language (``LANGUAGE``, set by ``language.speaking``)."""
    print(msg.with_params(**params).text() if params else msg.text(), file=stream)


def error(message: Message) -> None:
    """``Erreur : …`` / ``Error: …`` on standard error."""
    say(T.ERROR_PREFIX, sys.stderr, message=message.text())


def exit_code_of(run: Callable[[], Any]) -> int:
    """Call ``run`` (click in non-standalone mode) and turn what it raised into an exit code."""
    debug = os.environ.get("BUDGET_DOC_DEBUG") == "1"
    try:
        return int(run() or EXIT_OK)
    except click.ClickException as exc:  # usage errors: click prints usage and message
        exc.show()
        return exc.exit_code
    except click.Abort:  # click's form of KeyboardInterrupt
        error(T.ERR_INTERRUPTED)
        return EXIT_INTERRUPTED
    except BudgetDocError as exc:
        if debug:
            raise
        say(T.ERROR_PREFIX, sys.stderr, message=exc.text())
        return EXIT_UNREADABLE
    except OSError as exc:
        if debug:
            raise
        reason = exc.strerror or type(exc).__name__
        error(T.ERR_IO.with_params(path=exc.filename or "-", reason=reason))
        return EXIT_IO
    except Exception as exc:
        if debug:
            raise
        error(T.ERR_INTERNAL.with_params(kind=type(exc).__name__))
        return EXIT_INTERNAL

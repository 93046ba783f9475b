"""``budget-doc batch``: anonymise, validate and convert every document of a directory.

The run itself (worker processes, summaries) is ``batch_run``, imported when the command
runs: it needs the whole pipeline.
"""

from __future__ import annotations

import os
from pathlib import Path

import click

from . import texts as T
from .options import Settings, described, policy, policy_options


def command(lang: str) -> click.Command:
    default_jobs = max(1, min(4, os.cpu_count() or 1))

    @click.command("batch", **described(lang, T.HELP_BATCH, ("DIR", T.HELP_BATCH_DIR)))
    @click.argument("directory", metavar="DIR")
    @click.option("--out", required=True, metavar="DIR", help=T.HELP_BATCH_OUT.text(lang))
    @click.option(
        "--jobs", "-j", type=int, default=default_jobs, metavar="N", help=T.HELP_JOBS.text(lang)
    )
    @policy_options(lang)
    @click.pass_obj
    def batch(
        settings: Settings,
        directory: str,
        out: str,
        jobs: int,
        strict: bool,
        replacement: str | None,
    ) -> int:
        from .batch_run import run_batch

        return run_batch(
            Path(directory),
            Path(out),
            jobs=jobs,
            policy=policy(strict, replacement),
            limits=settings.limits(),
            plans_dir=settings.plans_dir,
        )

    return batch

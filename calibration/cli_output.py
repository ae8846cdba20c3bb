"""Checks on a command's ``--out`` before it runs: never a directory, never one of its own
inputs (``score --data in.csv --out in.csv --force`` would overwrite its data)."""

from __future__ import annotations

import argparse
import os
from pathlib import Path


class OutputRefused(ValueError):
    """``--out`` names something the command must not write."""


def check_output(args: argparse.Namespace) -> None:
    """Raise :class:`OutputRefused` when ``args.out`` is a directory or an input file."""
    out = getattr(args, "out", None)
    if not out:
        return
    target = Path(out)
    if target.is_dir():
        raise OutputRefused(f"--out {out} is a directory: give a file name inside it")
    if not target.exists():
        return
    for name, value in vars(args).items():
        if name == "out" or not isinstance(value, str | os.PathLike):
            continue
        candidate = Path(value)
        try:
            same = candidate.is_file() and os.path.samefile(candidate, target)
        except OSError:
            continue
        if same:
            flag = "--" + name.replace("_", "-")
            raise OutputRefused(f"--out {out} is the same file as {flag} {value}: refusing "
                                "to overwrite an input; write to another file")

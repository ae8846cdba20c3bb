"""Every CLI option with a default says that default in its --help text (and no other)."""

from __future__ import annotations

import argparse
import re

from calibration.cli import build_parser


def _subcommands() -> dict[str, argparse.ArgumentParser]:
    parser = build_parser()
    action = next(a for a in parser._actions if isinstance(a, argparse._SubParsersAction))
    return dict(action.choices)


def test_help_states_the_real_defaults():
    problems = []
    for name, sub in _subcommands().items():
        for action in sub._actions:
            default = action.default
            if (not action.option_strings or default in (None, False, argparse.SUPPRESS)
                    or action.help == argparse.SUPPRESS):
                continue
            said = re.findall(r"default:? ([^;),]+)", action.help or "")
            shown = f"{default:g}" if isinstance(default, float) else str(default)
            if not said or not any(s.strip().rstrip("%").startswith(shown) for s in said):
                problems.append(f"{name} {action.option_strings[0]}: default {default!r}, "
                                f"help says {said or 'nothing'}")
    assert not problems, "\n".join(problems)

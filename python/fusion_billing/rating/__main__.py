"""Command line: ``python3 -m fusion_billing.rating price [--examples]``.

``price`` reads a plan and a usage summary as JSON on stdin and prints the
fees as JSON. ``price --examples`` checks spec-written pricing examples and
prints a plain report. Exit codes: 0 success, 1 an example mismatched,
2 unusable input (a one-line ``{"error": ...}`` on stderr, never a traceback).
"""

from __future__ import annotations

import json
import sys
from typing import Sequence, TextIO

from .pricing import PricingInputError, check_examples, loads_decimal_json, price_plan

USAGE = "usage: python3 -m fusion_billing.rating price [--examples] < request.json"

EXIT_OK = 0
EXIT_MISMATCH = 1
EXIT_BAD_INPUT = 2


def _fail(message: str, stderr: TextIO) -> int:
    stderr.write(json.dumps({"error": message}) + "\n")
    return EXIT_BAD_INPUT


def _run_examples(text: str, stdout: TextIO) -> int:
    outcomes = check_examples(loads_decimal_json(text))
    failures = [outcome for outcome in outcomes if not outcome.passed]
    for outcome in outcomes:
        stdout.write(f"{'ok  ' if outcome.passed else 'FAIL'} {outcome.where}: {outcome.message}\n")
    stdout.write(f"{len(outcomes)} examples, {len(failures)} failed\n")
    return EXIT_MISMATCH if failures else EXIT_OK


def main(argv: Sequence[str] | None = None, stdin: TextIO | None = None, stdout: TextIO | None = None, stderr: TextIO | None = None) -> int:
    arguments = list(sys.argv[1:] if argv is None else argv)
    stdin = stdin or sys.stdin
    stdout = stdout or sys.stdout
    stderr = stderr or sys.stderr

    if not arguments or arguments[0] != "price" or arguments[1:] not in ([], ["--examples"]):
        return _fail(USAGE, stderr)
    try:
        text = stdin.read()
        if arguments[1:] == ["--examples"]:
            return _run_examples(text, stdout)
        result = price_plan(loads_decimal_json(text))
    except PricingInputError as error:
        return _fail(str(error), stderr)
    except Exception as error:  # pylint: disable=broad-exception-caught  # the contract is one JSON line, never a traceback
        return _fail(f"internal error: {type(error).__name__}: {error}", stderr)
    stdout.write(json.dumps(result, indent=2) + "\n")
    return EXIT_OK


if __name__ == "__main__":
    sys.exit(main())

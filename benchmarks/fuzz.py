"""A longer fuzz session than the test suite's: the same properties, more inputs.

    python benchmarks/fuzz.py --examples 2000          # every property, 2000 inputs each
    python benchmarks/fuzz.py --examples 500 --seed 7  # another deterministic sequence

Prints, per property, how many inputs were tried and the first failure (hypothesis
shrinks it to a minimal reproducer). Exit code 1 when a property failed.
"""

from __future__ import annotations

import argparse
import sys
import traceback
from pathlib import Path

from hypothesis import HealthCheck, given, seed, settings

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from tests.unit import test_fuzz  # noqa: E402
from tests.unit.fuzz_strategies import (  # noqa: E402
    mutated_samples,
    personal_documents,
    random_bytes,
)

PROPERTIES = {
    "mutated samples": (
        mutated_samples(),
        test_fuzz.test_mutated_samples_end_in_a_result_or_a_typed_error,
    ),
    "random bytes": (random_bytes, test_fuzz.test_random_bytes_end_in_a_result_or_a_typed_error),
    "privacy": (
        personal_documents(),
        test_fuzz.test_names_of_natural_persons_never_reach_an_output,
    ),
}


def run(name: str, examples: int, run_seed: int) -> bool:
    strategy, wrapped = PROPERTIES[name]
    check = wrapped.hypothesis.inner_test
    tried = 0

    def counted(value: object) -> None:
        nonlocal tried
        tried += 1
        check(value)

    test = seed(run_seed)(
        settings(
            max_examples=examples,
            deadline=None,
            database=None,
            suppress_health_check=list(HealthCheck),
        )(given(strategy)(counted))
    )
    try:
        test()
    except Exception:
        print(f"{name}: FAILED after {tried} inputs")
        traceback.print_exc(limit=6)
        return False
    print(f"{name}: {tried} inputs, no failure")
    return True


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--examples", type=int, default=1000, metavar="N")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--only", choices=sorted(PROPERTIES), action="append")
    args = parser.parse_args(argv)
    names = args.only or list(PROPERTIES)
    results = [run(name, args.examples, args.seed) for name in names]
    return 0 if all(results) else 1


if __name__ == "__main__":
    sys.exit(main())

"""Every case of the hostile-input suite (:mod:`tests.hostile.cases`): the expected one-line
message and exit code, no traceback, no earlier output lost."""

from __future__ import annotations

import pytest

from .cases import CASES, Base, run_case


@pytest.fixture(scope="module")
def base(tmp_path_factory) -> Base:
    return Base(tmp_path_factory.mktemp("hostile-base"))


@pytest.mark.parametrize("case", CASES, ids=[case.name for case in CASES])
def test_case(case, base, tmp_path):
    outcome = run_case(case, tmp_path / case.name, base)
    if outcome.skipped:
        pytest.skip(outcome.skipped)
    assert not outcome.traceback, f"traceback; last line: {outcome.last_line}"
    assert not outcome.lost, "an earlier output was changed"
    assert outcome.passed, f"{case.name}: expected /{case.message}/ (exit {case.exit_code}), " \
                           f"got: {outcome.last_line}"


def test_the_suite_is_large_and_its_names_unique():
    names = [case.name for case in CASES]
    assert len(names) == len(set(names)) and len(names) >= 60

"""The shipped customer match defaults are what `mdm match train` learns on the demo estate
(bench/defaults.py), and the demo's queue is what a steward should meet first."""

import asyncio

from bench.core import fresh_database
from bench.defaults import differences, train_on_demo


def test_the_shipped_customer_defaults_are_what_training_on_the_demo_gives(tmp_path):
    with fresh_database("sqlite", tmp_path) as url:  # the demo on the embedded default, as `mdm demo` loads it
        found, queues = asyncio.run(train_on_demo(url, ("customer",)))
    spec, report = found["customer"]
    assert "EM:" in report
    assert "converged" in report
    assert differences("customer", spec) == []  # every level's weight within half a bit of the shipped one
    by_domain = {q.domain: q for q in queues}
    customers, employees = by_domain["customer"], by_domain["employee"]
    # planted duplicates are found: most linked, the rest at the head of a queue they fill
    assert customers.linked + customers.queued >= 0.95 * customers.planted
    assert customers.planted_in_queue >= customers.pairs / 2
    assert employees.linked == employees.planted
    assert employees.pairs <= 10  # namesakes do not flood the queue

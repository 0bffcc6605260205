"""SharedReads: inside ``one_read()`` every unit of work is the one shared read (one transaction,
each fault read once, no commit); outside, each is its own."""

from __future__ import annotations

from typing import Any

import pytest

from faultdesk.services.desk import SharedReads


class Faults:
    def __init__(self) -> None:
        self.reads: list[str] = []

    def by_number(self, number: str) -> str:
        self.reads.append(number)
        return f"fault {number}"

    def tally(self) -> dict[str, int]:
        return {"registered": 1}


class Work:
    opened = 0

    def __init__(self) -> None:
        Work.opened += 1
        self.faults = Faults()
        self.closed = self.committed = False

    def __enter__(self) -> Any:
        return self

    def __exit__(self, *_: object) -> None:
        self.closed = True

    def commit(self) -> None:
        self.committed = True


@pytest.fixture(autouse=True)
def _fresh() -> None:
    Work.opened = 0


def test_inside_one_read_every_service_shares_one_unit_of_work_and_reads_a_fault_once():
    reads = SharedReads(Work)
    with reads.one_read():
        with reads() as a:
            assert a.faults.by_number("261202-01-001") == "fault 261202-01-001"
        with reads() as b:  # the next service: the same transaction, the fault not read again
            b.faults.by_number("261202-01-001")
            b.faults.by_number("261202-01-002")
            assert b.faults.tally() == {"registered": 1}  # everything else is the store's own
        with reads.one_read(), reads() as c:  # nested: still the one read
            c.faults.by_number("261202-01-002")
        assert Work.opened == 1
        assert a._uow.faults.reads == ["261202-01-001", "261202-01-002"]
        assert not a._uow.closed  # a service's exit does not close it
        with pytest.raises(RuntimeError), reads() as d:
            d.commit()
    assert a._uow.closed and not a._uow.committed


def test_outside_one_read_each_unit_of_work_is_its_own():
    reads = SharedReads(Work)
    with reads() as a:
        a.faults.by_number("261202-01-001")
        a.commit()
    with reads() as b:
        b.faults.by_number("261202-01-001")
    assert Work.opened == 2 and a.committed and a is not b

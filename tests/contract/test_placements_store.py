"""The EventLog contract for placement sessions and item exposure."""

from __future__ import annotations

from dataclasses import replace

import pytest

from levelwise.app.ports import StoredPlacement
from levelwise.errors import StoreError

ROW = StoredPlacement(
    session_id="0123abcd",
    learner="ana",
    program_version=1,
    status="open",
    state='{"version": 1}',
    created_at="2026-01-01T00:00:00Z",
    updated_at="2026-01-01T00:00:00Z",
)


def test_an_unknown_session_is_none(event_log, tenant):
    with event_log.read(tenant) as s:
        assert s.placement("nope") is None
        assert s.placement_exposure() is None


def test_a_session_round_trips(event_log, tenant):
    with event_log.session(tenant) as s:
        s.put_placement(ROW)
    with event_log.read(tenant) as s:
        assert s.placement(ROW.session_id) == ROW


def test_put_replaces_a_session_and_keeps_its_start(event_log, tenant):
    with event_log.session(tenant) as s:
        s.put_placement(ROW)
    later = replace(
        ROW,
        status="finished",
        state='{"version": 1, "x": 2}',
        created_at="2026-02-02T00:00:00Z",
        updated_at="2026-02-02T00:00:00Z",
    )
    with event_log.session(tenant) as s:
        s.put_placement(later)
    with event_log.read(tenant) as s:
        assert s.placement(ROW.session_id) == replace(later, created_at=ROW.created_at)


def test_sessions_and_exposure_belong_to_one_tenant(event_log, tenant, other_tenant):
    with event_log.session(tenant) as s:
        s.put_placement(ROW)
        s.put_placement_exposure('{"sessions": 1}')
    with event_log.read(other_tenant) as s:
        assert s.placement(ROW.session_id) is None
        assert s.placement_exposure() is None


def test_exposure_is_replaced(event_log, tenant):
    with event_log.session(tenant) as s:
        s.put_placement_exposure('{"sessions": 1}')
    with event_log.session(tenant) as s:
        s.put_placement_exposure('{"sessions": 2}')
    with event_log.read(tenant) as s:
        assert s.placement_exposure() == '{"sessions": 2}'


def test_a_failed_transaction_stores_no_session(event_log, tenant):
    with pytest.raises(RuntimeError), event_log.session(tenant) as s:
        s.put_placement(ROW)
        s.put_placement_exposure('{"sessions": 1}')
        raise RuntimeError
    with event_log.read(tenant) as s:
        assert s.placement(ROW.session_id) is None
        assert s.placement_exposure() is None


@pytest.mark.parametrize("write", ["put_placement", "put_placement_exposure"])
def test_read_sessions_refuse_placement_writes(event_log, tenant, write):
    arg = ROW if write == "put_placement" else "{}"
    with pytest.raises(StoreError), event_log.read(tenant) as s:
        getattr(s, write)(arg)

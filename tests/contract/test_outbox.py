"""The outbox contract: filled in the ingest transaction, deduplicated, queued."""

from __future__ import annotations

from contextlib import contextmanager

import pytest

from levelwise.app.engine import Levelwise
from levelwise.app.notify.guard import UrlGuard
from levelwise.app.notify.ports import Attempt
from levelwise.errors import LearnerNotFoundError
from tests.support.factories import SMALL_PROGRAM, homework
from tests.support.notifications import MovingClock, level_up


@pytest.fixture
def clock():
    return MovingClock()


@pytest.fixture
def lw(event_log, clock, tenant):
    # The endpoints below are never sent to; the operator allows their host.
    guard = UrlGuard(allow_hosts=["127.0.0.1"])
    engine = Levelwise(event_log, clock, webhook_guard=guard)
    engine.put_program(tenant, SMALL_PROGRAM)
    return engine


def _outbox(lw, tenant, **kw):
    return lw.log.outbox.notifications(tenant, **kw)


def test_a_level_up_adds_one_notification(lw, tenant):
    events = level_up()
    lw.ingest(tenant, events)
    rows = _outbox(lw, tenant)
    assert [(r.kind, r.learner, r.event_id) for r in rows] == [
        ("level_reached", "ana", events[-1]["id"])
    ]
    row = rows[0]
    assert row.id.startswith("msg_") and len(row.id) == 36
    assert row.position > 0 and row.created_at == "2026-01-05T12:00:00.000000Z"
    assert '"type":"level_reached"' in row.body and '"level":"a1"' in row.body
    assert lw.log.outbox.last_position(tenant) == row.position


def test_only_notifiable_kinds_enter_the_outbox(lw, tenant):
    lw.ingest(tenant, [homework(10)])  # XP only
    assert _outbox(lw, tenant) == []


def test_refolds_and_replays_add_nothing(lw, tenant):
    events = level_up()
    lw.ingest(tenant, events)
    first = _outbox(lw, tenant)
    lw.ingest(tenant, events)  # duplicates
    # A late event before the level-up re-folds the learner from the start.
    lw.ingest(tenant, [homework(5, minutes=-30)])
    lw.replay(tenant)
    lw.put_program(tenant, SMALL_PROGRAM.replace("Tiny English", "Tiny English 2"))
    assert _outbox(lw, tenant) == first


def test_a_different_decision_is_a_new_notification(lw, tenant):
    events = level_up()
    lw.ingest(tenant, events)
    (before,) = _outbox(lw, tenant)
    # With a lower XP gate, a1 is reached one event earlier: another decision.
    lw.put_program(tenant, SMALL_PROGRAM.replace("xp >= 100", "xp >= 60"))
    rows = _outbox(lw, tenant)
    assert [r.id for r in rows][0] == before.id and len(rows) == 2
    assert rows[1].event_id == events[1]["id"] and rows[1].program_version == 2


class _FailingAfterOutbox:
    """Wraps a log: the session fails right after writing its notifications."""

    def __init__(self, inner):
        self.inner = inner

    @contextmanager
    def session(self, tenant):
        with self.inner.session(tenant) as s:
            real = s.outbox.add_notifications

            def boom(rows):
                real(rows)
                raise RuntimeError("disk full")

            s.outbox.add_notifications = boom
            yield s

    def __getattr__(self, name):
        return getattr(self.inner, name)


def test_a_failed_ingest_leaves_no_notification(lw, event_log, clock, tenant):
    lw.webhooks.add(tenant, "http://127.0.0.1:9/hook")
    broken = Levelwise(_FailingAfterOutbox(event_log), clock)
    with pytest.raises(RuntimeError):
        broken.ingest(tenant, level_up())
    assert _outbox(lw, tenant) == []
    assert event_log.outbox.claim_due("9999", "9999", 10, tenant) == []
    with pytest.raises(LearnerNotFoundError):
        lw.learner(tenant, "ana")


def test_deliveries_are_claimed_retried_settled_and_requeued(lw, tenant, clock):
    store = lw.log.outbox
    endpoint = lw.webhooks.add(tenant, "http://127.0.0.1:9/hook")
    lw.ingest(tenant, level_up())
    (row,) = _outbox(lw, tenant)
    now = "2026-01-05T12:00:00.000000Z"
    lease = "2026-01-05T12:01:00.000000Z"
    (claimed,) = store.claim_due(now, lease, 10, tenant)
    assert (claimed.tenant, claimed.notification_id, claimed.endpoint_id) == (
        tenant,
        row.id,
        endpoint.id,
    )
    assert claimed.body == row.body and claimed.secret == endpoint.secret
    assert claimed.attempts == 0
    # Claimed: hidden until the lease ends.
    assert store.claim_due(now, lease, 10, tenant) == []
    fail = Attempt(tenant, row.id, endpoint.id, 1, now, 500, "http_status", 3)
    retry_at = "2026-01-05T12:00:05.000000Z"
    store.record(fail, retry_at)
    assert store.claim_due("2026-01-05T12:00:04.000000Z", lease, 10, tenant) == []
    (again,) = store.claim_due(retry_at, lease, 10, tenant)
    assert again.attempts == 1
    ok = Attempt(tenant, row.id, endpoint.id, 2, retry_at, 204, "", 2)
    store.record(ok, None)
    assert store.claim_due("9999", "9999", 10, tenant) == []
    assert [a.attempt for a in lw.webhooks.attempts(tenant, endpoint.id)] == [2, 1]
    clock.advance(60)
    assert lw.webhooks.replay(tenant, ids=[row.id]) == 1
    (replayed,) = store.claim_due("2026-01-05T12:01:00.000000Z", "9999", 10, tenant)
    assert replayed.notification_id == row.id and replayed.attempts == 0


def test_a_delivery_that_runs_out_of_retries_fails(lw, tenant):
    store = lw.log.outbox
    endpoint = lw.webhooks.add(tenant, "http://127.0.0.1:9/hook")
    lw.ingest(tenant, level_up())
    (row,) = _outbox(lw, tenant)
    store.claim_due("9999", "9999", 10, tenant)
    gave_up = Attempt(tenant, row.id, endpoint.id, 7, "x", None, "connect", 1)
    store.record(gave_up, None)
    assert store.claim_due("9999", "9999", 10, tenant) == []


def test_endpoints_get_only_their_kinds(lw, tenant):
    lw.webhooks.add(tenant, "http://127.0.0.1:9/lost", ["level_lost"])
    takes = lw.webhooks.add(tenant, "http://127.0.0.1:9/up", ["level_reached"])
    lw.ingest(tenant, level_up())
    claimed = lw.log.outbox.claim_due("9999", "9999", 10, tenant)
    assert [d.endpoint_id for d in claimed] == [takes.id]


def test_replay_by_time_range_and_endpoint(lw, tenant, clock):
    first = lw.webhooks.add(tenant, "http://127.0.0.1:9/a")
    second = lw.webhooks.add(tenant, "http://127.0.0.1:9/b")
    lw.ingest(tenant, level_up("ana"))
    clock.advance(3600)
    lw.ingest(tenant, level_up("bob"))
    store = lw.log.outbox
    sent = store.claim_due("9999", "9999-12", 10, tenant)  # leased past "9999"
    assert len(sent) == 4
    later = "2026-01-05T12:30:00Z"
    assert lw.webhooks.replay(tenant, since=later, endpoint_id=second.id) == 1
    (due,) = store.claim_due("9999", "9999", 10, tenant)
    assert due.endpoint_id == second.id
    assert _outbox(lw, tenant, learner="bob")[0].id == due.notification_id
    assert lw.webhooks.replay(tenant, since="2026-01-05T00:00:00Z") == 4
    assert lw.webhooks.replay(tenant, since="2026-01-05T12:00:00Z", until=later) == 2
    assert first.id != second.id


def test_removing_an_endpoint_drops_its_queue(lw, tenant):
    endpoint = lw.webhooks.add(tenant, "http://127.0.0.1:9/hook")
    lw.ingest(tenant, level_up())
    lw.webhooks.remove(tenant, endpoint.id)
    assert lw.webhooks.endpoints(tenant) == []
    assert lw.log.outbox.claim_due("9999", "9999", 10, tenant) == []


def test_the_outbox_belongs_to_one_tenant(lw, tenant, other_tenant):
    lw.webhooks.add(tenant, "http://127.0.0.1:9/hook")
    lw.ingest(tenant, level_up())
    assert _outbox(lw, other_tenant) == []
    assert lw.webhooks.endpoints(other_tenant) == []
    assert lw.log.outbox.last_position(other_tenant) == 0
    assert lw.webhooks.replay(other_tenant, since="2000-01-01T00:00:00Z") == 0


def test_streams_filter_by_learner_and_position(lw, tenant):
    lw.ingest(tenant, level_up("ana") + level_up("bob", minutes=10))
    rows = _outbox(lw, tenant)
    assert [r.learner for r in rows] == ["ana", "bob"]
    assert [r.learner for r in _outbox(lw, tenant, learner="bob")] == ["bob"]
    assert _outbox(lw, tenant, after=rows[0].position) == rows[1:]
    assert _outbox(lw, tenant, limit=1) == rows[:1]

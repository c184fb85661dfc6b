"""The shared rate limiter keeps every one-second window within the limit."""

import threading
import time

import pytest
from django.db import connections

from onboarding.services import ratelimit


@pytest.mark.django_db(transaction=True)
def test_concurrent_callers_never_put_six_calls_in_one_second(settings):
    settings.CHATAPP_RATE_LIMIT = 5
    settings.CHATAPP_MAX_SLOT_WAIT = 30
    sent, errors = [], []
    lock = threading.Lock()

    def caller():
        try:
            for _ in range(6):
                try:
                    ratelimit.wait_for_slot("TestAction")
                except ratelimit.SlotMissed:
                    continue
                with lock:
                    sent.append(time.monotonic())
        except Exception as error:
            errors.append(error)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=caller) for _ in range(3)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert errors == []
    # A busy machine may make a caller miss its turn; most calls still go.
    assert len(sent) >= 10
    sent.sort()
    spans = [sent[i + 5] - sent[i] for i in range(len(sent) - 5)]
    assert min(spans) >= 1.0, f"six calls within {min(spans):.3f} s"


@pytest.mark.django_db
def test_a_turn_too_far_away_is_refused_without_reserving(settings):
    settings.CHATAPP_RATE_LIMIT = 1
    settings.CHATAPP_MAX_SLOT_WAIT = 0.5
    ratelimit.reserve_slot("TestAction", per_second=1, max_wait=5)

    with pytest.raises(ratelimit.SlotTooFar) as refused:
        ratelimit.wait_for_slot("TestAction")

    assert refused.value.wait_seconds > 0.5
    # Nothing was reserved: the next slot is still about 1.1 s away, not 2.2.
    assert ratelimit.reserve_slot("TestAction", per_second=1, max_wait=5) < 1.2


@pytest.mark.django_db
def test_throttling_holds_every_caller_back(settings):
    ratelimit.hold_back("TestAction", seconds=1.0)

    wait = ratelimit.reserve_slot("TestAction", per_second=5, max_wait=5)

    assert 0.9 < wait <= 1.0


def test_retry_delays_grow_exponentially_with_full_jitter(settings):
    settings.CHATAPP_RETRY_BASE_DELAY = 10
    settings.CHATAPP_RETRY_MAX_DELAY = 1200
    from onboarding.services.processing import retry_delay

    for attempt, ceiling in [(1, 10), (2, 20), (5, 160), (8, 1200), (12, 1200)]:
        delays = [retry_delay(attempt) for _ in range(400)]
        assert 0 <= min(delays) < ceiling * 0.1
        assert ceiling * 0.9 < max(delays) <= ceiling

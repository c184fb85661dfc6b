"""Calls per second per action, shared by every worker through the database.

Each call reserves the next free slot of its action and moves the slot on by
the minimum spacing, so calls from all processes and machines stay evenly
apart. The database's clock decides, so workers on machines whose clocks
disagree still agree on the schedule.
"""

import time
from datetime import datetime, timedelta

from django.conf import settings
from django.db import transaction
from django.db.models.functions import Now

from onboarding.models import RateLimit

# Spacing calls 10% further apart than the limit requires leaves room for a
# call that leaves a little late: no window of one second then holds more
# than the limit at Alibaba's end.
SPACING_MARGIN = 1.10


# A call may leave at most this late after its slot. Later than that, it could
# share a one-second window with the calls of the next slots, so it is not made.
LATE_TOLERANCE_SECONDS = 0.05


class NoSlot(Exception):
    """No turn to call now: the next one is too far, or this one was missed."""

    def __init__(self, wait_seconds: float, reason: str):
        super().__init__(reason)
        self.wait_seconds = wait_seconds


class SlotTooFar(NoSlot):
    def __init__(self, wait_seconds: float):
        super().__init__(
            wait_seconds, f"the next free slot is {wait_seconds:.1f} seconds away"
        )


class SlotMissed(NoSlot):
    def __init__(self, late_seconds: float):
        super().__init__(0.0, f"the slot was missed by {late_seconds:.3f} seconds")


def spacing(per_second: int) -> timedelta:
    return timedelta(seconds=SPACING_MARGIN / per_second)


def _next_free(action: str) -> tuple[datetime, datetime]:
    """Lock the action's row; return its next free slot and the database's now.

    Call inside a transaction, which holds the lock until it ends.
    """
    row = RateLimit.objects.select_for_update().annotate(db_now=Now()).get(pk=action)
    return max(row.next_slot_at, row.db_now), row.db_now


def reserve_slot(action: str, *, per_second: int, max_wait: float) -> float:
    """Reserve the next moment to call `action`; return the seconds to wait.

    Raise SlotTooFar, reserving nothing, when that moment is more than
    `max_wait` seconds away.
    """
    RateLimit.objects.get_or_create(action=action, defaults={"next_slot_at": Now()})
    with transaction.atomic():
        slot, now = _next_free(action)
        wait = (slot - now).total_seconds()
        if wait > max_wait:
            raise SlotTooFar(wait)
        RateLimit.objects.filter(pk=action).update(
            next_slot_at=slot + spacing(per_second)
        )
    return wait


def wait_for_slot(action: str) -> None:
    """Block until this process may call `action`, within the shared limit.

    Call it right before the call, with nothing in between: raise SlotTooFar
    when the turn is too far away and SlotMissed when it was missed (say, the
    reservation itself waited for a lock), and then make no call.
    """
    asked = time.monotonic()
    wait = reserve_slot(
        action,
        per_second=settings.CHATAPP_RATE_LIMIT,
        max_wait=settings.CHATAPP_MAX_SLOT_WAIT,
    )
    # The database measured the wait from when the reservation started.
    due = asked + wait
    remaining = due - time.monotonic()
    if remaining > 0:
        time.sleep(remaining)
    late = time.monotonic() - due
    if late > LATE_TOLERANCE_SECONDS:
        raise SlotMissed(late)


def hold_back(action: str, seconds: float) -> None:
    """Keep every worker from calling `action` for a while after throttling."""
    RateLimit.objects.get_or_create(action=action, defaults={"next_slot_at": Now()})
    with transaction.atomic():
        slot, _ = _next_free(action)
        RateLimit.objects.filter(pk=action).update(
            next_slot_at=slot + timedelta(seconds=seconds)
        )

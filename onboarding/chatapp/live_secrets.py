"""Secret values the client holds, so that text bound for people can drop them.

Patterns catch a secret where something names it (``SecurityToken=...``); these
values catch it anywhere else, such as a token quoted in an exception. The
client adds its own AccessKey secret and every STS secret and token it
receives; a log filter reads them back.
"""

import threading
from collections import OrderedDict

# Upload authorizations are cached per space ID and replaced shortly before
# they expire: the most recent few hundred values cover those still in use,
# and the bound keeps the check of each log line cheap.
MAX_REMEMBERED = 512
# Shorter values would match ordinary words; no real key or token is so short.
MIN_LENGTH = 8

_values: OrderedDict[str, None] = OrderedDict()
_lock = threading.Lock()


def remember(*values: object) -> None:
    """Add secret values; anything that is not a long enough string is ignored."""
    with _lock:
        for value in values:
            if isinstance(value, str) and len(value) >= MIN_LENGTH:
                _values[value] = None
                _values.move_to_end(value)
        while len(_values) > MAX_REMEMBERED:
            _values.popitem(last=False)


def known() -> tuple[str, ...]:
    """The remembered values, newest last."""
    with _lock:
        return tuple(_values)

"""An entry that lands while a follower starts is delivered, by its first look or by a later one.

``Follower.start`` checks the channel (one read), then reads it again for its size and time. An
append between the two reads was once adopted as read but parsed from the first read only: every
later look found the file unchanged, and a wait started at that moment never returned (found by
running the README's Python API block in a loop, a wait in one thread and an answer in another).
"""

from __future__ import annotations

from collections.abc import Callable

import pytest

from collab.channel import Channel
from collab.ledger import reading
from collab.live.follower import Follower
from tests.ledger.test_hand_writers import by_hand


def _by_collab(channel: Channel) -> None:
    channel.answer("landed between the two reads", author="site-b")


def _by_hand(channel: Channel) -> None:
    by_hand(channel.path, "\n### Answer 1 from site-b\nlanded between the two reads\n")


@pytest.mark.parametrize("write", [_by_collab, _by_hand], ids=["collab", "hand"])
@pytest.mark.parametrize("hold_s", [0.0, None], ids=["hold-0", "default-hold"])
def test_an_append_between_the_check_and_the_read_is_delivered(
    channel: Channel, monkeypatch: pytest.MonkeyPatch, write: Callable[[Channel], None], hold_s: float | None
) -> None:
    real_check = reading.check

    def check_then_append(*args: object, **kwargs: object) -> reading.Verdict:
        verdict = real_check(*args, **kwargs)  # type: ignore[arg-type]
        monkeypatch.setattr(reading, "check", real_check)
        write(channel)
        return verdict

    monkeypatch.setattr(reading, "check", check_then_append)
    follower = Follower(channel.path, 0, 0.0) if hold_s == 0.0 else Follower(channel.path, 0, 0.25, 0.005)
    delivered = list(follower.start().entries)
    for _look in range(3):  # the looks a watcher makes: the armed one, then settled ones
        delivered += follower.refresh(settled=True).entries
    assert [e.body for e in delivered] == ["landed between the two reads"]

"""The follower reads on from a little before its checkpoint: that place is never inside a UTF-8
sequence, whatever text precedes it (an exchange found an entry held back for a whole wait, the
follower having read from the second byte of a '±')."""

from __future__ import annotations

import pytest

from collab.channel import Channel
from collab.live.follower import Follower
from tests.ledger.test_hand_writers import by_hand


@pytest.mark.parametrize("pad", [0, 1])
def test_an_entry_after_multibyte_text_is_delivered_and_nothing_reads_as_damage(channel: Channel, pad: int) -> None:
    by_hand(channel.path, "\n### Answer 1 from site-b\n" + "±" * 400 + "x" * pad + "\n")
    channel.answer("the last entry collab wrote", author="site-a")  # the checkpoint: where it starts
    follower = Follower(channel.path, 2, 0.0)
    first = follower.start()
    assert first.entries == () and first.notices == ()
    by_hand(channel.path, "\n### Answer 3 from site-b\nwritten by hand after\n")
    update = follower.refresh(settled=True)
    assert [e.body for e in update.entries] == ["written by hand after"] and update.notices == ()

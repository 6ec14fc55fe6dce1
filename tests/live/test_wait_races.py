"""A wait that starts while the other side answers, raced for real with threads, many times over.

Each round, one seat starts ``wait`` in a thread while the other answers from the main thread, so
the answer lands anywhere in the wait's start: before its first read, between its reads, while its
watch is armed, or after. Every wait must return that one answer; a wait that misses it blocks for
its whole timeout and the round fails (a window between the follower's two first reads once lost
the answer, 1 run in about 60 under load).
"""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor

import pytest

from collab.channel import Channel
from tests.ledger.test_hand_writers import by_hand

#: Seconds a round's wait may take: it returns at once when it works, and never when it misses.
WAIT_S = 20.0


@pytest.mark.parametrize("by", ["collab", "hand"])
@pytest.mark.parametrize("rounds", [40, pytest.param(400, marks=pytest.mark.stress)])
def test_a_wait_started_while_the_answer_lands_always_returns_it(channel: Channel, rounds: int, by: str) -> None:
    a, b = channel.seat("site-a"), channel.seat("site-b")
    with ThreadPoolExecutor(max_workers=1) as pool:
        for round_number in range(1, rounds + 1):
            waited = pool.submit(a.wait, timeout=WAIT_S, settle=0)
            if by == "collab":
                b.answer(f"answer of round {round_number}")
            else:
                by_hand(channel.path, f"\n### Answer {round_number} from site-b\nanswer of round {round_number}\n")
            bodies = [e.body for e in waited.result(timeout=WAIT_S + 10).entries]  # raises what the wait raised
            assert bodies == [f"answer of round {round_number}"], f"round {round_number}: the wait returned {bodies}"

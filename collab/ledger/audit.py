"""``collab verify``: whether a channel's header and every accepted entry are as first written
(contract section 7, point 6).

Cost: the file is read whole and its accepted bytes digested (O(size of the file)), and what
follows them is parsed; a failed check also diffs what changed.
"""

from __future__ import annotations

import os
from pathlib import Path

from collab.ledger import checks, journal, reading


def verify(channel_path: Path) -> checks.Report:
    """The report of checking the channel against its ledger, naming what changed.

    A deleted channel whose ledger remains, a ledger that is missing, damaged or foreign, and
    bytes that cannot be read at the end of the file are failures too.

    Raises:
        ChannelNotFound, ChannelRefused: neither the channel nor its ledger is there, or unsafe.
    """
    if not os.path.lexists(channel_path) and journal.load(channel_path) is not None:
        return checks.Report(False, (checks.DELETED,))
    found = reading.verdict(channel_path)
    if found.trouble is not None:
        return checks.Report(False, (checks.Problem("ledger", found.trouble.what, found.trouble.detail),))
    problems = found.report.problems if found.report is not None else ()
    if found.damage is not None:
        problems += (checks.Problem("the end of the file", "unreadable", found.damage.warning()),)
    return checks.Report(not problems, problems)

"""A model of the polling readers collab is compared with: check the file every INTERVAL seconds.

``python bench/poller.py PATH INTERVAL`` stats PATH every INTERVAL seconds (the original /collab
command checks the mtime every 5 s; the session-bridge plugin polls every 3 s; the fastest peer tails
every 50 ms). When size or mtime changed, it reads the new bytes and prints one line per new entry
heading, as a reader would that then shows it. Prints ``ready`` once it has the starting size.
Stops on SIGTERM.
"""

from __future__ import annotations

import os
import re
import sys
import time

HEADING = re.compile(rb"^### ((?:Answer|Question) \d+)", re.MULTILINE)


def main(path: str, interval: float) -> None:
    offset = os.stat(path).st_size
    last = (offset, os.stat(path).st_mtime_ns)
    print("ready", flush=True)
    while True:
        time.sleep(interval)
        st = os.stat(path)
        if (st.st_size, st.st_mtime_ns) == last:
            continue
        last = (st.st_size, st.st_mtime_ns)
        with open(path, "rb") as handle:
            handle.seek(offset)
            new = handle.read()
        offset += len(new)
        for match in HEADING.finditer(new):
            sys.stdout.write(match.group(1).decode() + "\n")
        sys.stdout.flush()


if __name__ == "__main__":
    main(sys.argv[1], float(sys.argv[2]))

"""Push: the Claude Code hook that wakes a session when another session writes (contract section 8).

The plugin runs ``collab hook`` for the Claude Code hook events below (``plugin/hooks/hooks.json``,
made by :mod:`collab.hooks.hookconfig`, which cites the documentation), with the hook input on stdin:
JSON with ``session_id``, ``cwd`` and ``hook_event_name`` (hooks reference, "Common input fields",
https://code.claude.com/docs/en/hooks). :func:`run` never writes to stdout: a SessionStart hook's
stdout would reach the model.

- ``SessionStart``: append ``export COLLAB_SESSION=<session_id>`` to the file named by
  ``CLAUDE_ENV_FILE`` (hooks reference, "Persist environment variables"), so every later collab
  command of the session carries the session's key: its seat (contract 6.1) and the hook's agree,
  and two sessions in one directory hold two seats. An explicit ``COLLAB_SESSION`` in the
  environment is left alone.
- ``Stop`` (``asyncRewake``, run in the background each time the session ends a turn): find the
  open channels where this session's seat sits (:func:`collab.live.seats.holdings`). None: exit 0 at
  once. Otherwise become the session's one sleeper (:class:`collab.hooks.sleeper.Sleeper`), wait with
  turn-aware semantics (:func:`collab.hooks.waitany.wait_any`), move the seat's cursor past what it
  delivers (:func:`collab.live.cursors.take`, so ``collab wait`` and the hook never deliver the same
  entry twice) and exit 2 with the news on stderr (:mod:`collab.hooks.wake`): Claude Code wakes the
  session and shows it to the model. A newer hook of the session, ``SessionEnd``, the agent's
  process exiting, or the timeout end the wait with exit 0 and nothing written. The remote channels
  the session sits in (:mod:`collab.remote.joined`) are waited on beside, one ``ssh`` per host
  (:mod:`collab.hooks.remotes`); the first news ends the other waits.
- ``UserPromptSubmit`` (run in the background): the person sent a prompt, so the session is busy,
  not waiting: its sleeper stops (and with it the session's presence as waiting, contract 6.2).
  News that lands during the turn is delivered by the Stop hook that ends it, at once.
- ``SessionEnd``: remove the session's hook files, which stops its sleeper.

The seat key is the host and the real path of the git top level of ``cwd``, plus the session key
the session's commands carry: ``COLLAB_SESSION`` when set, else the session id once SessionStart
exported it, else Claude Code's own process (:mod:`collab.live.sessions`), which the session's
commands find too.
A channel closed by someone else while the hook waits wakes the session once, with the closing
summary; one the session closed itself does not.
"""

from __future__ import annotations

import json
import os
import shlex
import threading
import time
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any, NamedTuple

from collab.errors import Exit
from collab.hooks import claiming, sleeper, wake
from collab.live import seats
from collab.live.turns import Stop, TurnRule
from collab.live.watch import WatchSettings, changed_paths

if TYPE_CHECKING:
    from collab.hooks import remotes

#: Seconds a new hook waits for an older one of the same session to let go of the session's lock.
HANDOVER_SECONDS = 10.0
#: Largest hook input read from stdin, in bytes (Claude Code's is well under a kilobyte for these events).
MAX_INPUT_BYTES = 1024 * 1024


class Outcome(NamedTuple):
    """What the hook does: exit with ``code``, after writing ``message`` (if any) to stderr."""

    code: int
    message: str = ""


class HookInput(NamedTuple):
    """The fields of Claude Code's hook input that collab reads."""

    event: str
    session_id: str
    cwd: Path


class BadInput(ValueError):
    """The hook input is not what Claude Code sends."""


def parse(raw: bytes) -> HookInput:
    """Read Claude Code's hook input (a JSON object) from ``raw``.

    Raises:
        BadInput: not UTF-8 JSON, not an object, or ``hook_event_name``, ``session_id`` or ``cwd``
            missing or not a string of printable characters (``cwd`` may be absent: then the
            process's own working directory).
    """
    try:
        document = json.loads(raw.decode("utf-8"))
    except (UnicodeDecodeError, ValueError):
        raise BadInput("the hook input is not JSON") from None
    except RecursionError:  # arrays or objects nested deeper than the decoder recurses
        raise BadInput("the hook input is not the JSON Claude Code sends (it is nested too deeply)") from None
    if not isinstance(document, dict):
        raise BadInput("the hook input is not a JSON object")
    event, session, cwd = (document.get(k) for k in ("hook_event_name", "session_id", "cwd"))
    for field, value in (("hook_event_name", event), ("session_id", session)):
        if not _printable(value, 256):
            raise BadInput(f"the hook input has no usable {field}")
    if cwd is not None and not (_printable(cwd, 4096) and os.path.isabs(cwd)):
        raise BadInput("the hook input's cwd is not an absolute path")
    return HookInput(str(event), str(session), Path(cwd) if cwd else Path.cwd())


def _printable(value: Any, limit: int) -> bool:
    return isinstance(value, str) and 0 < len(value) <= limit and value.strip() == value and value.isprintable()


def run(
    raw: bytes,
    *,
    timeout: float,
    environ: Mapping[str, str] | None = None,
    rule: TurnRule | None = None,
    halt: threading.Event | None = None,
) -> Outcome:
    """Run the hook for the input ``raw``; see the module docstring for each event.

    Args:
        raw: the hook input as read from stdin.
        timeout: seconds the Stop hook may sleep before it exits 0 by itself.
        environ: the environment (default ``os.environ``): ``COLLAB_SESSION``, ``CLAUDE_ENV_FILE``.
        rule: when a writer's turn is over by time (default: ``COLLAB_SETTLE`` in ``environ``, else the defaults).
        halt: an event that ends the Stop hook's wait with exit 0 (default: set when the agent's
            process exits, see :func:`collab.hooks.sleeper.on_agent_exit`).

    Returns:
        Exit 0 for nothing to say or malformed input (with one line then), 2 to wake the session.

    Raises:
        CollabError: the state directory or a channel's private files cannot be used safely.
    """
    env = os.environ if environ is None else environ
    try:
        given = parse(raw)
    except BadInput as exc:
        return Outcome(Exit.OK, f"collab: {exc}; nothing to do (this command is run by Claude Code's hooks)")
    if given.event == "SessionStart":
        return _session_start(given, env)
    if given.event == "SessionEnd":
        sleeper.end(given.session_id)
        return Outcome(Exit.OK)
    if given.event == "UserPromptSubmit":
        sleeper.stand_down(given.session_id)
        return Outcome(Exit.OK)
    if given.event == "Stop":
        return _stop(given, env, time.monotonic() + timeout, rule or TurnRule.given(None, env), halt)
    return Outcome(Exit.OK, f"collab: nothing to do for the hook event {given.event}")


def serve_host_wait(
    channel_paths: Sequence[str],
    *,
    timeout: float | None,
    settle: float | None,
    emit: Callable[[dict[str, Any]], None],
) -> None:
    """The host's side of the Stop hook of a session on another machine: :func:`collab.hooks.hostwait.serve`."""
    from collab.hooks import hostwait

    hostwait.serve(channel_paths, timeout=timeout, settle=settle, emit=emit)


def _session_start(given: HookInput, env: Mapping[str, str]) -> Outcome:
    sleeper.sweep()
    target = env.get("CLAUDE_ENV_FILE", "")
    if env.get("COLLAB_SESSION", "").strip() or not target:
        return Outcome(Exit.OK)  # the session's commands already carry a key, or cannot be given one
    try:
        with open(target, "a", encoding="utf-8") as env_file:
            env_file.write(f"export COLLAB_SESSION={shlex.quote(given.session_id)}\n")
    except OSError as exc:
        return Outcome(Exit.ERROR, f"collab: cannot add COLLAB_SESSION to {target}: {exc.strerror}")
    sleeper.mark_exported(given.session_id)
    return Outcome(Exit.OK)


def session_place(given: HookInput, env: Mapping[str, str]) -> seats.Place:
    """This session's place, with the session key its commands carry (see the module docstring)."""
    session = env.get("COLLAB_SESSION", "").strip()
    if not session and sleeper.exported(given.session_id):
        session = given.session_id
    return seats.here(given.cwd, {"COLLAB_SESSION": session} if session else {})


def seat_matcher(given: HookInput, env: Mapping[str, str]) -> Callable[[str], bool]:
    """Which seat keys are this session's (see the module docstring).

    With a session key, a seat of the session in another directory (the session ran collab there)
    is the session's too: the key names the host, any directory, and the session.
    """
    place = session_place(given, env)
    host, tail = place.host, f":{place.session}"
    return lambda key: key.startswith(f"{host}:") and key.endswith(tail)


def _stop(
    given: HookInput, env: Mapping[str, str], deadline: float, rule: TurnRule, halt: threading.Event | None
) -> Outcome:
    from collab.hooks import remotes
    from collab.remote import joined

    matches = seat_matcher(given, env)
    held = {h.channel: h for h in seats.holdings(matches)}
    far = joined.held(matches)
    own_sleeper = sleeper.Sleeper(given.session_id)
    if not (held or far) and not own_sleeper.path.exists():
        return Outcome(Exit.OK)  # nothing to wait on, and no older sleeper of this session to stop
    own_sleeper.announce()  # an older sleeper of this session stops now, whatever happens next
    try:
        if not (held or far):
            return Outcome(Exit.OK)
        if not own_sleeper.acquire(HANDOVER_SECONDS):
            return Outcome(Exit.OK)  # a newer hook of this session took over meanwhile
        if halt is None:
            halt = threading.Event()
            sleeper.on_agent_exit(halt)
        hosts = remotes.HostWaits(far, session_place(given, env), given.cwd.name, deadline, rule)
        return _sleep(list(held.values()), hosts, own_sleeper, deadline, rule, halt)
    finally:
        own_sleeper.close()


def _relay(source: threading.Event, *targets: threading.Event) -> None:
    """Set every one of ``targets`` once ``source`` is set (a daemon thread blocks on it)."""

    def relay() -> None:
        source.wait()
        for target in targets:
            target.set()

    threading.Thread(target=relay, name="collab-relay", daemon=True).start()


def _sleep(
    held: list[seats.Holding],
    hosts: remotes.HostWaits,
    own_sleeper: sleeper.Sleeper,
    deadline: float,
    rule: TurnRule,
    halt: threading.Event,
) -> Outcome:
    """Wait here and on every host until there is news to deliver and deliver it (exit 2), or until
    the wait ends (exit 0). The first news ends the other waits; the hosts' are gathered then, as
    what a host claimed is delivered by no one else."""
    local_stop, idle_stop = threading.Event(), threading.Event()
    _relay(halt, local_stop, idle_stop)
    _relay(hosts.news_arrived, local_stop, idle_stop)
    _relay(hosts.all_done, idle_stop)
    hosts.start()
    news: list[wake.News] = []
    try:
        if held:
            news = claiming.wait_news(
                held,
                rule=rule,
                deadline=deadline,
                halt=local_stop,
                extra=[own_sleeper.path],
                superseded=lambda: not own_sleeper.current(),
                settings=WatchSettings.from_env(),
            )
        else:
            _idle(own_sleeper, Stop(deadline, idle_stop))
    finally:
        news += hosts.stop()
    return Outcome(Exit.WAKE, wake.message(news)) if news else Outcome(Exit.OK)


def _idle(own_sleeper: sleeper.Sleeper, stop: Stop) -> None:
    """Wait for the hosts alone: until ``stop`` is over or a newer hook of the session takes over."""
    target = os.path.join(os.path.realpath(own_sleeper.path.parent), own_sleeper.path.name)
    for _look in changed_paths([target], WatchSettings.from_env(), stop):
        if not own_sleeper.current():
            return

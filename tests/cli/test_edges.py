"""Values checked at the edge (contract section 7, point 9): bad values are usage errors, one line.

Each case runs the installed ``collab`` as a fresh process, since exit codes, stderr and hangs are
what an agent sees; a few go through ``CliRunner`` to show it behaves the same.
"""

from __future__ import annotations

import json
import subprocess

import pytest
from typer.testing import CliRunner

from collab import config
from collab.channel import Channel
from collab.cli import app
from collab.errors import UsageError
from collab.live.watch import WatchSettings
from tests.conftest import collab_bin

pytestmark = pytest.mark.timeout(120)


def run(args: list[str | bytes], env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    # A hang (the old `--timeout inf`) fails the test through TimeoutExpired rather than stalling it.
    return subprocess.run([collab_bin(), *args], env=env, capture_output=True, text=True, timeout=20)


def assert_usage_line(result: subprocess.CompletedProcess[str], *words: str) -> None:
    """Exit 2, nothing on stdout, and one ``collab: ...`` line on stderr holding ``words``."""
    assert (result.returncode, result.stdout) == (2, ""), result.stderr
    assert result.stderr.startswith("collab: ") and result.stderr.count("\n") == 1, result.stderr
    for word in words:
        assert word in result.stderr


def assert_usage_json(stderr: str, *words: str) -> None:
    """stderr is exactly one JSON error document with code 2, its message holding ``words``."""
    document = json.loads(stderr)
    assert list(document) == ["error"] and document["error"]["code"] == 2
    for word in words:
        assert word in document["error"]["message"]


@pytest.mark.parametrize("value", ["inf", "1e300", "nan", "-1", "604801"])
def test_wait_timeout_out_of_range_is_a_usage_error(
    channel: Channel, subprocess_env: dict[str, str], value: str
) -> None:
    """`wait --timeout` must be finite and within a week: exit 2 at once, never a traceback or a hang."""
    assert_usage_line(run(["wait", str(channel.path), "--timeout", value], subprocess_env), "--timeout")
    as_json = run(["wait", str(channel.path), "--json", "--timeout", value], subprocess_env)
    assert (as_json.returncode, as_json.stdout) == (2, "")
    assert_usage_json(as_json.stderr, "--timeout")


def test_show_since_out_of_range_is_a_usage_error(channel: Channel, subprocess_env: dict[str, str]) -> None:
    """A `--since` that cannot be moved to UTC is a usage error, not "internal error: OverflowError"."""
    for value in ("0001-01-01T00:00+01:00", "9999-12-31T23:59-01:00"):
        assert_usage_line(run(["show", str(channel.path), "--since", value], subprocess_env), "--since", "range")
    assert_usage_line(run(["show", str(channel.path), "--since", "yesterday"], subprocess_env), "--since")
    in_range = run(["show", str(channel.path), "--since", "0001-01-01T00:00-01:00", "--json"], subprocess_env)
    assert in_range.returncode == 0, in_range.stderr


@pytest.mark.parametrize(
    ("name", "value"),
    [
        ("COLLAB_WATCH_STEP_MS", "²"),
        ("COLLAB_WATCH_IDLE_MS", "99999999999999999999"),
        ("COLLAB_WATCH_DEBOUNCE_MS", "0"),
        ("COLLAB_WATCH_POLL_MS", "1e3"),
        ("COLLAB_WATCH_POLLING", "sometimes"),
        ("COLLAB_LOCK_TIMEOUT", "inf"),
    ],
)
def test_malformed_settings_are_usage_errors(
    channel: Channel, subprocess_env: dict[str, str], name: str, value: str
) -> None:
    """A malformed COLLAB_* setting is exit 2 naming the setting, not "internal error"."""
    env = dict(subprocess_env, **{name: value})
    assert_usage_line(run(["wait", str(channel.path), "--timeout", "0"], env), name)


def test_an_argument_body_that_is_not_utf8_is_refused_and_nothing_written(
    channel: Channel, subprocess_env: dict[str, str]
) -> None:
    """A body given as non-UTF-8 argv bytes is a usage error saying so, and the channel is unchanged."""
    before = channel.path.read_bytes()
    result = run(["answer", str(channel.path), b"\xff\xfe", "--as", "site-b"], subprocess_env)
    assert_usage_line(result, "not UTF-8", "offset 0")
    as_json = run(["ask", str(channel.path), b"fine until \xff", "--as", "site-b", "--json"], subprocess_env)
    assert as_json.returncode == 2
    assert_usage_json(as_json.stderr, "not UTF-8", "offset 11")
    assert channel.path.read_bytes() == before


CLICK_ERRORS = [
    (["wait", "CHANNEL", "--json", "--timeout", "abc"], "'abc' is not a valid float"),
    (["answer", "--json"], "Missing argument 'CHANNEL'"),
    (["show", "CHANNEL", "--json", "--bogus"], "No such option"),
]


@pytest.mark.parametrize(("args", "words"), CLICK_ERRORS)
def test_click_usage_errors_honour_json(
    channel: Channel, subprocess_env: dict[str, str], args: list[str], words: str
) -> None:
    """click's own usage errors under --json are the contract's JSON error on stderr, exit 2."""
    args = [str(channel.path) if a == "CHANNEL" else a for a in args]
    result = run(list(args), subprocess_env)
    assert (result.returncode, result.stdout) == (2, "")
    assert_usage_json(result.stderr, words, f"collab {args[0]} --help")


@pytest.mark.parametrize(("args", "words"), CLICK_ERRORS)
def test_click_usage_errors_without_json_are_one_line(
    channel: Channel, subprocess_env: dict[str, str], args: list[str], words: str
) -> None:
    """Without --json, click's usage errors are one `collab:` line pointing at the command's help."""
    args = [str(channel.path) if a == "CHANNEL" else a for a in args if a != "--json"]
    assert_usage_line(run(list(args), subprocess_env), words, f"`collab {args[0]} --help`")


def test_cli_runner_reports_click_errors_the_same_way(runner: CliRunner) -> None:
    """In-process invocations (CliRunner) get the same JSON error as the console script."""
    result = runner.invoke(app, ["wait", "x", "--json", "--timeout", "abc"])
    assert result.exit_code == 2
    assert_usage_json(result.stderr, "'abc' is not a valid float")
    plain = runner.invoke(app, ["answer"])
    assert plain.exit_code == 2
    assert plain.stderr == "collab: Missing argument 'CHANNEL' (see `collab answer --help`)\n"


def test_a_json_word_after_double_dash_is_an_argument_not_the_option(
    channel: Channel, subprocess_env: dict[str, str]
) -> None:
    """Only `--json` before `--` asks for JSON errors: after it, it is text."""
    result = run(["answer", str(channel.path), "--", "--json", "extra"], subprocess_env)
    assert_usage_line(result, "unexpected extra argument")


def test_durations_are_finite_and_bounded() -> None:
    """config.seconds accepts 0..a week and None, and refuses the rest."""
    assert config.seconds("--timeout", None) is None
    assert config.seconds("--timeout", 0.0) == 0.0
    assert config.seconds("--timeout", float(config.MAX_SECONDS)) == config.MAX_SECONDS
    for bad in (float("inf"), float("-inf"), float("nan"), -0.5, config.MAX_SECONDS + 1.0):
        with pytest.raises(UsageError, match="--timeout"):
            config.seconds("--timeout", bad)


def test_lock_timeout_reads_plain_decimal_seconds() -> None:
    """COLLAB_LOCK_TIMEOUT is a decimal number of seconds in (0, 3600], default 10."""
    assert config.lock_timeout({}) == config.lock_timeout({"COLLAB_LOCK_TIMEOUT": " "}) == 10.0
    assert config.lock_timeout({"COLLAB_LOCK_TIMEOUT": "2.5"}) == 2.5
    assert config.lock_timeout({"COLLAB_LOCK_TIMEOUT": "3600"}) == 3600.0
    for bad in ("0", "-1", "inf", "nan", "1e3", "3600.5", "²", "1_0", "9" * 5000):
        with pytest.raises(UsageError, match="COLLAB_LOCK_TIMEOUT"):
            config.lock_timeout({"COLLAB_LOCK_TIMEOUT": bad})


def test_watch_settings_are_ascii_digits_within_range() -> None:
    """COLLAB_WATCH_* values are ASCII digits within each setting's range; a huge one is not int()-ed."""
    settings = WatchSettings.from_env({"COLLAB_WATCH_STEP_MS": "1000", "COLLAB_WATCH_POLLING": "off"})
    assert (settings.step_ms, settings.polling) == (1000, False)
    assert WatchSettings.from_env({"COLLAB_WATCH_IDLE_MS": ""}) == WatchSettings()
    for name, bad in [("STEP_MS", "1001"), ("STEP_MS", "٣"), ("IDLE_MS", "60001"), ("POLL_MS", "9" * 5000)]:
        with pytest.raises(UsageError, match=f"COLLAB_WATCH_{name}"):
            WatchSettings.from_env({f"COLLAB_WATCH_{name}": bad})


def test_the_usage_error_quotes_a_hostile_setting_escaped_and_short() -> None:
    """A setting's value in the message is repr-escaped (no raw ESC) and cut short."""
    with pytest.raises(UsageError) as caught:
        config.env_int("COLLAB_X", 1, 1, 9, "milliseconds", {"COLLAB_X": "\x1b]0;x\x07" + "9" * 100})
    assert "\x1b" not in str(caught.value) and "\\x1b" in str(caught.value)
    assert len(str(caught.value)) < 150

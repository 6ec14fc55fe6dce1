"""Which heavy modules a command that returns at once imports (not timings: `bench/startup.py` times them).

`tests/cli/test_cli_app.py` holds a plain `collab answer`; these hold `collab answer` to a channel that
has an entry its writer has not read (it reads the channel, header included, to say so), `collab
wait` that returns at once, and `collab --help`.
"""

import subprocess
import sys

import pytest

from tests.conftest import collab_bin

#: ``_hashlib`` is OpenSSL, which small digests do without (:mod:`collab.text.digest`).
HEAVY = ("markdown_it", "mistune", "rich", "pygments", "watchfiles", "regex", "_hashlib")


def _heavy_imports(argv: list[str], env: dict[str, str]) -> tuple[int, list[str]]:
    """Run ``collab *argv`` in a fresh interpreter: its exit code, and which of :data:`HEAVY` it imported."""
    probe = (
        "import atexit, sys\n"
        f"atexit.register(lambda: print(sorted(m for m in {HEAVY!r} if m in sys.modules), file=sys.stderr))\n"
        f"sys.argv = ['collab', *{argv!r}]\n"
        "from collab.console import main\n"
        "main()\n"
    )
    # Without coverage's start-up hook (the suite runs under --cov): coverage itself imports hashlib.
    plain = {k: v for k, v in env.items() if not k.startswith("COVERAGE_")}
    done = subprocess.run([sys.executable, "-c", probe], env=plain, capture_output=True, text=True, timeout=60)
    return done.returncode, eval(done.stderr.strip().splitlines()[-1])


def _answer_from(channel, env: dict[str, str], name: str) -> None:
    subprocess.run(
        [collab_bin(), "answer", str(channel.path), "something to read", "--as", name],
        env=env,
        check=True,
        capture_output=True,
        timeout=60,
    )


def test_an_answer_after_an_unread_entry_loads_no_heavy_module(channel, subprocess_env) -> None:
    _answer_from(channel, subprocess_env, "site-b")
    assert _heavy_imports(["answer", str(channel.path), "a plain answer", "--as", "site-a"], subprocess_env) == (0, [])


@pytest.mark.parametrize(
    ("options", "code"),
    [(["--after", "0", "--settle", "0", "--timeout", "5"], 0), (["--settle", "0"], 0), (["--timeout", "0"], 3)],
    ids=["after-0-settle-0", "settle-0", "timeout-0"],
)
def test_a_wait_that_returns_at_once_loads_no_heavy_module(channel, subprocess_env, options, code) -> None:
    """With an entry there and ``--settle 0`` it returns that entry; with ``--timeout 0`` and nothing new,
    it times out at once (exit 3). Neither arms a watcher (watchfiles) nor renders with rich."""
    if code == 0:
        _answer_from(channel, subprocess_env, "site-b")
    got = _heavy_imports(["wait", str(channel.path), "--as", "site-a", *options], subprocess_env)
    assert got == (code, [])


def test_help_loads_no_heavy_module(subprocess_env) -> None:
    assert _heavy_imports(["--help"], subprocess_env) == (0, [])


@pytest.mark.parametrize("size", [0, 1, 1000, (1 << 20) - 1, 1 << 20, (1 << 20) + 7])
def test_the_small_input_digest_is_sha256(size: int) -> None:
    import hashlib

    from collab.text import digest

    data = bytes(range(256)) * (size // 256) + bytes(size % 256)
    assert digest.sha256(data).hexdigest() == hashlib.sha256(data).hexdigest()
    grown = digest.sha256(data[: size // 2], size=size)
    grown.update(data[size // 2 :])
    assert grown.copy().digest() == hashlib.sha256(data).digest()

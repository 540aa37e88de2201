"""Host locks: the write turn shared by worker processes, and the one upkeep runner."""

from __future__ import annotations

import subprocess
import sys
import time
from pathlib import Path

from app.graph.driver import WriteTurn
from app.hostlock import hold_if_free

# Each process says it is ready, waits for the go file, then enters the turn ROUNDS times,
# writing the monotonic clock (system-wide on Linux) on entry and exit.
WRITER = """
import sys, time
from pathlib import Path
from app.graph.driver import WriteTurn

lock, go, out, shared = Path(sys.argv[1]), Path(sys.argv[2]), Path(sys.argv[3]), sys.argv[4]
turn = WriteTurn()
if shared == "yes":
    turn.share_with_host(lock)
Path(f"{out}.ready").touch()
while not go.exists():
    time.sleep(0.001)
with out.open("w") as log:
    for _ in range(15):
        with turn:
            log.write(f"{time.monotonic()} ")
            time.sleep(0.01)
            log.write(f"{time.monotonic()}\\n")
"""

ROUNDS = 15


def spans_of_two_writers(tmp_path: Path, shared: bool) -> list[tuple[float, float]]:
    go = tmp_path / "go"
    go.unlink(missing_ok=True)
    outs = [tmp_path / f"writer-{i}.txt" for i in range(2)]
    writers = [
        subprocess.Popen(
            [
                sys.executable,
                "-c",
                WRITER,
                str(tmp_path / "write.lock"),
                str(go),
                str(out),
                "yes" if shared else "no",
            ]
        )
        for out in outs
    ]
    deadline = time.monotonic() + 60
    while not all(Path(f"{out}.ready").exists() for out in outs):
        assert time.monotonic() < deadline, "the writers did not start"
        time.sleep(0.01)
    go.touch()
    for writer in writers:
        assert writer.wait(60) == 0
    spans = [
        (float(a), float(b))
        for out in outs
        for a, b in (line.split() for line in out.read_text().splitlines())
    ]
    assert len(spans) == 2 * ROUNDS
    return sorted(spans)


def overlaps(spans: list[tuple[float, float]]) -> int:
    return sum(1 for (_, end), (start, _) in zip(spans, spans[1:], strict=False) if start < end)


def test_writers_of_two_processes_sharing_a_lock_file_never_overlap(tmp_path: Path) -> None:
    assert overlaps(spans_of_two_writers(tmp_path, shared=True)) == 0


def test_without_the_lock_file_the_same_writers_do_overlap(tmp_path: Path) -> None:
    # The check above can fail: unshared turns of two processes run side by side.
    assert overlaps(spans_of_two_writers(tmp_path, shared=False)) > 0


def test_a_nested_turn_keeps_the_host_lock_until_the_outermost_ends(tmp_path: Path) -> None:
    path = tmp_path / "write.lock"
    turn = WriteTurn()
    turn.share_with_host(path)
    with turn:
        with turn:
            assert hold_if_free(path) is None
        assert hold_if_free(path) is None  # still the outer turn's
    probe = hold_if_free(path)
    assert probe is not None
    probe.close()


def test_one_holder_of_the_upkeep_lock_until_it_lets_go(tmp_path: Path) -> None:
    path = tmp_path / "locks" / "upkeep.lock"
    first = hold_if_free(path)
    assert first is not None
    assert hold_if_free(path) is None
    first.close()
    second = hold_if_free(path)
    assert second is not None
    second.close()

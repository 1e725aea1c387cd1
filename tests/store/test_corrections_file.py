"""The corrections file survives faults: a torn or unreadable line is skipped with one warning
naming it, every command still runs, the next write sets the bad line aside and repairs the file;
a retried change is written once; a save killed with SIGKILL leaves at worst a torn last line."""

from __future__ import annotations

import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import textwrap
import time
import urllib.error
import urllib.request

import pytest
from click.testing import CliRunner

from ecot_annotate.store import corrections_file
from ecot_annotate.store.correction_lines import Line
from ecot_annotate.store.corrections import Corrections, append, corrections_path, run_config_hash
from ecot_annotate.store.corrections_file import CorrectionsFile, read_lines
from ecot_annotate.store.run_output import episode_keys

BIG = "a long reason " * 280  # close to the 4,000-character bound


def _line(episode: str = "e", config_hash: str = "h", **change) -> Line:
    header = {"time": "2026-01-01T00:00:00+00:00", "reviewer": "ann", "episode": episode}
    return Line.parse({**header, "config_hash": config_hash, **change})


def _torn(path, good: list[Line]) -> bytes:
    """Write `good`, then the first half of one more line with a large value and no end of line."""
    whole = [json.dumps(line.to_json()) + "\n" for line in good]
    cut = json.dumps(_line(field="plan", steps=[0, 1], value=BIG).to_json())[:2000]
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("".join(whole) + cut)
    return cut.encode()


def test_a_torn_last_line_is_skipped_with_one_warning_and_the_next_write_repairs(tmp_path, caplog):
    path = corrections_path(tmp_path)
    good = [_line(field="plan", steps=[0, 0], value=f"plan {i}") for i in range(3)]
    cut = _torn(path, good)
    with caplog.at_level("WARNING", logger="ecot_annotate"):
        assert read_lines(path) == good
        assert read_lines(path) == good  # named once per process
    warnings = [r.getMessage() for r in caplog.records]
    assert len(warnings) == 1 and f"{path}:4: skipped" in warnings[0], warnings
    assert "corrections.rejected" in warnings[0]

    written = append(tmp_path, _line(verdict="accept", id="next"))
    assert read_lines(path) == [*good, written]
    assert path.read_bytes().endswith(b'"reason": ""}\n')
    assert (path.parent / "corrections.rejected").read_bytes() == cut + b"\n"
    caplog.clear()
    file = CorrectionsFile(path)
    file.refresh(complete=True)
    assert not file.bad and not file.torn_tail


def test_an_unreadable_line_anywhere_is_set_aside_and_the_rest_apply(tmp_path):
    path = corrections_path(tmp_path)
    path.parent.mkdir()
    bad = json.dumps({**_line(verdict="accept").to_json(), "evil": "x"})
    lines = [
        json.dumps(_line(field="plan", steps=[0, 0], value="kept").to_json()),
        bad,
        "\xff not utf-8",
        json.dumps(_line(verdict="reject", reason="kept too").to_json()),
    ]
    path.write_bytes("\n".join(lines).encode("latin-1") + b"\n")
    corrections = Corrections.load(tmp_path, "h")
    assert corrections.review("e").status == "rejected" and corrections.review("e").version == 2
    append(tmp_path, _line(episode="f", verdict="accept"))
    rejected = (path.parent / "corrections.rejected").read_bytes().splitlines()
    assert rejected == [bad.encode(), "\xff not utf-8".encode("latin-1")]
    assert len(read_lines(path)) == 3


def test_a_whole_last_line_without_its_end_of_line_is_read_and_ended_by_the_next_write(tmp_path):
    path = corrections_path(tmp_path)
    path.parent.mkdir()
    path.write_text(json.dumps(_line(verdict="accept").to_json()))  # a script left out the "\n"
    follower = CorrectionsFile(path)
    follower.refresh()
    assert len(follower.lines) == 1 and not follower.bad and not follower.torn_tail
    append(tmp_path, _line(episode="f", verdict="accept"))
    assert [line.episode for line in read_lines(path)] == ["e", "f"]
    assert not (path.parent / "corrections.rejected").exists()


def test_a_retried_change_is_written_once(tmp_path):
    first = append(tmp_path, _line(field="move", steps=[0, 2], value="stop", id="c1", version=0))
    again = append(tmp_path, _line(field="move", steps=[0, 2], value="stop", id="c1", version=0))
    other = append(tmp_path, _line(episode="f", field="move", steps=[0, 2], value="stop", id="c1"))
    assert again == first and again.conflict is None  # not a conflict with itself
    assert read_lines(corrections_path(tmp_path)) == [first, other]


def test_a_follower_reads_only_what_was_appended_and_sees_a_repair(tmp_path):
    path = corrections_path(tmp_path)
    follower = CorrectionsFile(path)
    follower.refresh()
    assert follower.lines == []
    writer = CorrectionsFile(path)
    writer.append(_line(verdict="accept"))
    follower.refresh()
    assert len(follower.lines) == 1 and follower.by_episode["e"] == follower.lines
    generation = follower.generation
    with open(path, "a") as handle:
        handle.write('{"torn": ')  # a save cut short, by someone else
    follower.refresh()
    assert len(follower.lines) == 1 and follower.torn_tail == b'{"torn": '
    writer.append(_line(episode="f", verdict="accept"))  # repairs: a new file replaces the old
    follower.refresh()
    assert follower.generation > generation
    assert [line.episode for line in follower.lines] == ["e", "f"]


WRITER = textwrap.dedent(
    """
    import os
    import sys
    from ecot_annotate.store.correction_lines import Line
    from ecot_annotate.store.corrections_file import CorrectionsFile

    file = CorrectionsFile(sys.argv[1])
    value = "x" * 3990
    for n in range(100000):
        line = {"episode": "e", "config_hash": "h", "id": f"c{os.getpid()}-{n}", "field": "plan",
                "steps": [0, 1], "value": value}
        file.append(Line.parse(line))
        if n == 0:
            print("writing", flush=True)
    """
)


def test_a_save_killed_with_sigkill_leaves_at_worst_a_torn_last_line(tmp_path):
    path = corrections_path(tmp_path)
    path.parent.mkdir()
    seen = 0
    for kill_after in (0.05, 0.2, 0.35, 0.5, 0.8):
        writer = subprocess.Popen(
            [sys.executable, "-c", WRITER, str(path)], stdout=subprocess.PIPE, text=True
        )
        assert writer.stdout.readline() == "writing\n"
        time.sleep(kill_after)
        os.kill(writer.pid, signal.SIGKILL)
        writer.wait()
        file = CorrectionsFile(path)
        file.refresh(complete=True)
        assert [bad.number for bad in file.bad] in ([], [file._numbers])  # the last one at worst
        assert len(file.lines) > seen
        seen = len(file.lines)
    file.append(_line(verdict="accept"))
    assert len(read_lines(path)) == seen + 1


@pytest.fixture
def torn_run(sample_run, tmp_path):
    """A copy of the sample run whose corrections end in a torn line after good ones."""
    run = tmp_path / "run"
    shutil.copytree(sample_run, run)
    keys, config_hash = episode_keys(run), run_config_hash(run)
    good = [
        _line(keys[0], config_hash, verdict="accept"),
        _line(keys[1], config_hash, field="move_reason", steps=[0, 1], value="Checked."),
        _line(keys[2], config_hash, verdict="reject", reason="wrong object"),
    ]
    _torn(corrections_path(run), good)
    return run, keys


def test_every_command_runs_past_a_torn_line_and_names_it(torn_run, tmp_path, monkeypatch):
    from starlette.testclient import TestClient

    from ecot_annotate.cli import main
    from ecot_annotate.review.server import make_app

    run, keys = torn_run
    named = f"{corrections_path(run)}:4: skipped"
    commands = {
        "show": ["show", str(run), "--episode", keys[1], "--format", "json"],
        "stats": ["stats", str(run)],
        "score": ["score", str(run), "--labels", str(run / "review")],
        "export": ["export", str(run), "--to", "ecot-json", str(tmp_path / "as.json")],
    }
    for name, args in commands.items():
        monkeypatch.setattr(corrections_file, "_warned", set())  # each command is a new process
        result = CliRunner().invoke(main, args)
        assert result.exit_code == 0, (name, result.output)
        assert named in result.output, (name, result.output)
    assert "Checked." in CliRunner().invoke(main, commands["show"]).output
    exported = json.loads((tmp_path / "as.json").read_text())
    assert sum(len(v) for v in exported.values()) == len(keys) - 1  # the reject still applies

    client = TestClient(make_app(run, "ann", "secret-token"))  # what `review` serves
    page = client.get("/index.html?token=secret-token")
    assert page.status_code == 200 and "1 rejected" in page.text
    saved = client.post(
        "/api/episodes/3/changes",
        json={"verdict": "accept", "version": 0, "id": "after-the-tear"},
        headers={"X-Review-Token": "secret-token"},
    )
    assert saved.status_code == 200, saved.text
    assert len(read_lines(corrections_path(run))) == 4
    assert (run / "review" / "corrections.rejected").is_file()


def test_review_serves_past_a_torn_line_and_names_it(torn_run):
    run, _ = torn_run
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    command = [sys.executable, "-c", "from ecot_annotate.cli import main; main()", "review", str(run), "--port", str(port)]  # fmt: skip
    server = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        url = server.stdout.readline().split()[3]
        assert url.startswith(f"http://127.0.0.1:{port}/?token=")
        warning = server.stderr.readline()
        assert warning.startswith(f"warning: {corrections_path(run)}:4: skipped"), warning
        deadline = time.monotonic() + 60
        while True:
            try:
                with urllib.request.urlopen(url) as page:
                    assert "1 rejected" in page.read().decode()
                break
            except urllib.error.URLError:  # not listening yet
                assert time.monotonic() < deadline
                time.sleep(0.1)
        assert server.poll() is None  # still serving
    finally:
        server.terminate()
        server.wait(10)

"""Cleaning up after killed runs: whatever point a run is killed at, the next completed run leaves
exactly one run folder (the published one) under OUT/runs."""

import shutil
from pathlib import Path

import pytest

from carbon import outputs
from carbon.outputs import OutputSet


class Killed(BaseException):
    """Stands in for SIGKILL: nothing after it runs, no cleanup of the interrupted step."""


def _publish(out: Path, text: str) -> None:
    with OutputSet(out) as output:
        output.path("inventory.json").write_text(text)
        output.commit()


def _run_folders(out: Path) -> list[str]:
    return sorted(p.name for p in (out / "runs").iterdir())


def test_a_run_killed_while_deleting_an_old_run_folder_leaves_nothing_behind(tmp_path, monkeypatch):
    out = tmp_path / "out"
    _publish(out, '{"run": 1}')
    _publish(out, '{"run": 2}')
    _publish(out, '{"run": 3}')
    real_rmtree = shutil.rmtree

    def killed_half_way(path, ignore_errors=False):
        # a real rmtree may delete manifest.json first and be killed before the rest
        manifest = Path(path) / outputs.MANIFEST
        if manifest.exists():
            manifest.unlink()
            raise Killed
        real_rmtree(path, ignore_errors=ignore_errors)

    monkeypatch.setattr(outputs.shutil, "rmtree", killed_half_way)
    with pytest.raises(Killed):
        _publish(out, '{"run": 4}')  # killed while removing run 3's folder after its commit
    monkeypatch.setattr(outputs.shutil, "rmtree", real_rmtree)

    _publish(out, '{"run": 5}')
    assert (out / "inventory.json").read_text() == '{"run": 5}'
    assert len(_run_folders(out)) == 1, _run_folders(out)


def test_a_folder_under_runs_that_is_not_ours_is_left_alone(tmp_path):
    out = tmp_path / "out"
    _publish(out, '{"run": 1}')
    mine = out / "runs" / "0123456789abcdef"
    mine.mkdir()
    (mine / "notes.txt").write_text("the user's")
    _publish(out, '{"run": 2}')
    assert (mine / "notes.txt").read_text() == "the user's"

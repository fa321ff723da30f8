"""`carbon inventory --draws/--seed` through typer's runner: the intervals in JSON and in the
terminal table, repeatable with a seed, propagation alone with --draws 0, bad values refused."""

import json

from typer.testing import CliRunner

from carbon.cli import app

runner = CliRunner()


def intervals(tmp_path, *options):
    done = runner.invoke(
        app,
        ["inventory", "--as-of", "2026-06-30", "--out", str(tmp_path / "out"), "--format", "json", *options],
    )
    assert done.exit_code == 0, done.output
    return {y["year"]: y["uncertainty"] for y in json.loads(done.output)["years"]}


def test_the_seed_repeats_the_draws_and_draws_0_leaves_propagation_alone(tmp_path):
    first, again = intervals(tmp_path, "--seed", "5"), intervals(tmp_path, "--seed", "5")
    other, none = intervals(tmp_path, "--seed", "6"), intervals(tmp_path, "--draws", "0")
    assert first == again
    assert first[2025]["total_location"]["monte_carlo"] != other[2025]["total_location"]["monte_carlo"]
    assert none[2025]["total_location"]["monte_carlo"] is None
    assert none[2025]["total_location"]["propagation"] == first[2025]["total_location"]["propagation"]
    assert "seed 5" in first[2025]["scope1"]["monte_carlo"]["method"]


def test_the_table_shows_both_half_widths(tmp_path):
    done = runner.invoke(app, ["inventory", "--as-of", "2026-06-30", "--out", str(tmp_path / "o")])
    assert done.exit_code == 0, done.output
    assert "Uncertainty: 95% half-width, % (propagation/Monte Carlo)" in done.output
    assert "65.0/" in done.output  # Qfin's Scope 1 and 2 rest on reported figures: +-65%


def test_bad_draws_and_seeds_exit_2(tmp_path):
    bad = (
        ["--draws", "-1"],
        ["--draws", "5"],
        ["--draws", "200000"],
        ["--seed", "-3"],
        ["--seed", str(2**64)],
    )
    for option in (*bad, ["--draws", "many"]):
        done = runner.invoke(app, ["inventory", "--out", str(tmp_path / "x"), *option])
        assert done.exit_code == 2, (option, done.output)
        assert option[0] in done.output

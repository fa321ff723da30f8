"""Terminal tables: a figure is never cut, whatever the terminal width."""

from __future__ import annotations

import pytest
from rich.console import Console

from carbon.report import Grid, show

# The energy table of an organisation with every fuel: at 80 columns it needs exactly 80
# characters with its headers wrapped at their spaces (rich, left to itself, cut "Total").
HEADERS = ["Year", "Electricity", "Gasoline", "Natural gas", "Diesel", "LPG", "Purchased heat", "Total"]
ROW = ["2021", "1,838.00", "69.92", "0.00", "0.00", "0.00", "0.00", "1,907.92"]


@pytest.mark.parametrize("width", [40, 60, 79, 80, 81, 100, 200])
def test_every_header_word_and_figure_is_whole_at_any_width(width):
    grid = Grid("Energy (MWh)", HEADERS)
    grid.add_row(*ROW)
    console = Console(width=width)
    with console.capture() as captured:
        show(grid, console)
    text = captured.get()
    words = text.split()
    for cell in ROW + [w for header in HEADERS for w in header.split()]:
        assert cell in words, f"{cell!r} cut at width {width}:\n{text}"
    assert max(len(line.rstrip()) for line in text.splitlines()) <= width


def test_headers_stay_on_one_line_when_there_is_room():
    grid = Grid("Energy (MWh)", HEADERS)
    grid.add_row(*ROW)
    console = Console(width=200)
    with console.capture() as captured:
        show(grid, console)
    assert "Natural gas" in captured.get() and "Purchased heat" in captured.get()

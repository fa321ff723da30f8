"""The HTML pack in a real browser: headless Chromium renders the Qfin page offline, its
screenshot is not blank, and the DOM it builds holds the headline figures."""

import os
import shutil
import subprocess

import pytest
from PIL import Image

from carbon.disclose import hkex_pack, load_organisation_files
from carbon.engine import InventoryRequest, run_inventory
from carbon.export.pack import number, pack_html
from carbon.paths import inputs_root
from tests.conftest import AS_OF


def chromium() -> str:
    path = shutil.which("chromium") or shutil.which("chromium-browser") or shutil.which("google-chrome")
    if path is None:
        message = "Chromium is not installed: .ci/run installs Debian's chromium package"
        if os.environ.get("CI"):
            pytest.fail(message)  # CI must render the page, never skip it
        pytest.skip(message)
    return path


def headless(*args: str) -> subprocess.CompletedProcess:
    # --no-sandbox: CI runs as root in a container, where Chromium's sandbox cannot start.
    command = [chromium(), "--headless", "--no-sandbox", "--disable-gpu", "--hide-scrollbars", *args]
    done = subprocess.run(command, capture_output=True, text=True, timeout=120, check=False)
    assert done.returncode == 0, done.stderr[-2000:]
    return done


@pytest.fixture(scope="module")
def page(tmp_path_factory):
    qfin = inputs_root() / "qfin"
    request = InventoryRequest(qfin / "activity.csv", qfin / "organisation.csv", "qfin", as_of=AS_OF)
    pack = hkex_pack(run_inventory(request), load_organisation_files(qfin), 2025, "main_board", "ledger")
    path = tmp_path_factory.mktemp("pack") / "pack.html"
    path.write_text(pack_html(pack), encoding="utf-8")
    return pack, path


def test_the_screenshot_is_not_blank(page, tmp_path):
    _, path = page
    shot = tmp_path / "pack.png"
    headless("--window-size=1200,1400", f"--screenshot={shot}", path.as_uri())
    image = Image.open(shot).convert("RGB")
    assert image.size == (1200, 1400)
    colours = image.getcolors(maxcolors=1_000_000) or []
    ink = sum(count for count, colour in colours if colour != (255, 255, 255))
    # Text, tables and the two charts: many colours, and well over 2% of the page not white.
    assert len(colours) > 50 and ink > 0.02 * 1200 * 1400
    # The bars of the scope chart are drawn: its Scope 2 colour (#6fa287) covers real area.
    assert dict((c, n) for n, c in colours).get((0x6F, 0xA2, 0x87), 0) > 2_000


def test_the_dom_holds_the_headline_figures(page):
    pack, path = page
    dom = headless("--dump-dom", path.as_uri()).stdout
    items = {item.key: item for item in pack.items}
    for key in ("scope1", "scope2_location", "scope2_market", "scope3", "intensity"):
        assert f'<td class="n">{number(items[key].value)}</td>' in dom, key
    assert dom.count("<svg") == 2 and "Waste generated in operations" in dom
    assert "HKEX disclosure pack: qfin, 2025" in dom

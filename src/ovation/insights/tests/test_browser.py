"""An executive opens the ROI dashboard, filters to one industry, exports a table, and every
chart is drawn (pixels on each canvas, not just the element)."""

import csv
import io
from pathlib import Path

import pytest

from ovation.insights import recompute

from .factories import build_opportunities, build_world

COUNT_PIXELS = """
(canvas) => {
  const ctx = canvas.getContext("2d");
  const data = ctx.getImageData(0, 0, canvas.width, canvas.height).data;
  let drawn = 0;
  for (let i = 3; i < data.length; i += 4) if (data[i] > 0) drawn++;
  return drawn;
}
"""


@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
def test_executive_filters_exports_and_sees_every_chart(
    page, live_server, browser_login, screenshot
):
    world = build_world()
    build_opportunities(world)
    recompute.run()
    browser_login(page, world.executive)
    page.set_viewport_size({"width": 1400, "height": 900})

    page.goto(f"{live_server.url}/insights/?start=2023-01-01")
    assert page.locator("h1").inner_text() == "Advocacy ROI"
    page.select_option("select[name=industry]", label="Software")
    page.click("form.filters button[type=submit]")
    page.wait_for_url(f"**industry={world.software.pk}**")
    page.wait_for_function("document.documentElement.dataset.chartsReady === '1'")
    assert "Software" in page.locator(".insights-head p").inner_text()

    with page.expect_download() as download_info:
        page.click("a[data-export=funnel]")
    content = Path(download_info.value.path()).read_text(encoding="utf-8")
    rows = list(csv.reader(io.StringIO(content)))
    assert rows[0] == ["Step", "Contacts", "% of customers", "Step conversion"]
    # Software: Alpha (3), Charlie (3), Golf (2) contacts; 4 advocates
    assert rows[1][:2] == ["Customer contacts", "8"]
    assert rows[4][:2] == ["Advocates (incl. champions)", "4"]

    canvases = page.locator("canvas")
    ids = canvases.evaluate_all("(cs) => cs.map((c) => c.id)")
    assert ids == [
        "chart-nps",
        "chart-advocacy",
        "chart-funnel",
        "chart-winrate",
        "chart-referrals",
        "chart-survival",
        "chart-value",
    ]
    for i in range(canvases.count()):
        canvas = canvases.nth(i)
        canvas.scroll_into_view_if_needed()
        assert canvas.evaluate(COUNT_PIXELS) > 500, ids[i]
    screenshot("insights-dashboard-software")

    # Print: the same page laid out for paper still has every chart drawn.
    page.emulate_media(media="print")
    assert page.locator(".site-header").is_hidden()
    for i in range(canvases.count()):
        assert canvases.nth(i).evaluate(COUNT_PIXELS) > 500
    screenshot("insights-dashboard-print")

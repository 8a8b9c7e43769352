"""Accessibility in a real browser, on every screen and after every htmx swap listed in screens.py.

At 1280×800 and at 320×640: axe-core finds no violation of the WCAG 2.0, 2.1 and 2.2 A and AA rules,
the page reflows without sideways scrolling (WCAG 1.4.10; wide tables scroll inside their own
focusable region), no field refuses a paste, and every element Tab reaches shows a focus outline of
at least 3:1 against what surrounds it. After a swap, and on a whole page answering a form, focus is
where screens.py says it lands.
axe's script comes from the installed package: nothing is fetched while the tests run.
"""

import pytest
from axe_playwright_python.sync_playwright import Axe

from tests.browser.screens import SCREENS, SWAPS, World

pytestmark = pytest.mark.browser

VIEWPORTS = {"desktop": {"width": 1280, "height": 800}, "phone": {"width": 320, "height": 640}}
WCAG_TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "wcag22aa"]
AXE = Axe()

# Counted before app.js sees the event, so a wait for it ends after app.js has moved focus.
COUNT_SWAPS = """
window.__swaps = 0;
document.addEventListener("htmx:afterSettle", function () { window.__swaps += 1; });
"""

OVERFLOWING = """() => [...document.querySelectorAll("body *")]
  .filter(e => e.getBoundingClientRect().right > window.innerWidth + 0.5 && !e.closest(".table-wrap"))
  .slice(0, 5).map(e => e.outerHTML.slice(0, 120))"""

PASTE_REFUSED = """() => [...document.querySelectorAll("input:not([type=hidden]), textarea")].filter(field => {
  const data = new DataTransfer();
  data.setData("text/plain", "123 456");
  const event = new ClipboardEvent("paste", {clipboardData: data, bubbles: true, cancelable: true});
  return !field.dispatchEvent(event) || field.hasAttribute("onpaste");
}).map(field => field.outerHTML.slice(0, 120))"""

# The focused element's outline and its contrast with the background it is drawn on (the parent's).
FOCUS_RING = """() => {
  const el = document.activeElement;
  if (!el || el === document.body) { return null; }
  const rgba = c => (c.match(/[\\d.]+/g) || []).map(Number);
  const background = node => {
    for (let n = node; n; n = n.parentElement) {
      const [r, g, b, a] = rgba(getComputedStyle(n).backgroundColor);
      if (a === undefined || a === 1) { return [r, g, b]; }
    }
    return [255, 255, 255];
  };
  const channel = v => { v /= 255; return v <= 0.03928 ? v / 12.92 : Math.pow((v + 0.055) / 1.055, 2.4); };
  const luminance = ([r, g, b]) => 0.2126 * channel(r) + 0.7152 * channel(g) + 0.0722 * channel(b);
  const style = getComputedStyle(el);
  const [hi, lo] = [luminance(rgba(style.outlineColor)), luminance(background(el.parentElement))].sort((a, b) => b - a);
  return {own: el.matches(":focus"), element: el.outerHTML.slice(0, 120), style: style.outlineStyle,
          width: parseFloat(style.outlineWidth), contrast: (hi + 0.05) / (lo + 0.05)};
}"""


@pytest.fixture(scope="module")
def world(request, module_live_server, fake_vonage):
    return World(request, module_live_server, fake_vonage)


@pytest.fixture
def tab(browser, module_live_server, world, viewport):
    context = browser.new_context(base_url=module_live_server.url, viewport=VIEWPORTS[viewport])
    context.set_default_timeout(10_000)
    context.add_init_script(COUNT_SWAPS)
    page = context.new_page()
    yield page
    context.close()
    world.restore()


def violations(tab) -> list[str]:
    found = AXE.run(tab, options={"runOnly": {"type": "tag", "values": WCAG_TAGS}, "resultTypes": ["violations"]})
    return [f"{v['id']} ({v['impact']}): {v['help']} at {[n['target'] for n in v['nodes']][:3]}"
            for v in found.response["violations"]]


def check_page(tab, viewport: str) -> None:
    assert violations(tab) == []
    if viewport == "phone":
        assert tab.evaluate("document.documentElement.scrollWidth <= window.innerWidth"), tab.evaluate(OVERFLOWING)
    assert tab.evaluate(PASTE_REFUSED) == []


def check_focus_on(tab, selector: str) -> None:
    active = tab.evaluate("document.activeElement ? document.activeElement.outerHTML.slice(0, 160) : null")
    assert tab.evaluate("s => !!document.activeElement && document.activeElement.matches(s)", selector), \
        (selector, active)


def check_focus_rings(tab) -> None:
    """Tab through the page from the top: each stop has a solid outline of 2 px or more at 3:1 or better."""
    tab.evaluate("document.activeElement && document.activeElement.blur()")
    seen = []
    for _ in range(80):
        tab.keyboard.press("Tab")
        ring = tab.evaluate(FOCUS_RING)
        if ring is None or ring["element"] in seen[:1]:
            break
        seen.append(ring["element"])
        if not ring["own"]:
            continue  # a part of a native control (a date field's calendar button) with the browser's own ring
        assert ring["style"] != "none" and ring["width"] >= 2 and ring["contrast"] >= 3, ring


@pytest.mark.parametrize("viewport", VIEWPORTS)
@pytest.mark.parametrize("screen", SCREENS, ids=[s.name for s in SCREENS])
def test_every_screen_passes_axe_reflows_and_shows_focus(world, tab, screen, viewport):
    screen.go(world, tab)
    tab.wait_for_load_state("load")
    if screen.focus:
        check_focus_on(tab, screen.focus)
    check_page(tab, viewport)
    if viewport == "desktop":
        check_focus_rings(tab)


@pytest.mark.parametrize("viewport", VIEWPORTS)
@pytest.mark.parametrize("swap", SWAPS, ids=[s.name for s in SWAPS])
def test_every_swap_passes_axe_and_puts_focus_where_it_belongs(world, tab, swap, viewport):
    swap.start(world, tab)
    focus = swap.act(world, tab)
    tab.wait_for_function("() => window.__swaps > 0")
    check_focus_on(tab, focus)
    check_page(tab, viewport)


@pytest.mark.parametrize("viewport", ["phone"])
def test_the_checks_can_fail(tab, viewport):
    """Faults planted in a page are caught: a missing alt text, a page too wide, a refused paste, no ring."""
    tab.goto("/signin")
    tab.evaluate("""() => {
      const main = document.querySelector("main");
      main.append(document.createElement("img"));
      const wide = document.createElement("div");
      wide.style.width = "1000px";
      wide.textContent = "wide";
      main.append(wide);
      document.getElementById("f-email").addEventListener("paste", event => event.preventDefault());
      document.querySelector(".brand").style.outline = "none";
    }""")
    assert any(found.startswith("image-alt") for found in violations(tab))
    assert not tab.evaluate("document.documentElement.scrollWidth <= window.innerWidth")
    refused = tab.evaluate(PASTE_REFUSED)
    assert len(refused) == 1 and 'id="f-email"' in refused[0]
    with pytest.raises(AssertionError):
        check_focus_rings(tab)

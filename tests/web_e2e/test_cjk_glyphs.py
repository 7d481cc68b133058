"""Chinese labels render with real glyphs (issue 11, item 15), in real Chromium.

A missing font does not fail a page: Chromium draws every character it has no glyph for as
the same empty box, and every text assertion still passes. So each character of a label is
drawn on a canvas in the label's own computed font and compared with the box drawn for a
character no font has (U+E000, private use): a real glyph has ink and differs from the box
and from the other characters. The second test runs the same check in a Chromium that sees
no CJK font (FONTCONFIG_FILE naming only DejaVu) and proves it then fails."""

from __future__ import annotations

import os

import pytest
from playwright.sync_api import expect

from tests.web_e2e.conftest import CHROMIUM, CHROMIUM_ARGS

pytestmark = pytest.mark.browser

GLYPHS_JS = """
(selector) => {
  const el = document.querySelector(selector);
  const style = getComputedStyle(el);
  const font = `${style.fontStyle} ${style.fontWeight} ${style.fontSize} ${style.fontFamily}`;
  const draw = (text) => {
    const canvas = document.createElement('canvas');
    canvas.width = 96; canvas.height = 96;
    const g = canvas.getContext('2d');
    g.font = font; g.fillStyle = '#000'; g.textBaseline = 'top';
    g.fillText(text, 8, 8);
    const alpha = g.getImageData(0, 0, 96, 96).data;
    let ink = 0, hash = 0;
    for (let i = 3; i < alpha.length; i += 4) {
      if (alpha[i]) ink++;
      hash = (hash * 31 + alpha[i]) | 0;
    }
    return { ink, hash, width: g.measureText(text).width };
  };
  const text = el.textContent.trim();
  return { text, font, box: draw('\\uE000'),
           glyphs: [...text].filter((ch) => /\\p{Script=Han}/u.test(ch)).map((ch) => ({ ch, ...draw(ch) })) };
}
"""


def real_glyphs(result: dict) -> bool:
    glyphs, box = result["glyphs"], result["box"]
    return bool(glyphs) and all(g["ink"] > 0 and g["hash"] != box["hash"] for g in glyphs) \
        and len({g["hash"] for g in glyphs}) == len({g["ch"] for g in glyphs})


@pytest.fixture
def gateway(live_gateway, web_dist):
    return live_gateway()


@pytest.mark.parametrize("path, selector, label", [
    ("/bugs", "h1", "缺陷列表"),
    ("/", "h1", "仪表盘"),
    ("/bugs", "nav[aria-label='项目'] a.project-tab", "全部项目"),
])
def test_chinese_labels_render_with_real_glyphs(page, gateway, path, selector, label):
    page.goto(f"{gateway.url}{path}")
    expect(page.locator(selector).first).to_have_text(label)
    result = page.evaluate(GLYPHS_JS, selector)
    assert result["text"] == label
    assert real_glyphs(result), result


def test_the_check_fails_when_chromium_has_no_cjk_font(browser, gateway, tmp_path):
    conf = tmp_path / "fonts.conf"
    conf.write_text('<?xml version="1.0"?>\n<!DOCTYPE fontconfig SYSTEM "fonts.dtd">\n<fontconfig>\n'
                    "  <dir>/usr/share/fonts/truetype/dejavu</dir>\n"
                    f"  <cachedir>{tmp_path / 'fc-cache'}</cachedir>\n</fontconfig>\n")
    env = {**os.environ, "FONTCONFIG_FILE": str(conf)}
    # A second Chromium from the session's Playwright (one Playwright per process).
    fontless = browser.browser_type.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS, env=env)
    try:
        page = fontless.new_page(locale="zh-CN")
        page.goto(f"{gateway.url}/bugs")
        expect(page.locator("h1")).to_have_text("缺陷列表")  # the text is there either way
        result = page.evaluate(GLYPHS_JS, "h1")
    finally:
        fontless.close()
    assert not real_glyphs(result), result

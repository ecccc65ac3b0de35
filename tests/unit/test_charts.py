"""Charts draw Chinese labels with real glyphs and travel in mails as inline (cid) images."""

from __future__ import annotations

import email
import email.policy
from pathlib import Path

import pytest

from careops.charts import BarChart, ChartError, bar_chart_png
from careops.mail.message import HeaderError, InlineImage, build_message, inline_cid
from careops.mail.render import RenderedMail
from careops.process_settings import ChartSettings

FONT = ChartSettings().font_file
CHART = BarChart("最近8次例会周报提交率", ["9月30日", "10月9日", "11月27日"], [80.0, None, 100.0],
                 y_label="提交率 %", y_max=100, value_format="{:.0f}%", highlight_last=True)


def test_chinese_labels_render_with_the_configured_font():
    assert FONT.is_file(), "scripts/install.sh installs fonts-wqy-microhei"
    png = bar_chart_png(CHART, FONT)
    assert png.startswith(b"\x89PNG\r\n\x1a\n") and len(png) > 5000


def test_a_font_without_chinese_glyphs_is_refused_not_drawn_as_boxes():
    latin = Path("/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf")
    if not latin.is_file():
        pytest.skip("DejaVu Sans not installed")
    with pytest.raises(ChartError, match="missing from font"):
        bar_chart_png(CHART, latin)


def test_missing_font_file_names_the_package(tmp_path):
    with pytest.raises(ChartError, match="fonts-wqy-microhei"):
        bar_chart_png(CHART, tmp_path / "none.ttf")


def test_inline_image_is_a_related_part_of_the_html():
    cid = inline_cid("careops <careops@careops.local>", "chart")
    rendered = RenderedMail("周报", "文本", f'<p>图</p><img src="cid:{cid}">')
    png = bar_chart_png(CHART, FONT)
    msg = build_message(sender="careops <careops@careops.local>", recipients=["a@b.cn"],
                        rendered=rendered, inline_images=[InlineImage(cid, png)])
    parsed = email.message_from_string(msg.as_string(), policy=email.policy.default)
    related = next(p for p in parsed.walk() if p.get_content_type() == "multipart/related")
    image = next(p for p in related.iter_parts() if p.get_content_type() == "image/png")
    assert image["Content-ID"] == f"<{cid}>" and image.get_content() == png
    assert parsed.get_body(preferencelist=("plain",)).get_content().strip() == "文本"


def test_inline_image_the_html_does_not_show_is_refused():
    rendered = RenderedMail("周报", "文本", "<p>no image</p>")
    with pytest.raises(HeaderError, match="never shows"):
        build_message(sender="careops@x.cn", recipients=["a@b.cn"], rendered=rendered,
                      inline_images=[InlineImage("abc@x.cn", b"png")])


def test_the_catchers_html_copy_shows_the_inline_chart(tmp_path):
    from careops.mail.catcher import MailDirHandler

    cid = inline_cid("careops@careops.local", "chart")
    rendered = RenderedMail("周报", "文本", f'<img src="cid:{cid}">')
    png = bar_chart_png(CHART, FONT)
    msg = build_message(sender="careops@careops.local", recipients=["a@b.cn"],
                        rendered=rendered, inline_images=[InlineImage(cid, png)])
    eml = MailDirHandler(tmp_path).store("careops@careops.local", ["a@b.cn"],
                                         msg.as_bytes())
    html = eml.with_suffix(".html").read_text(encoding="utf-8")
    assert "cid:" not in html and 'src="data:image/png;base64,iVBOR' in html

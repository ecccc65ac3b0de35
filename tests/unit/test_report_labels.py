"""Both languages of the R7 report and the web app say everything."""

from careops.services.supervision.labels import LABELS
from careops.web.i18n import pick_locale


def test_report_labels_match_between_languages():
    zh, en = LABELS["zh_CN"], LABELS["en"]
    assert set(zh["names"]) == set(en["names"])
    for key, section in zh["sections"].items():
        assert len(section["headers"]) == len(en["sections"][key]["headers"]), key
        assert section["basis"].startswith("口径") and en["sections"][key]["basis"]
    assert set(zh["charts"]) == set(en["charts"])


def test_page_language():
    assert pick_locale("en", "zh_CN") == "en"
    assert pick_locale(None, "en-GB") == "en"
    assert pick_locale("fr", None, "zh_CN") == "zh_CN"
    assert pick_locale(None, "zh-TW") == "zh_CN"

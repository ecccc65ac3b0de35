"""E-mail addresses: email-validator at every entry, no DNS lookups (issue 13, defect 1)."""

from __future__ import annotations

import pytest

from careops.addresses import InvalidAddress, check_address, check_mailbox, usable_addresses
from careops.settings import SettingsError, get_settings

BAD = ["evil,x@careops.local", 'a"b@careops.local', "<@careops.local", "x>@careops.local",
       "a(b)@careops.local", "a;b@careops.local", "", "no-at-sign", "a@b@careops.local"]


@pytest.mark.parametrize("text", BAD)
def test_addresses_that_would_split_or_empty_a_message_are_refused(text):
    with pytest.raises(InvalidAddress, match="e-mail address"):
        check_address(text)


@pytest.mark.parametrize(
    ("text", "stored"),
    [
        ("li.lei@example.com", "li.lei@example.com"),
        (" ops@careops.local ", "ops@careops.local"),  # company-internal domains are fine
        ("x@例子.中国", "x@xn--fsqu00a.xn--fiqs8s"),  # IDNA form for the 7-bit outbox
        ("nobody@no-such-domain.example-tld", "nobody@no-such-domain.example-tld"),
    ],
)
def test_good_addresses_are_kept_without_dns_lookups(text, stored):
    assert check_address(text) == stored


def test_a_mailbox_keeps_its_display_name_but_not_one_that_readdresses():
    assert check_mailbox("careops 客服部 <careops@careops.local>") == (
        "careops 客服部 <careops@careops.local>"
    )
    with pytest.raises(InvalidAddress):
        check_mailbox("ops, evil@x.cn <careops@careops.local>")


def test_usable_addresses_drop_the_bad_ones_and_say_why():
    good, problems = usable_addresses(["张三 <zhang@example.com>", "<@careops.local", "a@b.cn"])
    assert good == ["zhang@example.com", "a@b.cn"]
    assert len(problems) == 1 and "'<@careops.local'" in problems[0]


@pytest.mark.parametrize(
    ("variable", "value"),
    [("CAREOPS_OPS_EMAIL", "evil,x@careops.local"), ("CAREOPS_SMTP__SENDER", "<@x.cn"),
     ("CAREOPS_LEADERSHIP_EMAILS", '["ok@x.cn", "a\\"b@x.cn"]')],
)
def test_a_bad_address_setting_is_one_clear_error(monkeypatch, variable, value):
    monkeypatch.setenv(variable, value)
    get_settings.cache_clear()
    try:
        with pytest.raises(SettingsError, match="is not an e-mail address") as caught:
            get_settings()
    finally:
        get_settings.cache_clear()
    assert "\n" not in str(caught.value)

"""Display helpers: user text shown as text, code spans that hold any text, and view options that survive."""

import pytest
from app_driver import open_app, share_link, stop_job, train, upload_csv

from dashboard.widgets import code_span, plain

PHISHING = "**Session expired.** [Log in again](http://evil.example/login) ![](http://evil.example/p.png)"


def test_plain_text_cannot_make_links_images_html_or_emphasis():
    j = "\u2060"  # a word joiner: no autolink survives it
    assert plain(PHISHING) == (
        f"\\*\\*Session expired.\\*\\* \\[Log in again\\](http{j}://evil.example/login) "
        f"!\\[\\](http{j}://evil.example/p.png)"
    )
    assert plain("<img src=x> $x$ `code` www.example.com a@b.c\nnext") == (
        f"\\<img src=x\\> \\$x\\$ \\`code\\` www{j}.example.com a{j}@b.c next"
    )


@pytest.mark.parametrize("text", ["plain", "a`b", "``x``", "`start", "end`"])
def test_a_code_span_holds_any_text(text):
    """CommonMark: a span's fence is longer than any backtick run inside, padded when the text starts or ends with one."""
    span = code_span(text)
    fence = span[: len(span) - len(span.lstrip("`"))]
    assert len(fence) > max((len(run) for run in text.split("a") if set(run) == {"`"}), default=0)
    assert span.endswith(fence) and span[len(fence) : -len(fence)].strip() == text


def test_a_links_text_is_shown_as_text_and_cut_short():
    at = open_app(epochs=PHISHING, lr="9" * 10_000)
    try:
        assert not at.exception
        warnings = [warning.value for warning in at.warning]
        assert warnings == [
            f"Link parameter 'epochs={plain(PHISHING)}' was ignored: Epochs (epochs) must be an int. "
            f"Got {plain(repr(PHISHING))} instead. Kept the default (50).",
            "Link parameter 'lr' was ignored: its value is 10,000 characters long; a setting takes at most 200. "
            "Kept the default (0.001).",
        ]
    finally:
        stop_job(at)


def test_a_label_column_with_a_backtick_is_encoded_in_the_share_link(app):
    app.switch_page("pages/train.py").run()
    rows = "\n".join(f"{i},{i % 3},{i % 2}" for i in range(40))
    upload_csv(app, "t.csv", f"a,b,odd`name\n{rows}\n")
    app.selectbox(key="w_label_column").set_value("odd`name").run()
    assert not app.exception
    assert share_link(app).endswith("label_column=odd%60name")  # encoded, and inside the code span


def test_view_options_survive_a_page_switch(app):
    train(app)
    app.switch_page("pages/filters.py").run()
    app.toggle(key="filters_normalize").set_value(False).run()
    app.switch_page("pages/latent.py").run()
    app.radio(key="latent_method").set_value("t-SNE").run()
    app.switch_page("pages/experiments.py").run()
    app.selectbox(key="runs_metric").set_value("train_loss").run()

    app.switch_page("pages/home.py").run()
    app.switch_page("pages/filters.py").run()
    assert app.toggle(key="filters_normalize").value is False
    app.switch_page("pages/latent.py").run()
    assert app.radio(key="latent_method").value == "t-SNE"
    app.switch_page("pages/experiments.py").run()
    assert app.selectbox(key="runs_metric").value == "train_loss"
    assert not app.exception

"""Turning a reply (plain or HTML, with quotes, signature and addresses) into what its writer wrote."""

from __future__ import annotations

import pytest

from kizuna.replytext import (
    blank_addresses,
    html_to_text,
    looks_like_html,
    reply_text,
    strip_quoted,
)


@pytest.mark.parametrize(
    ("text", "html"),
    [
        ('<font size="3">承知しました</font>', True),
        ("<div>2番</div>", True),
        ("2番<br>よろしく", True),
        ("<!DOCTYPE html><html><body>x</body></html>", True),
        ("山田 太郎 <taro@example.jp>", False),
        ("2026年12月1日(火) 10:00 北上 花子 <hanako@example.jp>:\n> ①", False),
        ("1<2 ですが <3 ではありません", False),
        ("&#9312;", False),  # an entity alone is no markup: plain text stays as typed
    ],
)
def test_looks_like_html(text: str, html: bool) -> None:
    assert looks_like_html(text) is html


def test_markup_attributes_and_invisible_parts_are_dropped() -> None:
    html = (
        '<html><head><meta charset="utf-8"><title>3</title><style>p{margin:3px}</style>'
        '</head><body><div style="margin:1px"><font size="3">承知しました</font></div>'
        '<script>var n = 3;</script><!-- 3 --><img alt="3" src="cid:x">'
        '<div style="display: none">隠れた 3</div><p>以上</p></body></html>'
    )
    assert html_to_text(html) == "承知しました\n以上"


def test_unclosed_head_ends_at_the_body() -> None:
    assert html_to_text("<head><title>3</title><body><p>本文</p></body>") == "本文"


def test_lines_come_from_br_and_block_elements() -> None:
    html = "<div>一行目<br>二行目</div><p>三行目</p><ul><li>a</li><li>b</li></ul>x<br/><br/>y"
    assert html_to_text(html) == "一行目\n二行目\n三行目\na\nb\nx\n\ny"
    # Source newlines inside HTML are just spaces.
    assert html_to_text("<p>2番で\nお願いします</p>") == "2番で お願いします"


def test_fragment_without_line_tags_keeps_its_newlines() -> None:
    assert html_to_text("<b>2番</b>でお願いします\n> ③ 12月6日") == "2番でお願いします\n> ③ 12月6日"


def test_pre_keeps_its_spacing() -> None:
    assert html_to_text("<pre>a\n  b</pre><p>c   d</p>") == "a\n  b\nc d"


def test_entities_are_decoded() -> None:
    assert html_to_text("<p>&#9312;&#x2461;&#50;&#30058; A&amp;B &lt;x&gt;&nbsp;!</p>") == (
        "①②2番 A&B <x> !"
    )


def test_blockquote_lines_are_marked_as_quoted() -> None:
    html = (
        "<div>1番で</div><blockquote type=\"cite\">① 12月2日<br>② 12月5日"
        "<blockquote>古い引用</blockquote></blockquote><div>以上</div>"
    )
    assert html_to_text(html) == "1番で\n> ① 12月2日\n> ② 12月5日\n> > 古い引用\n以上"


def test_table_cells_stay_apart() -> None:
    assert html_to_text("<table><tr><td>1</td><td>番</td></tr></table>") == "1 番"


@pytest.mark.parametrize(
    "quote",
    [
        "> ① 12月2日\n> ② 12月5日",
        "＞ ① 12月2日\n＞② 12月5日",
        "  > ① 12月2日",
    ],
)
def test_quoted_lines_are_dropped(quote: str) -> None:
    assert strip_quoted(f"2番で\n{quote}\nよろしく") == "2番で\nよろしく"


@pytest.mark.parametrize(
    "header",
    [
        "-----Original Message-----",
        "----- Original Message -----",
        "-----元のメッセージ-----",
        "---------- Forwarded message ---------",
        "From: 北上 花子 <hanako@example.jp>",
        "差出人: 北上 花子",
        "On 2026/12/01 10:00, 北上市 wrote:",
        "2026/12/01 10:00, 北上 花子 wrote:",
        "2026/12/01 10:00 北上 花子 のメッセージ:",
        "2026年12月1日(火) 10:00 北上 花子 <hanako@example.jp>:",
        "2026年12月1日(火) 10:00 北上 花子 <hanako@example.jp>：",
        "2026/12/01 10:00、北上 花子 <hanako@example.jp>のメール:",
        "On Tue, Dec 1, 2026 at 10:00 AM 北上 花子 <\nhanako@example.jp> wrote:",
        "2026年12月1日(火) 10:00 北上市 デジタル推進課 <\nhanako@example.jp>:",
    ],
)
def test_an_unmarked_original_after_a_header_is_dropped(header: str) -> None:
    text = f"1番でお願いします。\n\n{header}\n① 12月2日\n② 12月5日\n"
    assert strip_quoted(text) == "1番でお願いします。"


def test_a_header_over_quoted_lines_drops_only_the_quote() -> None:
    text = (
        "2026年12月1日(火) 10:00 北上 花子 <hanako@example.jp>:\n\n"
        "> ① 12月2日\n> ② 12月5日\n\n2番でお願いします。\n> ③ 12月6日\nよろしく"
    )
    assert strip_quoted(text) == "2番でお願いします。\nよろしく"


@pytest.mark.parametrize("delimiter", ["-- ", "--"])
def test_signature_is_dropped(delimiter: str) -> None:
    text = f"2番でお願いします。\n{delimiter}\n山田 太郎（内線 3）\n"
    assert strip_quoted(text) == "2番でお願いします。"


def test_plain_lines_are_kept() -> None:
    text = "2番でお願いします。\n----------\n山田 太郎\nFrom Tokyo: 3 people wrote this"
    assert strip_quoted(text) == text


@pytest.mark.parametrize(
    ("text", "kept"),
    [
        ("https://example.jp/recruit?slot=3 を見ました", "  を見ました"),
        ("詳細（https://example.jp/3）", "詳細（ ）"),
        ("www.example.jp/no3 参照", "  参照"),
        ("mailto:no3@example.jp", " "),
        ("tel:0197-64-2111", " "),
        ("連絡先 taro.no3@example.jp まで", "連絡先   まで"),
        ("山田taro+3@mail.example.co.jpです", "山田 です"),
        ("2番でお願いします", "2番でお願いします"),
        ("No.2 でお願いします", "No.2 でお願いします"),
    ],
)
def test_urls_and_mail_addresses_are_blanked(text: str, kept: str) -> None:
    assert blank_addresses(text) == kept


def test_reply_text_puts_it_together() -> None:
    html = (
        '<div style="margin:1px"><font size="3">2番でお願いします。</font></div>'
        '<div>募集要項 <a href="https://example.jp/?id=3">https://example.jp/?id=3</a></div>'
        "<div>-- </div><div>山田 太郎 taro3@example.jp</div>"
    )
    assert reply_text(html) == "2番でお願いします。\n募集要項  "
    plain = "2番でお願いします。\n<taro@example.jp>\n> ③ 12月6日"
    assert reply_text(plain) == "2番でお願いします。\n< >"

"""The generic path (a minimal site YAML, no selectors) on layouts where precision-first
extraction alone loses text or the title carries the site's name: the article's container is
the reference (with_main_text), a lead printed before it belongs to the body, and the title is
the page's own printed text without the site's name (crawler/extract/body.py, article.py)."""

from __future__ import annotations

import lxml.html
import pytest

from crawler.extract.article import extract_article
from crawler.extract.body import with_main_text
from crawler.extract.boilerplate import LineRules, block_lines
from crawler.extract.siteconfig import load_site_config

RULES = LineRules(title="Headline", date_raw=None, site_texts=())
PARAGRAPHS = [f"Paragraph {n} of the story tells what happened on the day, with enough words to be prose."
              for n in range(1, 6)]


def block(html: str):
    return lxml.html.fromstring(f"<html><body>{html}</body></html>").find(".//div")


def test_paragraphs_precision_dropped_inside_the_container_are_put_back_in_place():
    main = block("<div>" + "".join(f"<p>{p}</p>" for p in PARAGRAPHS[:3]) +
                 "<p>Watch: the storm seen from above in a video without an ending mark</p>" +
                 "".join(f"<p>{p}</p>" for p in PARAGRAPHS[3:]) + "<p>A closing line after the body that precision left out.</p></div>")
    kept = [PARAGRAPHS[0], PARAGRAPHS[1], PARAGRAPHS[3], PARAGRAPHS[4]]
    assert with_main_text(kept, main, RULES) == PARAGRAPHS  # the video's title and what follows the body stay out


def test_a_sidebar_taken_for_the_body_gives_way_to_the_article_block():
    sidebar = ["Other story one", "Other story two", "Other story three", "Other story four",
               "Other story five is here too"]
    main = block("<div>" + "".join(f"<p>{p}</p>" for p in PARAGRAPHS) + "</div>")
    assert with_main_text(sidebar, main, RULES) == PARAGRAPHS


def test_an_article_is_not_traded_for_a_longer_block_of_comments():
    comments = [f"Reader {n} writes a long comment about the story, and then another sentence or two of it."
                for n in range(1, 16)]
    main = block("<div>" + "".join(f"<p>{c}</p>" for c in comments) + "</div>")
    assert with_main_text(PARAGRAPHS, main, RULES) == PARAGRAPHS


def test_precision_output_that_is_the_article_is_left_alone():
    main = block("<div>" + "".join(f"<p>{p}</p>" for p in PARAGRAPHS) + "<p>Share this</p></div>")
    assert with_main_text(PARAGRAPHS, main, RULES) == PARAGRAPHS


LEAD = "The lead of the story, printed in bold above its body, sums it up in one long sentence."


@pytest.fixture()
def minimal_site(tmp_path):
    def make(origin: str):
        path = tmp_path / "site.yaml"
        path.write_text(f"name: example\norigin: {origin}\nlanguages:\n  en:\n    prefix: /\n    start_urls: [/]\n"
                        "article_url_pattern: '^/news/'\n", encoding="utf-8")
        return load_site_config(path)
    return make


def page(head: str, body: str) -> bytes:
    return f"<html><head>{head}</head><body>{body}</body></html>".encode()


def test_a_lead_printed_before_the_body_container_is_the_first_body_line(minimal_site):
    site = minimal_site("https://district.example")
    html = page("<title>Headline</title>", "<article><h1>Headline</h1><div class='meta'>By A. Writer</div>"
                f"<div class='standfirst'>{LEAD}</div><div class='text'>" +
                "".join(f"<p>{p}</p>" for p in PARAGRAPHS) + "</div></article>")
    article = extract_article(html, "https://district.example/news/1", [], site)
    assert article is not None
    assert article.body.splitlines() == [LEAD, *PARAGRAPHS]
    main = lxml.html.fromstring(html).find(".//div[@class='text']")
    assert with_main_text(PARAGRAPHS, main, RULES)[0] == LEAD


@pytest.mark.parametrize("head, url", [
    ("<title>Storm closes the bay | The District</title><meta property='og:site_name' content='The District'>",
     "https://district.example/news/1"),
    ("<title>Storm closes the bay | CNN Politics</title>", "https://edition.cnn.com/news/1"),
    ("<title>Storm closes the bay - Thedistrict</title>", "https://www.thedistrict.com/news/1"),
])
def test_the_site_name_is_inferred_and_stripped_from_the_title(minimal_site, head, url):
    origin = url.split("/news/")[0]
    body = "".join(f"<p>{p}</p>" for p in PARAGRAPHS)
    article = extract_article(page(head, body), url, [], minimal_site(origin))
    assert article is not None and article.title == "Storm closes the bay"


def test_the_title_keeps_the_printed_characters(minimal_site):
    site = minimal_site("https://district.example")
    head = "<title>“Don’t go” says the mayor | The District</title><meta property='og:site_name' content='The District'>"
    body = "<p><b>\"Don't go\" says the mayor</b></p>" + "".join(f"<p>{p}</p>" for p in PARAGRAPHS)
    article = extract_article(page(head, body), "https://district.example/news/1", [], site)
    assert article is not None and article.title == "\"Don't go\" says the mayor"


SENTENCES = ["Глава администрации города провёл совещание с руководителями предприятий района и обсудил планы.",
             "По его словам, в ближайшие месяцы будет отремонтировано двенадцать километров дорог в городе.",
             "Участники совещания отметили, что финансирование программ будет увеличено почти на треть.",
             "Кроме того, было решено создать рабочую группу, которая займётся подготовкой праздника."]


def test_an_old_table_layout_portal_page_reads_as_a_layout(tmp_path):
    """A 2011-era page: the article in a table cell as <font> text broken by <br>, a cell of
    teasers beside it (their links match no article pattern), the headline only in <b> and in
    "<title>Headline :: Site</title>"."""
    path = tmp_path / "portal.yaml"
    path.write_text("name: portal\norigin: http://portal.example\nlanguages:\n  ru:\n    prefix: /\n"
                    "    start_urls: [/]\narticle_url_pattern: '^/news/'\n", encoding="utf-8")
    teasers = "".join(f"<tr><td><font size=1>12.03.2011</font><br><a href='/archive/{i}'><b>Новость номер {i} о "
                      f"событиях в районе</b></a><br><font size=1>Краткое описание новости {i}, которое занимает "
                      "одну строку текста для читателя.</font></td></tr>" for i in range(1, 15))
    html = ("<html><head><title>Совещание в администрации :: Портал города</title></head><body><table>"
            "<tr><td colspan=2><a href='/'>Главная</a> | <a href='/about/'>О нас</a></td></tr>"
            f"<tr><td width=200><table>{teasers}</table></td><td><font size=4><b>Совещание в администрации</b></font>"
            "<br><font size=1>15.03.2011</font><br><br><font size=2>" + "<br><br>".join(SENTENCES) +
            "</font></td></tr><tr><td colspan=2>© Портал города, 2011</td></tr></table></body></html>")
    article = extract_article(html.encode(), "http://portal.example/news/99.html",
                              [("Content-Type", "text/html; charset=utf-8")], load_site_config(path))
    assert article is not None
    assert article.title == "Совещание в администрации"
    assert article.published == "2011-03-15"
    assert article.body.splitlines() == SENTENCES


@pytest.mark.parametrize("line, boilerplate", [
    ("™ & © 2013 Cable News Network, Inc., a Time Warner Company. All rights reserved.", True),
    ("© الحقوق محفوظة لمؤسسة أخبار اليوم 1944 - 2018", True),
    ("Все права защищены. Перепечатка только с разрешения редакции.", True),
    ("The court ruled that the photographs were protected by copyright and that every one of the "
     "newspapers that printed them without asking had to pay the photographer damages.", False),
])
def test_copyright_notices_of_any_owner_are_not_body_lines(line, boilerplate):
    assert RULES.is_boilerplate(line) is boilerplate


def test_an_inline_link_inside_a_sentence_stays_whatever_its_class(minimal_site):
    site = minimal_site("https://district.example")
    sentence = ("The attack in the north-eastern state of <a class='searchLink' href='/search?q=Borno'>Borno</a> "
                "killed 31 people, officials said on Monday after the last of the wounded was counted.")
    html = page("<title>Headline</title>", "<h1>Headline</h1>" + "".join(f"<p>{p}</p>" for p in PARAGRAPHS[:2]) +
                f"<p>{sentence}</p>" + "".join(f"<p>{p}</p>" for p in PARAGRAPHS[2:]) +
                "<p>Share: <a class='share-link' href='https://facebook.example/'>Facebook</a> "
                "<a class='share-link' href='https://twitter.example/'>Twitter</a></p>")
    article = extract_article(html, "https://district.example/news/1", [], site)
    assert article is not None
    assert "north-eastern state of Borno killed 31 people" in article.body
    assert "Facebook" not in article.body and "Twitter" not in article.body


def test_a_dateline_paragraph_outside_div_paragraphs_is_the_lead(minimal_site, monkeypatch):
    """Paragraphs as <div>s in a wrapper (the densest block is one of them), the first paragraph
    outside the wrapper, a video label between: when precision drops that first paragraph it is
    read back as the lead."""
    import crawler.extract.body as body

    precision = body.trafilatura_lines
    monkeypatch.setattr(body, "trafilatura_lines",
                        lambda root, url: [line for line in precision(root, url) if "Hong Kong" not in line])
    first = ("Hong Kong (CNN Business) — Chinese stocks rallied on Wednesday as the country's biggest "
             "technology companies reported better than expected earnings.")
    html = page("<title>Chinese stocks rally - CNN</title>",
                "<h1>Chinese stocks rally</h1><p>By Laura He</p><section><div class='l-container'>"
                f"<div class='el__leafmedia'><p class='zn-body__paragraph'>{first}</p></div>"
                "<div class='el__embedded'><span>JUST WATCHED</span><span>Why markets care</span></div>"
                "<div class='zn-body__read-all'>" + "".join(f"<div class='zn-body__paragraph'>{p}</div>"
                                                              for p in PARAGRAPHS) + "</div></div></section>")
    article = extract_article(html, "https://district.example/news/1", [], minimal_site("https://district.example"))
    assert article is not None and article.body.splitlines() == [first, *PARAGRAPHS]


def test_no_lead_is_taken_from_above_the_title():
    html = (f"<html><body><div><p>{LEAD}</p><h1>Headline</h1><div class='text'>" +
            "".join(f"<p>{p}</p>" for p in PARAGRAPHS) + "</div></div></body></html>")
    root = lxml.html.fromstring(html)
    main, title = root.find(".//div[@class='text']"), root.find(".//h1")
    assert with_main_text(PARAGRAPHS, main, RULES, title) == PARAGRAPHS

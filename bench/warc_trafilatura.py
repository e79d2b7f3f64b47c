"""Case 5's reference: trafilatura alone over the article pages of WARC files, in one process.

Reads every HTTP 200 ``response`` record whose URL is an article URL of the site (content-coding
removed by warcio) and calls ``trafilatura.bare_extraction(body, url=url)`` with trafilatura's
defaults, the same call as reference B of the crawl. What re-extraction costs beyond this is what
our extractor and its record writing add.

    python -m bench.warc_trafilatura WARC... [--stats-file FILE]
"""

from __future__ import annotations

import argparse
import json
import re
from pathlib import Path
from urllib.parse import urlsplit

import trafilatura
from warcio.archiveiterator import ArchiveIterator

from crawler.extract.siteconfig import load_site_config


def article_pages(paths: list[Path], article_path: re.Pattern):
    """(url, decoded body bytes) of the article responses in the files, in file order."""
    for path in paths:
        with open(path, "rb") as stream:
            for record in ArchiveIterator(stream):
                if record.rec_type != "response" or record.http_headers is None:
                    continue
                if record.http_headers.get_statuscode() != "200":
                    continue
                url = record.rec_headers.get_header("WARC-Target-URI")
                if url and article_path.match(urlsplit(url).path):
                    yield url, record.content_stream().read()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.warc_trafilatura", description=__doc__.split("\n\n")[0])
    parser.add_argument("warcs", nargs="+", type=Path)
    parser.add_argument("--stats-file", type=Path)
    args = parser.parse_args(argv)
    pattern = re.compile(load_site_config("rusislam").article_url_pattern)
    pages = extracted = 0
    for url, body in article_pages(args.warcs, pattern):
        pages += 1
        document = trafilatura.bare_extraction(body, url=url)
        extracted += bool(document is not None and document.text)
    stats = {"pages": pages, "extracted": extracted}
    if args.stats_file:
        args.stats_file.write_text(json.dumps(stats))
    print(json.dumps(stats))
    return 0 if pages else 1


if __name__ == "__main__":
    raise SystemExit(main())

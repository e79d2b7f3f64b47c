"""Serve the test mirror in the foreground: ``python -m tests.mirror [--host H] [--port P] [--crawl-delay S] [--edited]``.

Prints the base URL, then serves until Ctrl-C.
"""

from __future__ import annotations

import argparse

from .content import apply_sample_edits
from .server import MirrorServer


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m tests.mirror", description=__doc__)
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8765, help="0 picks a free port")
    parser.add_argument("--crawl-delay", type=float, default=None, help="add Crawl-delay to robots.txt")
    parser.add_argument("--edited", action="store_true",
                        help="serve two articles edited (one Arabic, one English): try revisits, history and diff")
    args = parser.parse_args(argv)
    server = MirrorServer(args.host, args.port, crawl_delay=args.crawl_delay).start()
    if args.edited:
        for article in apply_sample_edits(server.site):
            print(f"  edited: {article.url(server.base_url)}", flush=True)
    print(server.base_url, flush=True)
    for article in server.site.articles:
        print(f"  {article.language} {article.layout:6} {article.url(server.base_url)}", flush=True)
    server.serve_forever()


if __name__ == "__main__":
    main()

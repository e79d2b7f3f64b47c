"""Crawl arguments shared by the commands that start a crawl (``run`` today; ``crawl``, ``worker``).

Checked before anything is locked or written, so a typo fails with one line and no side effect.
"""

from __future__ import annotations

import argparse
import re
from pathlib import Path

from crawler.extract.siteconfig import ConfigError, load_site_config
from crawler.options import parse_duration
from crawler.runner import DEFAULT_SPIDER, MANAGED_SETTINGS, CrawlOptions

from . import UsageError

SETTING_NAME = re.compile(r"^[A-Z][A-Z0-9_]*$")
SPIDER_ARG_NAME = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")
_SPIDER_NAME = re.compile(r"^[A-Za-z0-9_.-]+$")
_LANGUAGE = re.compile(r"^[a-z]{2,3}$")
_RESERVED_SPIDER_ARGS = {"languages", "base_url", "full", "revisit_after", "site"}
SITE_SPIDER = "news"  # the spider that crawls any site file


def add_crawl_arguments(parser: argparse.ArgumentParser) -> None:
    """What to crawl and how: spider, languages, mirror origin, ``-a`` and ``-s``."""
    parser.add_argument("--spider", help=f"spider to run (default: {DEFAULT_SPIDER}, or news with --site)")
    parser.add_argument("--site", metavar="SITE_YAML",
                        help="crawl the site this YAML file describes (spider news); see README, 'Add a site'")
    parser.add_argument("--languages", help="comma-separated subset of the site's languages, e.g. ar,en")
    parser.add_argument("--base-url", help="crawl a mirror of the site at this origin")
    parser.add_argument("--full", action="store_true", help="walk every listing page, not only up to known articles")
    parser.add_argument("--revisit-after", metavar="AGE", help="check again (conditionally) every known page last checked AGE ago or longer, "
                             "instead of the site's age-based revisit policy: 30d, 12h (-a revisit=off: no revisits)")
    parser.add_argument("-a", dest="spider_args", action="append", default=[], metavar="NAME=VALUE",
                        help="another spider argument (repeatable)")
    parser.add_argument("-s", dest="settings", action="append", default=[], metavar="NAME=VALUE",
                        help="a Scrapy setting (repeatable), e.g. -s DOWNLOAD_DELAY=2")


def crawl_options(args: argparse.Namespace) -> CrawlOptions:
    """The checked :class:`CrawlOptions` of parsed arguments; :class:`UsageError` on a bad one."""
    spider = args.spider or (SITE_SPIDER if args.site else DEFAULT_SPIDER)
    if not _SPIDER_NAME.match(spider):
        raise UsageError(f"--spider: not a spider name: {spider!r}")
    site = None
    if args.site is not None:
        try:
            site = str(Path(load_site_config(args.site).path).resolve())  # checked before anything is started
        except ConfigError as error:
            raise UsageError(str(error)) from None
    languages = None
    if args.languages is not None:
        codes = [code.strip() for code in args.languages.split(",") if code.strip()]
        bad = [code for code in codes if not _LANGUAGE.match(code)]
        if not codes or bad:
            raise UsageError(f"--languages: expected codes like ar,en; got {args.languages!r}")
        languages = ",".join(codes)
    if args.base_url is not None and not re.match(r"^https?://[^/\s]+/?\S*$", args.base_url):
        raise UsageError(f"--base-url: expected http(s)://host[:port], got {args.base_url!r}")
    if args.revisit_after is not None:
        try:
            parse_duration(args.revisit_after, "--revisit-after")
        except ValueError as error:
            raise UsageError(str(error)) from None
    settings = tuple(name_value(text, "-s", SETTING_NAME) for text in args.settings)
    for name, _value in settings:
        if name in MANAGED_SETTINGS:
            raise UsageError(f"-s {name}: set by `run` itself (ARCHIVE_DIR is the positional argument)")
    spider_args = tuple(name_value(text, "-a", SPIDER_ARG_NAME) for text in args.spider_args)
    for name, _value in spider_args:
        if name in _RESERVED_SPIDER_ARGS:
            raise UsageError(f"-a {name}: use the --{name.replace('_', '-')} option")
    return CrawlOptions(
        spider=spider, site=site, languages=languages, base_url=args.base_url, full=args.full,
        revisit_after=args.revisit_after, spider_args=spider_args, settings=settings,
    )


def name_value(text: str, flag: str, name_pattern: re.Pattern | str) -> tuple[str, str]:
    """``NAME=VALUE`` of a ``-a``/``-s`` option as a pair; :class:`UsageError` when it is not one."""
    name, sep, value = text.partition("=")
    if not sep or not re.match(name_pattern, name):
        raise UsageError(f"{flag} {text!r}: expected NAME=VALUE")
    return name, value

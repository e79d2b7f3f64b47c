"""``rusislam-archive crawl``: the crawl itself, from any directory (``scrapy crawl`` works in a checkout only).

Same spider arguments (``-a``) and settings (``-s``) as ``scrapy crawl rusislam``. The crawl is
also what ``scrapy crawl`` runs in a checkout (``crawler.scrapy_commands.crawl``) and what
``rusislam-archive run`` starts as its child, so the three check their input, report and exit the
same way (:func:`crawl`):

- input is checked before anything is created: the spider exists, every ``-a`` is one the spider
  takes, its values and the site's YAML are valid (the spider is built once, away from any crawl);
  an unknown ``-s`` name close to a known setting gets a warning naming it;
- the crawl's end becomes an exit code and one line on stderr (``crawler.outcome``, codes in
  ``crawler.commands.EXIT_CODES``); a normal run prints nothing.
"""

from __future__ import annotations

import argparse
import difflib
import inspect
import logging
import os
import signal
import sys

from scrapy import signals
from scrapy.settings import Settings
from scrapy.spiderloader import get_spider_loader
from scrapy.utils.ossignal import signal_names
from scrapy.utils.project import get_project_settings
from scrapy.utils.reactor import _asyncio_reactor_path

from archive.runlock import ArchiveLocked
from archive.state import StateError
from crawler.extract.siteconfig import ConfigError
from crawler.outcome import crawl_outcome
from crawler.runner import DEFAULT_SPIDER

from . import EXIT_FAILED, EXIT_LOCKED, EXIT_OK, EXIT_USAGE, ArchiveCommand, UsageError
from ._crawl_args import SETTING_NAME, SITE_SPIDER, SPIDER_ARG_NAME, name_value

SETTINGS_MODULE = "crawler.settings"

log = logging.getLogger(__name__)


def project_settings(overrides: dict[str, str] | None = None) -> Settings:
    """The crawl's settings (``crawler.settings`` unless SCRAPY_SETTINGS_MODULE names others) plus ``-s``."""
    os.environ.setdefault("SCRAPY_SETTINGS_MODULE", SETTINGS_MODULE)
    settings = get_project_settings()
    settings.setdict(overrides or {}, priority="cmdline")
    return settings


def spider_argument_names(spider_class: type) -> list[str]:
    """The keyword arguments the spider's ``__init__`` (and its bases') take by name."""
    names: list[str] = []
    for cls in spider_class.__mro__:
        init = cls.__dict__.get("__init__")
        if init is None:
            continue
        for parameter in inspect.signature(init).parameters.values():
            if parameter.kind in (parameter.POSITIONAL_OR_KEYWORD, parameter.KEYWORD_ONLY) and parameter.name != "self":
                names.append(parameter.name)
    return sorted(set(names))


def check_crawl(settings: Settings, spider_name: str, spider_args: dict[str, str]) -> type:
    """The spider class, once the spider name, its arguments and its site's YAML are known good.

    Raises :class:`UsageError` with one line. Nothing is written: the spider is built without a crawler.
    """
    loader = get_spider_loader(settings)
    try:
        spider_class = loader.load(spider_name)
    except KeyError:
        known = ", ".join(sorted(loader.list()))
        raise UsageError(f"unknown spider {spider_name!r} (spiders: {known})") from None
    known_args = spider_argument_names(spider_class)
    unknown = sorted(set(spider_args) - set(known_args))
    if unknown:
        raise UsageError(f"-a {unknown[0]}: not an argument of spider {spider_name!r} "
                         f"(its arguments: {', '.join(known_args)})")
    try:
        spider_class(**spider_args)
    except (ConfigError, ValueError, TypeError) as error:
        raise UsageError(str(error)) from None
    return spider_class


def warn_unknown_settings(names) -> None:
    """A ``-s`` name that is no setting but close to one is most likely a typo: say which one."""
    known = list(project_settings().keys())  # Scrapy's defaults and the project's, without the -s ones
    for name in names:
        if name in known:
            continue
        close = difflib.get_close_matches(name, known, n=1, cutoff=0.8)
        if close:
            log.warning("-s %s: not a known setting; did you mean %s?", name, close[0])


class _SignalWatch:
    """Remembers which shutdown signal stopped the crawl, and whether it came twice.

    Scrapy's own handlers stay in charge (first signal: graceful stop; second: stop now); these
    wrappers only note the signal for the exit message.
    """

    def __init__(self, process) -> None:
        self.name: str | None = None
        self.forced = False
        # Instance attributes shadow the methods Scrapy installs as signal handlers at reactor start.
        graceful, kill = process._signal_shutdown, process._signal_kill

        def shutdown(signum, frame):
            self.name = signal_names.get(signum, str(signum))
            graceful(signum, frame)

        def forced(signum, frame):
            self.forced = True
            kill(signum, frame)

        process._signal_shutdown, process._signal_kill = shutdown, forced


def crawl(settings: Settings, spider_name: str, spider_args: dict[str, str], *, prog: str,
          process=None) -> int:
    """Check, crawl, and turn the end of the crawl into an exit code and at most one stderr line."""
    try:
        spider_class = check_crawl(settings, spider_name, spider_args)
    except UsageError as error:
        print(f"{prog}: {error}", file=sys.stderr)
        return EXIT_USAGE
    if process is None:
        process = _crawler_process(settings)
    crawler = process.create_crawler(spider_class)
    watch = _SignalWatch(process)
    startup_error: list[BaseException] = []
    started = process.crawl(crawler, **spider_args)
    _keep_startup_error(started, startup_error)
    process.start()
    if startup_error:
        return _report_startup_error(startup_error[0], prog)
    if watch.forced and crawler.stats.get_value("finish_reason") is None:  # spider_closed never came
        _close_after_forced_stop(crawler)
    outcome = crawl_outcome(crawler, crawler.stats.get_value("finish_reason"), signal_name=watch.name,
                            forced=watch.forced)
    if outcome.message:
        print(f"{prog}: {outcome.message}", file=sys.stderr)
    return outcome.exit_code


def _crawler_process(settings: Settings):
    """The process Scrapy's own command line would make for these settings."""
    from scrapy.crawler import AsyncCrawlerProcess, CrawlerProcess

    if (settings["TWISTED_REACTOR"] == _asyncio_reactor_path and not settings.getbool("FORCE_CRAWLER_PROCESS")) \
            or not settings.getbool("TWISTED_REACTOR_ENABLED"):
        return AsyncCrawlerProcess(settings)
    return CrawlerProcess(settings)


def _keep_startup_error(started, errors: list) -> None:
    """Take a start-up exception (a lock held elsewhere, an unusable state store) out of Scrapy's hands.

    Retrieved here, it is reported as one line instead of asyncio's "Task exception was never
    retrieved" traceback.
    """
    if hasattr(started, "addErrback"):  # a Deferred (CrawlerProcess)
        started.addErrback(lambda failure: errors.append(failure.value))
    else:  # an asyncio Task (AsyncCrawlerProcess)
        started.add_done_callback(lambda task: task.cancelled() or (task.exception() and errors.append(task.exception())))


def _report_startup_error(error: BaseException, prog: str) -> int:
    if isinstance(error, ArchiveLocked):
        print(f"{prog}: {error}; not starting", file=sys.stderr)
        return EXIT_LOCKED
    if isinstance(error, (ConfigError, UsageError)):
        print(f"{prog}: {error}", file=sys.stderr)
        return EXIT_USAGE
    if isinstance(error, (StateError, OSError)):
        print(f"{prog}: cannot open the archive: {error}", file=sys.stderr)
        return EXIT_FAILED
    print(f"{prog}: the crawl could not start: {type(error).__name__}: {error}", file=sys.stderr)
    return EXIT_FAILED


def _close_after_forced_stop(crawler) -> None:
    """A second signal stopped the reactor at once: close what the archive writers hold open.

    Scrapy skips ``spider_closed`` then; sent here (synchronously: the reactor is gone), it closes
    the WARC file (renamed from ``.open``), writes the crawl summary, and the pipelines and the
    state store are closed, so the files are whole and valid, not left for the next run to recover.
    """
    spider = crawler.spider
    crawler.signals.send_catch_log(signals.spider_closed, spider=spider, reason="shutdown")
    for pipeline in crawler.engine.scraper.itemproc.middlewares:
        close = getattr(pipeline, "close_spider", None)
        if close is not None and not inspect.iscoroutinefunction(close):
            try:
                close()
            except Exception as error:  # one pipeline failing must not leave the others open
                log.error("closing %s after a forced stop: %s", type(pipeline).__name__, error)
    crawler.signals.send_catch_log(signals.engine_stopped)


class Command(ArchiveCommand):
    warnings_to_stderr = False
    stopped_by_signals = False  # Scrapy's handlers stop the crawl (the runner passes SIGHUP on as SIGTERM)
    help = "crawl the site into ARCHIVE_DIR (the -s setting): scrapy crawl from any directory"
    description = ("Run the crawl itself, from any directory, with the spider arguments and settings of\n"
                   "`scrapy crawl rusislam` (which works only with a source checkout as the current directory).\n"
                   "For cron prefer `rusislam-archive run`: it adds the run log and summary and the CDXJ index.")

    def add_arguments(self, parser: argparse.ArgumentParser) -> None:
        parser.add_argument("--spider", help=f"spider to run (default: {DEFAULT_SPIDER}, or news with --site)")
        parser.add_argument("--site", metavar="SITE_YAML",
                            help="crawl the site this YAML file describes (spider news; the same as -a site=SITE_YAML)")
        parser.add_argument("-a", dest="spider_args", action="append", default=[], metavar="NAME=VALUE",
                            help="a spider argument (repeatable): languages=ar,en, base_url=URL, full=1, "
                                 "revisit_after=30d, revisit=off, site=NAME|PATH (spider news)")
        parser.add_argument("-s", dest="settings", action="append", default=[], metavar="NAME=VALUE",
                            help="a Scrapy setting (repeatable), e.g. -s ARCHIVE_DIR=archive-data -s DOWNLOAD_DELAY=2")

    def run(self, args: argparse.Namespace) -> int:
        spider_args = dict(name_value(text, "-a", SPIDER_ARG_NAME) for text in args.spider_args)
        if args.site is not None:
            spider_args["site"] = args.site
        spider = args.spider or (SITE_SPIDER if "site" in spider_args else DEFAULT_SPIDER)
        overrides = dict(name_value(text, "-s", SETTING_NAME) for text in args.settings)
        settings = project_settings(overrides)
        warn_unknown_settings(overrides)
        return crawl(settings, spider, spider_args, prog="rusislam-archive crawl")

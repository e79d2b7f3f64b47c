"""Reading pages (links to follow, article) beside the crawl, in worker processes.

Parsing a page and extracting its article (trafilatura, date parsing, language detection)
cost several times more CPU than fetching and archiving it. Run inline, they would leave
the machine's second core idle while the crawl waits; in a worker process the first core
fetches, archives and writes while the second reads pages. Every HTML page is parsed
there, once, for its links and its article: the crawl process builds no tree. The
functions are the pure ones of ``crawler.extract``, so a worker needs nothing but the
site config, sent once.

``EXTRACT_WORKERS`` (default 1) sets the number of processes; 0 extracts inline.
"""

from __future__ import annotations

import asyncio
import logging
import multiprocessing
import os
import threading
from concurrent.futures import ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool

from crawler.extract.siteconfig import SiteConfig

logger = logging.getLogger(__name__)

_worker_site: SiteConfig | None = None


def read_page(*args, **kwargs):
    """``crawler.extract.article.read_page``, imported where it runs: the crawl process stays
    free of the extraction libraries while a worker reads its pages."""
    from crawler.extract.article import read_page as read

    return read(*args, **kwargs)


def exit_with_parent() -> None:
    """In a worker process: exit as soon as the process that started it is gone.

    A pool's workers wait for tasks on a pipe they hold both ends of, so a crawl killed
    (kill -9, a cron timeout, out of memory) would leave them waiting forever, each holding
    its memory. A daemon thread waits on the parent's sentinel instead."""
    parent = multiprocessing.parent_process()
    if parent is not None:
        threading.Thread(target=_exit_when_gone, args=(parent,), name="exit-with-parent", daemon=True).start()


def _exit_when_gone(parent) -> None:
    parent.join()  # returns when the parent's end of the sentinel pipe closes, however it ended
    os._exit(1)  # a worker has nothing to flush: its results went to the parent


def _start_worker(site: SiteConfig) -> None:
    global _worker_site
    exit_with_parent()
    _worker_site = site
    from crawler.extract.article import warm_up

    warm_up(site)  # imports and profiles loaded before the first page arrives


def _read_in_worker(body: bytes, url: str, headers: list[tuple[str, str]], options: dict):
    return read_page(body, url, headers, _worker_site, **options)


class ExtractionPool:
    def __init__(self, site: SiteConfig, workers: int):
        self.site = site
        self.executor: ProcessPoolExecutor | None = None
        if workers > 0 and _asyncio_loop_running():
            _start_resource_tracker_quietly()
            # "spawn": a fresh interpreter, not a fork of the process running the reactor.
            self.executor = ProcessPoolExecutor(
                workers, mp_context=multiprocessing.get_context("spawn"), initializer=_start_worker, initargs=(site,)
            )

    async def read(self, body: bytes, url: str, headers: list[tuple[str, str]], *, clean_params: tuple[str, ...] = (),
                   languages: tuple[str, ...] | None = None, extract: bool = True):
        """``read_page`` of the page, in a worker when there is one (a ``PageReading``)."""
        options = {"clean_params": clean_params, "languages": languages, "extract": extract}
        if self.executor is not None:
            try:
                return await asyncio.wrap_future(self.executor.submit(_read_in_worker, body, url, headers, options))
            except BrokenProcessPool:
                if self.executor is not None:  # every page waiting on the dead worker ends up here: say it once
                    logger.error("The extraction worker died; reading pages in the crawl process from now on")
                    self.executor = None
        return read_page(body, url, headers, self.site, **options)

    def close(self) -> None:
        if self.executor is not None:
            self.executor.shutdown(wait=True, cancel_futures=True)
            self.executor = None


def _start_resource_tracker_quietly() -> None:
    """Start multiprocessing's resource tracker with its stderr on /dev/null.

    After a ``kill -9`` of the crawl the tracker removes the pool's semaphores, as it should, and
    then warns about "leaked semaphore objects" on the stderr it inherited, which cron would mail
    after every killed run. The clean-up is kept, the warning dropped. (Started once per process.)
    """
    from multiprocessing import resource_tracker

    saved, devnull = os.dup(2), os.open(os.devnull, os.O_WRONLY)
    try:
        os.dup2(devnull, 2)
        resource_tracker.ensure_running()
    finally:
        os.dup2(saved, 2)
        os.close(saved)
        os.close(devnull)


def _asyncio_loop_running() -> bool:
    """Worker results are awaited as asyncio futures: that needs Scrapy's asyncio reactor."""
    try:
        asyncio.get_running_loop()
    except RuntimeError:
        from scrapy.utils.reactor import is_asyncio_reactor_installed

        return is_asyncio_reactor_installed()
    return True

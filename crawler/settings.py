"""Scrapy settings of rusislam-archive.

Site-specific politeness (delay, concurrency, User-Agent, timeouts) comes from the
site's YAML through the spider (`NewsSiteSpider.update_settings`); everything here is
overridable with `scrapy crawl SPIDER -s NAME=VALUE`.
"""

BOT_NAME = "rusislam_archive"
SPIDER_MODULES = ["crawler.spiders"]
NEWSPIDER_MODULE = "crawler.spiders"
# `scrapy crawl` checks, reports and exits as `rusislam-archive crawl` does (crawler.commands.crawl).
COMMANDS_MODULE = "crawler.scrapy_commands"

# --- output -----------------------------------------------------------------------
# Everything a crawl writes goes below ARCHIVE_DIR: warc/ (WARC files), articles/ (JSON lines).
ARCHIVE_DIR = "archive-data"
WARC_MAX_SIZE = 1_000_000_000  # bytes; a WARC file is closed and a new one begun past this size
CRAWL_SUMMARY_FILE = None  # default: ARCHIVE_DIR/runs/{spider}-{start}.crawl.json
# A crawl whose share of requests still failing after their retries is above this exits with code 3.
CRAWL_MAX_FAILED_SHARE = 0.1
# While a crawl runs, ARCHIVE_DIR/runs/current.json says where it is (rewritten every this many
# seconds; 0: not written); `rusislam-archive status` reads it.
PROGRESS_INTERVAL = 10.0
PROGRESS_LINE = "auto"  # live progress line on stderr: "auto" = when stderr is a terminal; True/False

# --- recurring runs ----------------------------------------------------------------
# A listing's next page is fetched while its pages still show articles the archive
# lacks; after this many pages in a row with none new, pagination stops (-a full=1: never).
LISTING_KNOWN_PAGES_BEFORE_STOP = 1
# Sitemap entries wait as (URL, lastmod) and become requests while the scheduler holds fewer than
# this many: a 10,000-entry sitemap turned into Request objects at once costs tens of MB.
SITEMAP_PENDING_REQUESTS = 200
# Known pages checked again per run (conditional requests), the most overdue first; the rest wait
# for the next run. Which pages are due: the site YAML's `revisit:` block, or -a revisit_after=AGE.
REVISIT_MAX_REQUESTS = 500
# A page whose answer was not usable (5xx, 403, 206, an empty or challenge page, a timeout...) is
# asked again by the next run, then after 12 h, 24 h, 48 h... (doubling per failure) and at least
# once a week; a 404/410 page after 30 days. Seconds. `-a full=1` asks for all of them.
FAILED_PAGE_BACKOFF_BASE = 12 * 3600
FAILED_PAGE_BACKOFF_MAX = 7 * 86400
GONE_PAGE_RETRY_AFTER = 30 * 86400

# --- crawler traps (crawler/bounds.py) ----------------------------------------------
PAGE_BUDGET = 0  # requests per run (robots.txt and retries not counted); 0: no limit
PAGE_BUDGET_BY_PATTERN = {}  # {regular expression on path and query: requests per run}
URL_MAX_PATH_DEPTH = 16  # URLs with more path segments are not fetched
URL_MAX_SEGMENT_REPEATS = 3  # nor URLs whose path holds one segment more often than this
# Links followed from one page; the rest are dropped, with a warning (a listing of 450,000 links).
LINKS_PER_PAGE_MAX = 2000
# Sitemap indexes nest at most this deep (robots.txt's or the YAML's sitemaps are depth 1); a run
# reads at most SITEMAP_MAX_FILES sitemaps. The nested indexes of a chain cut off by the depth are
# remembered: later runs do not request them (-a full=1 walks them again).
SITEMAP_INDEX_MAX_DEPTH = 3
SITEMAP_MAX_FILES = 1000

# --- page requisites ----------------------------------------------------------------
# Images, stylesheets, scripts, icons and fonts of each archived HTML page (and the url()s of its
# stylesheets), on the site's hosts and its YAML's requisite_hosts, fetched once per run.
REQUISITE_MAXSIZE = 16 * 1024 * 1024  # bytes; a larger requisite is dropped (counted: requisites/too_large)
REQUISITE_PRIORITY = -100  # scheduler priority: below pages (0), so requisites never hold up article discovery
# robots.txt applies to requisites like pages; on, requisites it disallows are fetched anyway (as some
# archives do for embeds: a page's look is not crawling). Off by default.
REQUISITES_IGNORE_ROBOTSTXT = False

# --- politeness ------------------------------------------------------------------
ROBOTSTXT_OBEY = True
ROBOTSTXT_PARSER = "crawler.robots.SiteRobotsParser"
# A robots.txt Crawl-delay is obeyed up to this many seconds (a warning says when it is capped).
ROBOTSTXT_CRAWL_DELAY_MAX = 30.0
AUTOTHROTTLE_ENABLED = True
AUTOTHROTTLE_START_DELAY = 2.0
AUTOTHROTTLE_MAX_DELAY = 60.0
CONCURRENT_REQUESTS = 8
CONCURRENT_REQUESTS_PER_DOMAIN = 2
DOWNLOAD_DELAY = 1.0
RETRY_TIMES = 3
RETRY_BACKOFF_BASE = 2.0  # seconds before the first retry, doubled on each further one
RETRY_BACKOFF_MAX = 120.0  # longest wait before a retry, Retry-After included
DOWNLOAD_TIMEOUT = 60
# Bounded bodies: a news page is well under a few MB; past the limit the download is dropped.
DOWNLOAD_MAXSIZE = 64 * 1024 * 1024  # also bounds decompression: a gzip bomb stops here
DOWNLOAD_WARNSIZE = 8 * 1024 * 1024
EXTRACT_MAXSIZE = 8 * 1024 * 1024  # larger pages are archived but not extracted
EXTRACT_WORKERS = 1  # extraction processes beside the crawl (0: extract in the crawl process)
# Responses waiting for the extraction worker stay in memory: keep that queue short (Scrapy's
# default is 5 MB of bodies), a few pages ahead of the worker is enough.
SCRAPER_SLOT_MAX_ACTIVE_SIZE = 1_000_000
# Scrapy starts this many asyncio tasks for the output of every response; a page yields a few
# requests and at most one record, written synchronously: 100 (the default) is pure overhead.
CONCURRENT_ITEMS = 16
# A body cut short is kept (and archived marked WARC-Truncated), then retried.
DOWNLOAD_FAIL_ON_DATALOSS = False
REDIRECT_MAX_TIMES = 10

# --- components -------------------------------------------------------------------
DOWNLOAD_HANDLERS = {
    "http": "crawler.handlers.ArchivingHTTPDownloadHandler",
    "https": "crawler.handlers.ArchivingHTTPDownloadHandler",
}
DOWNLOADER_MIDDLEWARES = {
    # Every request, the start requests included, waits for robots.txt and is checked against it.
    "scrapy.downloadermiddlewares.robotstxt.RobotsTxtMiddleware": None,
    "crawler.robots.RobotsTxtFirstMiddleware": 100,
    "crawler.bounds.CrawlBoundsMiddleware": 110,
    # Between the WARC capture (950) and retries (550): an unreachable host ends the crawl at once.
    "crawler.outcome.SiteReachabilityMiddleware": 900,
    # First on the way out: nothing leaves the crawl origin and allowed paths, not even a redirect.
    "crawler.middlewares.SiteScopeMiddleware": 40,
    "scrapy.downloadermiddlewares.retry.RetryMiddleware": None,
    "crawler.middlewares.BackoffRetryMiddleware": 550,
    # Cookies without the public suffix list download (and its cache in ~/.cache).
    "scrapy.downloadermiddlewares.cookies.CookiesMiddleware": None,
    "crawler.middlewares.OfflineCookiesMiddleware": 700,
    "scrapy.downloadermiddlewares.redirect.RedirectMiddleware": None,
    "crawler.middlewares.LoggingRedirectMiddleware": 600,
    # After HttpCompressionMiddleware (590), before MetaRefreshMiddleware (580): every HTML page is
    # decoded by crawler.extract.decode, for Scrapy's readers as for the extractor.
    "crawler.middlewares.PageEncodingMiddleware": 585,
    # Nearest the downloader: sees every response exactly as received, before
    # HttpCompressionMiddleware (590) decodes it and before redirects and retries.
    "crawler.middlewares.WarcCaptureMiddleware": 950,
    "crawler.middlewares.RobotsCrawlDelayMiddleware": 960,
}
# JOBDIR keeps the request queue of a killed run, not its seen-set: requests that were in
# flight at the kill must be asked again. Pages the archive holds are skipped by the state store.
DUPEFILTER_CLASS = "crawler.fingerprint.RunDupeFilter"
REQUEST_FINGERPRINTER_CLASS = "crawler.fingerprint.CanonicalRequestFingerprinter"
EXTENSIONS = {
    # First: the archive's lock and crash recovery, before anything below opens a file.
    "crawler.extensions.ArchiveLockExtension": 50,
    "crawler.extensions.ArchiveStateExtension": 100,
    "crawler.extensions.CrawlSummaryExtension": 200,
    "crawler.extensions.GcFreezeExtension": 300,
    "crawler.extensions.LogFileErrorsExtension": 400,
    "crawler.progress.ProgressFileExtension": 410,
    "crawler.progress.ProgressLineExtension": 420,
}
ITEM_PIPELINES = {
    "crawler.pipelines.ArticleJsonLinesPipeline": 800,
}

# --- housekeeping -----------------------------------------------------------------
TELNETCONSOLE_ENABLED = False
REMOTE_CONTROL_ENABLED = False  # no control port (and no files) outside ARCHIVE_DIR
LOG_LEVEL = "INFO"
LOG_FORMATTER = "crawler.logformatter.ArchiveLogFormatter"  # items named, never dumped whole in the log
FEED_EXPORT_ENCODING = "utf-8"

"""Archive layer: WARC and JSON Lines writing/reading. Never imports scrapy or crawler.*."""

__version__ = "0.1.0"

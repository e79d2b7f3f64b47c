"""Archive layer: WARC and JSON Lines writing/reading. Never imports scrapy or crawler.*."""

from importlib import metadata

try:
    # One version everywhere: --version, the WARC warcinfo record, the articles' extractor field.
    __version__ = metadata.version("rusislam-archive")
except metadata.PackageNotFoundError:  # a checkout on PYTHONPATH without any install
    __version__ = "0+unknown"

"""Pure extraction: page bytes + URL + headers + site config -> article record (no Scrapy)."""

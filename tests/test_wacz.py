"""WACZ packaging (archive/wacz.py): contents, digests, pages ↔ articles ↔ WARC records, `wacz validate`."""

from __future__ import annotations

import hashlib
import json
import subprocess
import zipfile
from io import BytesIO

import pytest
from warcio.archiveiterator import ArchiveIterator

from archive.jsonl import read_jsonl
from archive.wacz import WACZ_VERSION, build_wacz
from crawler.cli import main
from tests.archive_tools import copy_archive, tool_command

pytest_plugins = ["tests.archive_fixtures"]  # the session's mirror crawl: fixture mirror_crawl


@pytest.fixture(scope="module")
def package(mirror_crawl, tmp_path_factory):
    _, crawl = mirror_crawl
    archive_dir = copy_archive(crawl, tmp_path_factory.mktemp("wacz") / "archive")
    output = archive_dir.parent / "site.wacz"
    assert main(["wacz", str(archive_dir), "-o", str(output), "--title", "Test mirror"]) == 0
    return archive_dir, output


def _articles(archive_dir):
    return [record for path in sorted((archive_dir / "articles").glob("*.jsonl")) for record in read_jsonl(path)]


def test_package_layout_and_digests(package):
    archive_dir, output = package
    with zipfile.ZipFile(output) as wacz:
        names = wacz.namelist()
        warcs = sorted(p.name for p in (archive_dir / "warc").glob("*.warc.gz"))
        assert sorted(n for n in names if n.startswith("archive/")) == [f"archive/{w}" for w in warcs]
        assert {"indexes/index.cdxj", "pages/pages.jsonl", "datapackage.json", "datapackage-digest.json"} <= set(names)
        for name in names:
            if name.startswith("archive/"):  # readers seek into WARCs inside the zip
                assert wacz.getinfo(name).compress_type == zipfile.ZIP_STORED
                assert wacz.read(name) == (archive_dir / "warc" / name.split("/", 1)[1]).read_bytes()
        datapackage_bytes = wacz.read("datapackage.json")
        datapackage = json.loads(datapackage_bytes)
        assert datapackage["wacz_version"] == WACZ_VERSION == "1.1.1"
        assert datapackage["profile"] == "data-package" and datapackage["title"] == "Test mirror"
        listed = {r["path"]: r for r in datapackage["resources"]}
        assert set(listed) == set(names) - {"datapackage.json", "datapackage-digest.json"}
        for path, resource in listed.items():
            data = wacz.read(path)
            assert resource["bytes"] == len(data)
            assert resource["hash"] == "sha256:" + hashlib.sha256(data).hexdigest()
        digest = json.loads(wacz.read("datapackage-digest.json"))
        assert digest == {"path": "datapackage.json", "hash": "sha256:" + hashlib.sha256(datapackage_bytes).hexdigest()}
        assert wacz.read("indexes/index.cdxj") == (archive_dir / "indexes" / "index.cdxj").read_bytes()


def test_pages_list_the_articles_and_name_their_warc_records(package):
    archive_dir, output = package
    articles = _articles(archive_dir)
    with zipfile.ZipFile(output) as wacz:
        header, *pages = [json.loads(line) for line in wacz.read("pages/pages.jsonl").decode("utf-8").splitlines()]
        index = {}
        for line in wacz.read("indexes/index.cdxj").decode("utf-8").splitlines():
            _, timestamp, fields = line.split(" ", 2)
            fields = json.loads(fields)
            index.setdefault((fields["url"], timestamp), []).append(
                (fields["filename"], int(fields["offset"]), int(fields["length"])))
        warc_bytes = {n.split("/", 1)[1]: wacz.read(n) for n in wacz.namelist() if n.startswith("archive/")}
    assert header["format"] == "json-pages-1.0" and header["id"] == "pages"
    assert len(pages) == len(articles) >= 25
    by_article = {page["article_id"]: page for page in pages}
    assert len({page["id"] for page in pages}) == len(pages)
    for article in articles:
        page = by_article[article["id"]]
        assert (page["url"], page["ts"], page["title"], page["published"], page["language"]) == (
            article["url"], article["fetched_at"], article["title"], article["published"], article["language"])
        assert page["text"] == article["body"] and page["text"]  # what a replay's text search looks in
        # page -> capture in the index -> the very WARC record the article line points to
        timestamp = "".join(ch for ch in page["ts"] if ch.isdigit())
        pointer = article["warc"]
        assert (pointer["file"], pointer["offset"], pointer["length"]) in index[(page["url"], timestamp)]
        member = warc_bytes[pointer["file"]][pointer["offset"]:pointer["offset"] + pointer["length"]]
        record = next(iter(ArchiveIterator(BytesIO(member))))
        assert record.rec_headers.get_header("WARC-Record-ID") == pointer["record_id"] == f"<urn:uuid:{page['id']}>"
    assert any(page["language"] == "ar" for page in pages)


def test_wacz_validate_accepts_the_package_and_rejects_a_tampered_one(package, tmp_path):
    wacz_command = tool_command("WACZ_VENV", "wacz-venv", "wacz")
    _, output = package
    check = subprocess.run([str(wacz_command), "validate", "-f", str(output)], capture_output=True, text=True, timeout=120)
    assert check.returncode == 0, check.stdout + check.stderr
    assert "Validation succeeded" in check.stdout

    tampered = tmp_path / "tampered.wacz"  # pages changed after the digests were taken
    with zipfile.ZipFile(output) as source, zipfile.ZipFile(tampered, "w") as target:
        for info in source.infolist():
            data = source.read(info)
            if info.filename == "pages/pages.jsonl":
                data = data.replace(b'"ts"', b'"ts" ', 1)
            target.writestr(info, data)
    check = subprocess.run([str(wacz_command), "validate", "-f", str(tampered)], capture_output=True, text=True, timeout=120)
    assert check.returncode != 0, check.stdout


def test_cli_refuses_bad_arguments(tmp_path, capsys):
    (tmp_path / "empty" / "warc").mkdir(parents=True)
    assert main(["wacz", str(tmp_path / "empty"), "-o", str(tmp_path / "x.wacz")]) == 2
    assert "no finished WARC file" in capsys.readouterr().err
    assert main(["wacz", str(tmp_path / "nowhere"), "-o", str(tmp_path / "x.wacz")]) == 2
    assert main(["wacz", str(tmp_path / "empty"), "-o", str(tmp_path / "x.zip")]) == 2
    assert not list(tmp_path.glob("*.wacz*"))


def test_package_is_whole_or_absent(mirror_crawl, tmp_path, monkeypatch):
    """A failure midway leaves no .wacz (nor .partial) behind."""
    _, crawl = mirror_crawl
    archive_dir = copy_archive(crawl, tmp_path / "archive")
    import archive.wacz as wacz_module

    def fail(*args, **kwargs):
        raise OSError("disk full")

    monkeypatch.setattr(wacz_module, "_datapackage", fail)
    with pytest.raises(OSError):
        build_wacz(archive_dir, tmp_path / "site.wacz")
    assert not list(tmp_path.glob("site.wacz*"))

"""`rusislam-archive export` and the crawl's JSON lines, read by the tools corpus users have:
pyarrow, pandas, DuckDB and Hugging Face datasets (offline, with a temporary cache).

The archive is a crawl of the test mirror in three runs: run 1 with an article printed at 01:30
Moscow time (22:30 the day before in UTC), run 2 unchanged (no lines), run 3 after one edit (a
version-2 line) and one new Arabic article.
"""

from __future__ import annotations

import codecs
import gc
import io
import json
import os
import random
import signal
import subprocess
import sys
import threading
import time
from collections import Counter
from datetime import date, datetime, timezone
from pathlib import Path

import duckdb
import jsonschema
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pa_csv
import pyarrow.parquet as pq
import pytest

from archive import identities
from archive.blocks import block_ranges, read_lines
from archive.export import (EXPORT_SCHEMA, GROUP_TABLES, WRITERS, JsonLinesTableWriter, ParquetTableWriter, Selection,
                            export_tables, to_export_table)
from archive.identities import latest_line_offsets
from archive.jsonl import encode_line
from archive.latest import article_files, iter_latest_lines
from crawler.cli import main
from crawler.commands.export import FORMATS
from crawler.extract.record import load_schema
from tests.conftest import ROOT
from tests.mirror import MirrorServer
from tests.test_incremental import run_cli

MIDNIGHT = dict(
    id=90101, language="ru", slug="nochnoe-zasedanie-gsv", layout="modern",
    title="Ночное заседание Группы стратегического видения", published="2026-11-28T01:30:00+03:00",
    published_raw="28 ноября 2026, 01:30",
    paragraphs=["Члены Группы стратегического видения провели ночное заседание в Казани и обсудили программу.",
                "Участники договорились продолжить работу утром и подготовить заявление для прессы."])
NEW_ARABIC = dict(
    id=90102, language="ar", slug="اجتماع-جديد-للمجموعة", layout="modern",
    title="اجتماع جديد لمجموعة الرؤية الاستراتيجية", published="2026-12-01", published_raw="١ ديسمبر ٢٠٢٦",
    paragraphs=["عقد أعضاء مجموعة الرؤية الاستراتيجية اجتماعا جديدا في قازان لمناقشة البرامج المشتركة.",
                "واتفق المشاركون على مواصلة التعاون مع الجامعات في الدول الإسلامية خلال العام المقبل."])
PRINTED_DAY = date(2026, 11, 28)
PRINTED_MOMENT = datetime(2026, 11, 27, 22, 30, tzinfo=timezone.utc)


@pytest.fixture(scope="module")
def archive(tmp_path_factory):
    """A three-run crawl of the mirror; returns the archive directory."""
    archive = tmp_path_factory.mktemp("export") / "archive"
    with MirrorServer() as mirror:
        mirror.site.add_article(**MIDNIGHT)
        for number in (1, 2, 3):
            if number == 3:
                time.sleep(1.1)  # the edit is stamped after run 1's fetch, to the second
                mirror.site.add_article(**NEW_ARABIC)
                edited = next(a for a in mirror.site.articles if a.in_sitemap and a.language == "ru"
                              and a.id != MIDNIGHT["id"])
                mirror.site.edit_article(edited.path, edited.paragraphs[:-1] + ["Абзац, добавленный редакцией позже."])
            result = run_cli(archive, mirror.base_url)
            assert result.returncode == 0, result.stdout + result.stderr
    return archive


@pytest.fixture(scope="module")
def lines(archive):
    """Every JSON line of the archive, in file order."""
    return [json.loads(line) for path in article_files(archive) for line in path.read_text("utf-8").splitlines()]


@pytest.fixture(scope="module")
def latest(lines):
    """The latest line of each article, computed here from the JSON lines."""
    best = {}
    for line in lines:
        if line["id"] not in best or line["version"] >= best[line["id"]]["version"]:
            best[line["id"]] = line
    return list(best.values())


@pytest.fixture(scope="module")
def hf_datasets(tmp_path_factory):
    """The ``datasets`` library, never touching the network, caching in a temporary directory."""
    cache = tmp_path_factory.mktemp("hf-cache")
    with pytest.MonkeyPatch.context() as patch:
        for name, value in {"HF_DATASETS_OFFLINE": "1", "HF_HUB_OFFLINE": "1", "HF_HOME": str(cache),
                            "HF_DATASETS_CACHE": str(cache / "datasets"), "HF_HUB_DISABLE_TELEMETRY": "1"}.items():
            patch.setenv(name, value)
        import datasets

        patch.setattr(datasets.config, "HF_DATASETS_OFFLINE", True)
        patch.setattr(datasets.config, "HF_HUB_OFFLINE", True)
        patch.setattr(datasets.config, "HF_DATASETS_CACHE", cache / "datasets")
        datasets.disable_progress_bars()
        yield datasets


def export(archive: Path, output, *options: str) -> int:
    return main(["export", str(archive), "-o", str(output), *options])


def midnight_row(rows):
    (row,) = [row for row in rows if row["title"] == MIDNIGHT["title"]]
    return row


# -- the crawl's own JSON lines ------------------------------------------------------------------


def test_the_fixture_has_three_runs_and_a_second_version(archive, lines):
    files = article_files(archive)
    assert len(files) == 2  # run 2 found nothing new and wrote no file
    assert sorted(Counter(line["version"] for line in lines).items()) == [(1, len(lines) - 1), (2, 1)]
    assert midnight_row(lines)["published"] == MIDNIGHT["published"]


def test_every_line_has_every_field_with_one_type(lines):
    schema = load_schema()
    for line in lines:
        jsonschema.validate(line, schema, cls=jsonschema.Draft202012Validator)
        assert list(line) == schema["required"]
    kinds = {name: {type(line[name]).__name__ for line in lines} - {"NoneType"} for name in schema["properties"]}
    assert {name: len(found) for name, found in kinds.items() if len(found) != 1} == {}
    first_run = [line for line in lines if line["version"] == 1]
    assert {line["previous_sha1"] for line in first_run} == {""}  # a string, not null, on first versions
    assert midnight_row(lines)["published_date"] == "2026-11-28"


def test_datasets_reads_the_per_run_files_as_json(archive, lines, hf_datasets):
    files = [str(path) for path in article_files(archive)]
    loaded = hf_datasets.load_dataset("json", data_files=files, split="train")
    assert loaded.num_rows == len(lines)
    features = loaded.features
    assert features["previous_sha1"] == hf_datasets.Value("string")
    assert features["version"] == hf_datasets.Value("int64")
    assert features["source"]["raw"] == hf_datasets.Value("string")
    assert sorted(loaded["version"]) == sorted(line["version"] for line in lines)
    # pyarrow reads "published" as a moment in UTC (the day before); published_date keeps the printed day
    assert str(midnight_row(loaded)["published_date"])[:10] == "2026-11-28"


# -- exports --------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def parquet_dir(archive, tmp_path_factory):
    directory = tmp_path_factory.mktemp("parquet-export")
    assert export(archive, directory / "articles.parquet") == 0
    return directory


@pytest.fixture(scope="module")
def jsonl_dir(archive, tmp_path_factory):
    directory = tmp_path_factory.mktemp("jsonl-export")
    assert export(archive, directory / "articles.jsonl") == 0
    return directory


def test_parquet_export_has_the_schema_and_one_row_per_article(parquet_dir, latest):
    path = parquet_dir / "articles.parquet"
    table = pq.read_table(path)
    assert [(field.name, field.type) for field in table.schema] == [(field.name, field.type) for field in EXPORT_SCHEMA]
    assert [field.metadata for field in table.schema] == [field.metadata for field in EXPORT_SCHEMA]
    assert table.num_rows == len(latest)
    assert sorted(table["id"].to_pylist()) == sorted(line["id"] for line in latest)
    assert pq.ParquetFile(path).metadata.row_group(0).column(0).compression == "ZSTD"
    rows = table.to_pylist()
    row = midnight_row(rows)
    assert (row["published"], row["published_date"], row["published_at"]) == (
        MIDNIGHT["published"], PRINTED_DAY, PRINTED_MOMENT)
    by_id = {line["id"]: line for line in latest}
    for row in rows:
        line = by_id[row["id"]]
        assert (row["version"], row["content_sha1"], row["body"]) == (line["version"], line["content_sha1"], line["body"])
        assert row["previous_sha1"] == (line["previous_sha1"] or None)
        assert row["published_date"] == (date.fromisoformat(line["published"][:10]) if line["published"] else None)
        assert (row["source_name"], row["source_raw"]) == ((line["source"] or {}).get("name"), (line["source"] or {}).get("raw"))
        assert row["fetched_at"] == datetime.fromisoformat(line["fetched_at"].replace("Z", "+00:00"))
        assert row["warc_offset"] == line["warc"]["offset"] and row["tags"] == line["tags"]
        assert row["translations"] == line["translations"]
        assert row["published_at"] is None or len(line["published"]) > 10
    assert sum(row["version"] == 2 for row in rows) == 1


def test_pandas_and_duckdb_read_the_parquet_export(parquet_dir, latest):
    path = parquet_dir / "articles.parquet"
    frame = pd.read_parquet(path)
    assert len(frame) == len(latest)
    assert str(frame["published_at"].dtype) == "datetime64[ms, UTC]"
    assert str(frame["fetched_at"].dtype) == "datetime64[ms, UTC]"
    row = frame[frame["title"] == MIDNIGHT["title"]].iloc[0]
    assert row["published_date"] == PRINTED_DAY and row["published_at"] == pd.Timestamp(PRINTED_MOMENT)
    assert list(frame["tags"].iloc[0]) == list(latest[0]["tags"])

    connection = duckdb.connect()
    relation = connection.sql(f"SELECT * FROM read_parquet('{path}')")
    types = dict(zip(relation.columns, map(str, relation.types)))
    assert (types["published_date"], types["published_at"], types["tags"], types["version"]) == (
        "DATE", "TIMESTAMP WITH TIME ZONE", "VARCHAR[]", "INTEGER")
    assert connection.execute(f"SELECT count(*) FROM read_parquet('{path}')").fetchone()[0] == len(latest)
    printed = connection.execute(f"SELECT published_date, published FROM read_parquet('{path}') WHERE title = ?",
                                 [MIDNIGHT["title"]]).fetchone()
    assert printed == (PRINTED_DAY, MIDNIGHT["published"])


def test_duckdb_and_pandas_read_the_jsonl_export(jsonl_dir, latest):
    path = jsonl_dir / "articles.jsonl"
    connection = duckdb.connect()
    relation = connection.sql(f"SELECT * FROM read_json_auto('{path}')")
    types = dict(zip(relation.columns, map(str, relation.types)))
    assert relation.columns == EXPORT_SCHEMA.names
    assert types["published_date"] == "DATE" and types["published"] == "VARCHAR"
    assert connection.execute(f"SELECT count(*) FROM read_json_auto('{path}')").fetchone()[0] == len(latest)
    day = connection.execute(f"SELECT published_date FROM read_json_auto('{path}') WHERE title = ?",
                             [MIDNIGHT["title"]]).fetchone()[0]
    assert day == PRINTED_DAY
    frame = pd.read_json(path, lines=True, dtype={"published_date": str})
    assert len(frame) == len(latest)
    assert frame[frame["title"] == MIDNIGHT["title"]]["published_date"].iloc[0] == "2026-11-28"


def test_datasets_reads_the_exports_with_their_cards(parquet_dir, jsonl_dir, latest, hf_datasets):
    expected = {"published_date": hf_datasets.Value("date32"), "published_at": hf_datasets.Value("timestamp[ms, tz=UTC]"),
                "version": hf_datasets.Value("int32"), "tags": hf_datasets.List(hf_datasets.Value("string")),
                "categories": hf_datasets.List(hf_datasets.Value("string")),
                "translations": hf_datasets.List({"language": hf_datasets.Value("string"),
                                                  "url": hf_datasets.Value("string")})}
    for directory in (parquet_dir, jsonl_dir):
        assert (directory / "README.md").read_text("utf-8").startswith("---\n")
        loaded = hf_datasets.load_dataset(str(directory), split="train")
        assert list(loaded.features) == EXPORT_SCHEMA.names
        assert {name: loaded.features[name] for name in expected} == expected, directory
        assert loaded.num_rows == len(latest)
        row = midnight_row(loaded)
        assert row["published_date"] == PRINTED_DAY, directory
        assert row["published_at"] == PRINTED_MOMENT, directory
    parquet = hf_datasets.load_dataset("parquet", data_files=str(parquet_dir / "articles.parquet"), split="train")
    assert parquet.features["published_date"] == hf_datasets.Value("date32")
    row = midnight_row(parquet)
    assert (row["published"], row["published_date"]) == (MIDNIGHT["published"], PRINTED_DAY)


def test_csv_export_reads_back_with_pyarrow_and_pandas(archive, tmp_path, latest):
    path = tmp_path / "articles.csv"
    assert export(archive, path) == 0
    assert not (tmp_path / "README.md").exists()  # CSV carries no types to describe
    table = pa_csv.read_csv(path, convert_options=pa_csv.ConvertOptions(column_types={
        "published_date": pa.date32(), "published_at": pa.timestamp("ms", "UTC"), "published": pa.string()}))
    assert table.column_names == EXPORT_SCHEMA.names and table.num_rows == len(latest)
    row = midnight_row(table.to_pylist())
    assert (row["published"], row["published_date"], row["published_at"]) == (MIDNIGHT["published"], PRINTED_DAY, PRINTED_MOMENT)
    frame = pd.read_csv(path, dtype=str, keep_default_na=False)
    by_id = {line["id"]: line for line in latest}
    for record in frame.to_dict("records"):
        assert json.loads(record["tags"]) == by_id[record["id"]]["tags"]
        assert json.loads(record["translations"]) == by_id[record["id"]]["translations"]
        assert record["body"] == by_id[record["id"]]["body"]  # multi-line, quoted by pyarrow
    assert frame[frame["title"] == MIDNIGHT["title"]]["published_date"].iloc[0] == "2026-11-28"


# -- filters -------------------------------------------------------------------------------------


@pytest.mark.parametrize("options, keep", [
    (["--language", "ar"], lambda line: line["language"] == "ar"),
    (["--language", "ar,ru"], lambda line: line["language"] in ("ar", "ru")),
    (["--since", "2026-11-28"], lambda line: bool(line["published"]) and line["published"][:10] >= "2026-11-28"),
    (["--until", "2021-12-31", "--language", "ru"],
     lambda line: line["language"] == "ru" and bool(line["published"]) and line["published"][:10] <= "2021-12-31"),
    (["--since", "2026-11-28", "--until", "2026-11-28"],  # the article printed at 01:30 is of the 28th
     lambda line: bool(line["published"]) and line["published"][:10] == "2026-11-28"),
])
def test_filters_keep_what_the_json_lines_say(archive, tmp_path, latest, lines, options, keep):
    assert export(archive, tmp_path / "a.parquet", *options) == 0
    wanted = sorted(line["id"] for line in latest if keep(line))
    assert wanted, "a filter that keeps nothing proves nothing"
    assert sorted(pq.read_table(tmp_path / "a.parquet")["id"].to_pylist()) == wanted
    assert export(archive, tmp_path / "all.parquet", "--all-versions", *options) == 0
    every = sorted((line["id"], line["version"]) for line in lines if keep(line))
    table = pq.read_table(tmp_path / "all.parquet")
    assert sorted(zip(table["id"].to_pylist(), table["version"].to_pylist())) == every


def test_all_versions_keeps_every_line(archive, tmp_path, lines):
    assert export(archive, tmp_path / "all.jsonl", "--all-versions") == 0
    exported = [json.loads(line) for line in (tmp_path / "all.jsonl").read_text("utf-8").splitlines()]
    assert [(row["id"], row["version"]) for row in exported] == [(line["id"], line["version"]) for line in lines]


def test_split_by_language_writes_a_file_per_language_and_a_card(archive, tmp_path, latest, hf_datasets, caplog):
    directory = tmp_path / "corpus"
    assert export(archive, directory, "--split", "language") == 0
    counts = Counter(line["language"] or "und" for line in latest)
    assert sorted(path.name for path in directory.iterdir()) == sorted(["README.md", *(f"{code}.parquet" for code in counts)])
    assert {code: pq.read_metadata(directory / f"{code}.parquet").num_rows for code in counts} == counts
    loaded = hf_datasets.load_dataset(str(directory), split="train")
    assert Counter(loaded["language"]) == counts
    assert export(archive, directory, "--split", "language") == 2  # the files exist: --overwrite needed
    for other in ("notes.parquet", "all.parquet"):  # not the split's files, though "all" could be a language code
        (directory / other).write_bytes(b"another export")
    assert export(archive, directory, "--split", "language", "--overwrite", "--language", "en") == 0
    card = (directory / "README.md").read_text("utf-8")
    assert '"en.parquet"' in card and '"ru.parquet"' not in card
    # the other languages' files of the first export (its card lists them) are gone: `*.parquet` readers would
    # take them as this one's; files it did not write are left, those named like a language's named
    assert sorted(path.name for path in directory.iterdir()) == ["README.md", "all.parquet", "en.parquet", "notes.parquet"]
    assert (directory / "all.parquet").read_bytes() == b"another export"
    assert f"{directory / 'all.parquet'} is not part of this export" in caplog.text
    assert export(archive, directory, "--split", "language", "--overwrite", "--language", "fa") == 0
    assert sorted(path.name for path in directory.iterdir()) == ["all.parquet", "notes.parquet"]  # no card listing none


def test_a_split_that_fails_before_its_card_leaves_the_previous_export_as_it_was(archive, tmp_path, monkeypatch,
                                                                                 capsys):
    """The language files and the card are renamed into place together, once all are whole."""
    import archive.export as export_module

    directory = tmp_path / "corpus"
    assert export(archive, directory, "--split", "language", "--language", "ru") == 0
    before = {path.name: path.read_bytes() for path in directory.iterdir()}

    def disk_full(*args, **options):
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(export_module, "dataset_card", disk_full)
    assert export(archive, directory, "--split", "language", "--overwrite") == 1
    assert capsys.readouterr().err.splitlines() == ["rusislam-archive export: [Errno 28] No space left on device"]
    assert {path.name: path.read_bytes() for path in directory.iterdir()} == before
    # a language file that cannot be renamed into place: found before any file is
    monkeypatch.undo()
    (directory / "ar.parquet").mkdir()
    assert export(archive, directory, "--split", "language", "--overwrite") == 1
    assert capsys.readouterr().err.splitlines() == [
        f"rusislam-archive export: {directory / 'ar.parquet'} is a directory; cannot write the file there"]
    assert {path.name: path.read_bytes() for path in directory.iterdir() if path.is_file()} == before
    assert sorted(path.name for path in directory.iterdir()) == sorted([*before, "ar.parquet"])


def test_split_files_are_named_by_language_codes_only(tmp_path, lines, caplog):
    """A language that is no language code (a damaged or hand-edited line) never becomes a path: its
    articles go to und with the others that have none, keep their value, and are named in a warning."""
    odd = ["../outside", "x/y", "EN", ""]
    records = [dict(line, id=f"{number:020x}", language=language)
               for number, (line, language) in enumerate(zip(lines, ["ar", *odd, None, "ru"]))]
    articles = tmp_path / "archive" / "articles"
    articles.mkdir(parents=True)
    (articles / "rusislam-1.jsonl").write_bytes(b"".join(encode_line(record) for record in records))
    directory = tmp_path / "corpus"
    assert export(tmp_path / "archive", directory, "--split", "language") == 0
    assert sorted(path.name for path in tmp_path.iterdir()) == ["archive", "corpus"]
    assert sorted(path.name for path in directory.iterdir()) == ["README.md", "ar.parquet", "ru.parquet", "und.parquet"]
    assert sorted(pq.read_table(directory / "und.parquet")["language"].to_pylist(), key=str) == sorted(odd + [None], key=str)
    assert "articles whose language is no language code ('', '../outside', 'EN', 'x/y') are in und.parquet" in caplog.text
    card = (directory / "README.md").read_text("utf-8")
    assert card.split("configs:")[0] == "---\nlanguage:\n- ar\n- ru\n"


@pytest.mark.parametrize("options", [["-o", "corpus.parquet"], ["-o", "corpus", "--split", "language"]])
def test_an_export_that_fails_midway_says_so_in_one_line_and_leaves_nothing(archive, tmp_path, monkeypatch, capsys,
                                                                              options):
    """Each writer is closed when the export fails, before its file is removed: the library does not try
    to finish it later, at exit, with an "Exception ignored" traceback after the one-line error."""
    import archive.export as export_module

    read_lines, files = export_module.read_lines, article_files(archive)

    def failing_lines(path, start, stop, **options):
        if path == files[-1]:
            raise OSError(f"{path}: Input/output error")
        return read_lines(path, start, stop, **options)

    unraisable = []
    monkeypatch.setattr(sys, "unraisablehook", unraisable.append)
    monkeypatch.setattr(export_module, "read_lines", failing_lines)
    monkeypatch.chdir(tmp_path)
    assert main(["export", str(archive), "--all-versions", *options]) == 1
    gc.collect()
    assert unraisable == []
    assert capsys.readouterr().err.splitlines() == [f"rusislam-archive export: {files[-1]}: Input/output error"]
    assert [path.name for path in tmp_path.rglob("*") if path.is_file()] == []


@pytest.mark.parametrize("signum", [signal.SIGTERM, signal.SIGHUP, signal.SIGINT])
def test_a_signal_stops_an_export_in_one_line_and_leaves_nothing(archive, tmp_path, monkeypatch, capsys, signum):
    """cron's timeout and systemd send SIGTERM: the export stops as for Ctrl-C, its unfinished output removed."""
    import archive.export as export_module

    export_tables = export_module.export_tables

    def signalled_midway(*args, **options):
        tables = export_tables(*args, **options, group_bytes=1)
        yield next(tables)
        os.kill(os.getpid(), signum)
        yield from tables

    def callers_handler(number, _frame):  # stands for what the caller had (the default would end the tests)
        raise AssertionError(f"the command left {signal.Signals(number).name} to its caller")

    monkeypatch.setattr(export_module, "export_tables", signalled_midway)
    handlers = {number: signal.signal(number, callers_handler) for number in (signal.SIGTERM, signal.SIGHUP)}
    try:
        stopped = main(["export", str(archive), "-o", str(tmp_path / "corpus.parquet")])
    except KeyboardInterrupt:
        pytest.fail("Ctrl-C went through the command")
    finally:
        after = {number: signal.signal(number, handler) for number, handler in handlers.items()}
    assert stopped == 4
    assert capsys.readouterr().err.splitlines() == [f"rusislam-archive export: stopped by {signal.Signals(signum).name}"]
    assert list(tmp_path.iterdir()) == []
    assert set(after.values()) == {callers_handler}  # the caller's handlers are back


# -- the command line ----------------------------------------------------------------------------


def run_export(archive, *options):
    return subprocess.run([sys.executable, "-m", "crawler.cli", "export", str(archive), *options],
                          capture_output=True, cwd=ROOT)


def test_an_export_is_never_written_among_the_article_files(archive, capsys):
    """The next export (and every reader of the archive) would read it as the crawl's lines."""
    before = sorted((archive / "articles").iterdir())
    for output, options in [(archive / "articles" / "corpus.jsonl", ()), (archive / "articles", ("--split", "language")),
                            (archive / "articles" / "x" / ".." / "corpus.parquet", ())]:
        assert export(archive, output, *options) == 2
        assert "among the crawl's article files; write it elsewhere" in capsys.readouterr().err
    assert sorted((archive / "articles").iterdir()) == before


def test_outputs_that_are_not_the_exports_own_file_are_refused_or_left_alone(archive, tmp_path, capsys):
    """A pipe or a device is not replaced by a file (as root, -o /dev/null --overwrite replaced the device);
    the card's name is not the data's; a link left at PATH.open is not followed."""
    pipe = tmp_path / "pipe"
    os.mkfifo(pipe)
    assert export(archive, pipe, "--format", "csv", "--overwrite") == 2
    assert "is not a regular file; write to standard output (-o -)" in capsys.readouterr().err and pipe.is_fifo()
    assert export(archive, tmp_path / "README.md", "--format", "jsonl") == 2
    assert "the dataset card is written there" in capsys.readouterr().err
    precious = tmp_path / "precious"
    precious.write_text("keep me")
    (tmp_path / "corpus.csv.open").symlink_to(precious)
    assert export(archive, tmp_path / "corpus.csv", "--language", "zh-cn,ru") == 0  # codes as the crawl writes them
    assert precious.read_text() == "keep me" and not (tmp_path / "corpus.csv").is_symlink()
    assert sorted(path.name for path in tmp_path.iterdir()) == ["corpus.csv", "pipe", "precious"]


def test_a_reader_that_stops_early_is_no_error_and_no_warning(archive):
    """``export -o - | head``: the export stops quietly (it warned "no article matched")."""
    command = [sys.executable, "-m", "crawler.cli", "export", str(archive), "-o", "-", "--format", "jsonl"]
    process = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, cwd=ROOT)
    assert json.loads(process.stdout.readline())["id"]
    process.stdout.close()
    assert process.wait(timeout=120) == 0 and process.stderr.read() == b""


def test_stdout_takes_jsonl_and_csv_not_parquet(archive, latest):
    shown = run_export(archive, "-o", "-", "--language", "ar")
    assert shown.returncode == 0 and shown.stderr == b""
    rows = [json.loads(line) for line in shown.stdout.decode().splitlines()]
    assert sorted(row["id"] for row in rows) == sorted(line["id"] for line in latest if line["language"] == "ar")
    csv = run_export(archive, "-o", "-", "--format", "csv")
    assert csv.returncode == 0 and csv.stdout.startswith(b'"id","url"')
    refused = run_export(archive, "-o", "-", "--format", "parquet")
    assert refused.returncode == 2 and refused.stdout == b""
    assert refused.stderr.decode().strip() == (
        "rusislam-archive export: -o -: Parquet cannot be written to standard output (use jsonl or csv)")


def test_an_archive_without_article_files_is_an_error_that_leaves_the_output_alone(tmp_path):
    """A wrong ARCHIVE_DIR (or one no crawl has kept an article in) would otherwise write an empty export,
    with --overwrite over a good one, and exit 0."""
    (tmp_path / "archive" / "articles").mkdir(parents=True)
    (tmp_path / "corpus.parquet").write_bytes(b"a good export")
    for archive_dir in (tmp_path / "archive", tmp_path):
        result = run_export(archive_dir, "-o", str(tmp_path / "corpus.parquet"), "--overwrite")
        assert result.returncode == 1
        assert result.stderr.decode().splitlines() == [
            f"rusislam-archive export: no article files in {archive_dir / 'articles'}: nothing to read "
            f"(is {archive_dir} an archive directory?)"]
    assert (tmp_path / "corpus.parquet").read_bytes() == b"a good export"
    assert run_export(tmp_path, "-o", str(tmp_path / "corpus"), "--split", "language").returncode == 1
    assert not (tmp_path / "corpus").exists()  # nothing created


@pytest.mark.parametrize("options, message", [
    (["-o", "{tmp}/x.txt"], "cannot tell the format from the suffix"),
    (["-o", "{tmp}/x.csv", "--format", "parquet"], "has the suffix of csv, not of --format parquet"),
    (["-o", "{tmp}/x.parquet", "--since", "2024-02-01", "--until", "2024-01-01"], "is after --until"),
    (["-o", "{tmp}/exists.parquet"], "exists; pass --overwrite"),
    (["-o", "{tmp}/readme/x.parquet"], "is not an export's dataset card"),
])
def test_bad_arguments_exit_2_and_write_nothing(archive, tmp_path, options, message):
    (tmp_path / "exists.parquet").write_bytes(b"keep")
    (tmp_path / "readme").mkdir()
    (tmp_path / "readme" / "README.md").write_text("# my notes\n")
    before = sorted(tmp_path.rglob("*"))
    result = run_export(archive, *[option.format(tmp=tmp_path) for option in options])
    assert result.returncode == 2 and message in result.stderr.decode(), result.stderr
    assert sorted(tmp_path.rglob("*")) == before
    assert (tmp_path / "exists.parquet").read_bytes() == b"keep"


def test_bad_option_values_are_usage_errors(archive):
    for options in (["--language", "arabic"], ["--since", "2024-13-01"], ["--until", "24-01-01"]):
        result = run_export(archive, "-o", "-", *options)
        assert result.returncode == 2 and b"export: error: argument" in result.stderr, options


# -- the library ---------------------------------------------------------------------------------


def test_tables_become_row_groups_while_reading(archive, tmp_path, lines):
    path = tmp_path / "groups.parquet"
    with open(path, "wb") as stream:
        writer = ParquetTableWriter(stream)
        # Blocks of one line each (every line is longer than 200 bytes), each its own row group.
        for table in export_tables(article_files(archive), all_versions=True, block_bytes=200, group_bytes=1):
            writer.write(table)
        writer.close()
    metadata = pq.read_metadata(path)
    assert metadata.num_rows == len(lines)
    groups = [metadata.row_group(index).num_rows for index in range(metadata.num_row_groups)]
    assert groups == [1] * len(lines)
    # Large groups: small tables join (an archive of many small files is not a file of tiny row groups);
    # every GROUP_TABLES of them become one table while they wait.
    whole = pa.concat_tables(export_tables(article_files(archive), all_versions=True))
    one_line = whole.nbytes // whole.num_rows
    for group_bytes in (1 << 20, 3 * GROUP_TABLES * one_line):
        with open(path, "wb") as stream:
            writer = ParquetTableWriter(stream)
            for table in export_tables(article_files(archive), all_versions=True, block_bytes=200,
                                       group_bytes=group_bytes):
                assert table.column("id").num_chunks <= GROUP_TABLES
                writer.write(table)
            writer.close()
        metadata = pq.read_metadata(path)
        groups = [metadata.row_group(index).num_rows for index in range(metadata.num_row_groups)]
        assert sum(groups) == len(lines) and len(groups) < len(lines) / GROUP_TABLES
        assert groups[0] == len(lines) if group_bytes == 1 << 20 else GROUP_TABLES < groups[0] < len(lines)


def test_a_line_that_does_not_fit_is_skipped_and_logged(tmp_path, lines, caplog):
    articles = tmp_path / "archive" / "articles"
    articles.mkdir(parents=True)
    good = [json.dumps(line, ensure_ascii=False) for line in lines[:3]]
    bad = json.dumps({**lines[3], "published": "2024-02-30"}, ensure_ascii=False)  # no such day
    (articles / "rusislam-1.jsonl").write_text("\n".join([good[0], bad, *good[1:]]) + "\n", encoding="utf-8")
    tables = list(export_tables(article_files(tmp_path / "archive"), all_versions=True))
    assert sum(table.num_rows for table in tables) == 3
    assert "rusislam-1.jsonl:2: skipping a line that does not fit the export schema" in caplog.text
    with pytest.raises(pa.ArrowInvalid):
        to_export_table(bad.encode() + b"\n")


def test_moments_with_any_number_of_decimals_are_kept_to_the_millisecond(lines):
    """ISO 8601 and the JSON schema allow any number of decimals of a second; Arrow parses six at most."""
    schema = load_schema()
    line = {**lines[0], "published": "2024-01-01T01:30:00.123456789+03:00", "published_date": "2024-01-01",
            "fetched_at": "2026-01-01T00:00:00.987654321Z"}
    jsonschema.validate(line, schema, cls=jsonschema.Draft202012Validator)
    other = {**lines[1], "published": "2024-01-02T10:00:00.5+03:00", "published_date": "2024-01-02"}
    table = to_export_table(b"".join(json.dumps(record).encode() + b"\n" for record in (line, other)))
    assert table["published_date"].to_pylist() == [date(2024, 1, 1), date(2024, 1, 2)]
    assert table["published_at"].to_pylist() == [datetime(2023, 12, 31, 22, 30, 0, 123000, tzinfo=timezone.utc),
                                                 datetime(2024, 1, 2, 7, 0, 0, 500000, tzinfo=timezone.utc)]
    assert table["fetched_at"][0].as_py() == datetime(2026, 1, 1, 0, 0, 0, 987000, tzinfo=timezone.utc)
    assert table["published"][0].as_py() == line["published"]  # kept as written


def test_moments_outside_python_years_are_null_and_every_format_writes_the_line(lines, tmp_path):
    """"0001-01-01T00:30:00+03:00" is a valid line whose moment is in year 0 in UTC: no Python date (nor
    pandas', nor the JSON Lines writer's) holds it. The line is kept; what cannot be a date is null."""
    records = [{**lines[0], "published": "0001-01-01T00:30:00+03:00"}, {**lines[1], "published": "0000-01-01"},
               {**lines[2], "published": "9999-12-31T23:59:59-05:00", "fetched_at": "0000-01-01T00:00:00Z"}]
    table = to_export_table(b"".join(json.dumps(record).encode() + b"\n" for record in records))
    assert table["published_date"].to_pylist() == [date(1, 1, 1), None, date(9999, 12, 31)]
    assert table["published_at"].to_pylist() == [None, None, None] and table["fetched_at"][2].as_py() is None
    for writer in WRITERS.values():
        with writer(io.BytesIO()) as written:
            written.write(table)


def test_the_latest_line_is_chosen_by_the_real_version_and_the_later_tie(tmp_path):
    """id and version are read from a line's ends: text in the body that looks like them does not count."""
    lookalike = 'a body ending in ","version":9,"previous_sha1":""}'
    first, second = "aa" * 10, "bb" * 10
    records = [
        {"id": first, "body": lookalike, "version": 1, "previous_sha1": ""},
        {"id": first, "body": "version 2", "version": 2, "previous_sha1": "c" * 40},
        {"id": second, "body": "one", "version": 1, "previous_sha1": ""},
        {"id": second, "body": "the same version again: the later line wins", "version": 1, "previous_sha1": ""},
        {"id": first, "body": lookalike, "version": 1, "previous_sha1": ""},
        {"version": 3, "id": "not-hex", "body": "other key order: parsed whole"},
    ]
    path = tmp_path / "articles.jsonl"
    path.write_bytes(b"".join(encode_line(record) for record in records))
    chosen = [(number, json.loads(raw)["body"]) for _, number, raw in iter_latest_lines([path])]
    assert chosen == [(2, "version 2"), (4, "the same version again: the later line wins"),
                      (6, "other key order: parsed whole")]


def test_json_lines_are_written_a_few_rows_at_a_time_all_of_them(lines, monkeypatch):
    table = to_export_table(b"".join(json.dumps(line).encode() + b"\n" for line in lines[:7]))
    whole = io.BytesIO()
    JsonLinesTableWriter(whole).write(table)
    monkeypatch.setattr(JsonLinesTableWriter, "ROWS", 3)
    sliced = io.BytesIO()
    JsonLinesTableWriter(sliced).write(table.slice(1))
    assert sliced.getvalue() == whole.getvalue().split(b"\n", 1)[1]
    assert [json.loads(line)["id"] for line in sliced.getvalue().splitlines()] == [line["id"] for line in lines[1:7]]


def test_every_format_has_a_writer():
    assert sorted(FORMATS) == sorted(WRITERS)


def test_selection_without_filters_keeps_everything(lines):
    table = to_export_table(b"".join(json.dumps(line).encode() + b"\n" for line in lines))
    assert Selection().mask(table) is None
    assert table.num_rows == len(lines)


DAMAGED_BYTE = "<a line with a damaged byte>"


def _damaged_archive(tmp_path: Path, lines: list[dict]) -> tuple[Path, list[str]]:
    """An article file whose good lines (as the crawl writes them) sit among lines of every kind the
    export must skip; returns the archive and the good lines' ids (every version, in file order)."""
    good = [dict(line, id=f"{number:020x}") for number, line in enumerate(lines[:6], 1)]
    edited = dict(good[0], version=2, previous_sha1=good[0]["content_sha1"], body=good[0]["body"] + " Edited.")

    def crawl_line(record: dict) -> str:
        return encode_line(record).decode("utf-8").rstrip("\n")

    text = [
        crawl_line(good[0]),
        "",  # blank
        crawl_line(good[1]),
        "   ",  # blank but for spaces
        crawl_line({**good[2], "id": None}),  # no id
        crawl_line(good[2]) + crawl_line(good[3]),  # two objects on one line: the crawl's shape at both ends
        "[1, 2]",  # not an object
        crawl_line({**good[4], "version": 0}),  # a version that cannot be
        "{not json",
        DAMAGED_BYTE,  # the crawl's shape, a byte that is no UTF-8 in its body
        crawl_line(good[4]),
        crawl_line({**good[1], "version": 10**20}),  # a version no loader's integer holds
        crawl_line(edited),
        crawl_line(good[5])[:-5],  # a crash's partial last line
    ]
    damaged = crawl_line(dict(good[3], id="f" * 20, body="Текст " + good[3]["body"])).encode("utf-8")
    articles = tmp_path / "archive" / "articles"
    articles.mkdir(parents=True)
    (articles / "rusislam-1.jsonl").write_bytes(
        "\n".join(text).encode("utf-8").replace(DAMAGED_BYTE.encode(), damaged.replace("Т".encode(), b"\xff", 1)))
    return tmp_path / "archive", [good[0]["id"], good[1]["id"], good[4]["id"], edited["id"]]


@pytest.mark.parametrize("block_bytes", [100, 1 << 20])  # a line per block, and the whole file in one
def test_lines_that_cannot_be_read_are_skipped_alone_and_named(tmp_path, lines, caplog, block_bytes):
    archive, good_ids = _damaged_archive(tmp_path, lines)
    every = pa.concat_tables(export_tables(article_files(archive), all_versions=True, block_bytes=block_bytes))
    assert every["id"].to_pylist() == good_ids
    assert every["version"].to_pylist() == [1, 1, 1, 2]
    latest = pa.concat_tables(export_tables(article_files(archive), block_bytes=block_bytes))
    assert latest["id"].to_pylist() == good_ids[1:] and latest["version"].to_pylist() == [1, 1, 2]
    for said in ("rusislam-1.jsonl:5: skipping a line without a string id",
                 "rusislam-1.jsonl:6: skipping a line that does not fit the export schema (2 JSON objects)",
                 "rusislam-1.jsonl:7: skipping a line without a string id",
                 "rusislam-1.jsonl:8: skipping article", "rusislam-1.jsonl:9: skipping a line that is not JSON",
                 "rusislam-1.jsonl:10: skipping a line that does not fit the export schema (Invalid UTF8",
                 f"rusislam-1.jsonl:12: skipping article {good_ids[1]} with bad version 1000000",
                 "rusislam-1.jsonl: skipping a partial last line"):
        assert said in caplog.text, said


@pytest.mark.parametrize("block_bytes", [150, 1 << 20])
def test_an_article_whose_latest_line_cannot_be_read_is_exported_at_its_newest_line_that_can(
        tmp_path, lines, caplog, block_bytes):
    """The latest choice reads only a line's id and version: a chosen line that the export cannot type
    (a damaged byte in the body, a number of the wrong type, a date that is no date) is replaced by
    the article's newest line that it can, however many are bad; an article with none is named as left out."""
    ids = [f"{number:020x}" for number in range(1, 6)]
    first, second, third, only_bad, fine = ids

    def line(article_id, version, **fields):
        record = dict(lines[version % len(lines)], id=article_id, version=version, **fields)
        return encode_line(record)

    def damaged(encoded):
        return encoded.replace(b'"body":"', b'"body":"\xff', 1)  # no UTF-8

    runs = [
        [line(first, 1, language="ru"), line(second, 1), line(fine, 1), line(second, 2, body="v2 good", language="en")],
        [line(first, 2).replace(b'"http_status":200', b'"http_status":200.0'), damaged(line(only_bad, 1)),
         damaged(line(second, 3))],
        [line(second, 4, published="2024-02-30"), line(fine, 2, body="fine v2")],
    ]
    articles = tmp_path / "archive" / "articles"
    articles.mkdir(parents=True)
    for number, run in enumerate(runs, 1):
        (articles / f"rusislam-{number}.jsonl").write_bytes(b"".join(run))
    table = pa.concat_tables(export_tables(article_files(tmp_path / "archive"), block_bytes=block_bytes))
    exported = dict(zip(table["id"].to_pylist(), table["version"].to_pylist()))
    assert table.num_rows == len(exported) == 3
    assert exported == {first: 1, second: 2, fine: 2}
    assert table.filter(pc.equal(table["id"], second))["body"].to_pylist() == ["v2 good"]
    assert table["id"].to_pylist()[:1] == [fine]  # in archive order; the articles chosen again after
    for said in ("rusislam-2.jsonl:1: skipping a line that does not fit", "rusislam-2.jsonl:2: skipping a line",
                 "rusislam-2.jsonl:3: skipping a line", "rusislam-3.jsonl:1: skipping a line that does not fit",
                 "exported 2 article(s) at an earlier line: their latest line could not be read",
                 "left out 1 article(s): none of their lines could be read"):
        assert caplog.text.count(said) == 1, said
    assert caplog.text.count("skipping") == 4  # each bad line once, though some files are read again
    caplog.clear()  # a selection applies to the line exported, and the count to the rows it keeps
    kept = Selection(frozenset({"ru"}))
    selected = pa.concat_tables(export_tables(article_files(tmp_path / "archive"), selection=kept,
                                              block_bytes=block_bytes))
    assert first in selected["id"].to_pylist()
    assert second not in selected["id"].to_pylist()
    assert "exported 1 article(s) at an earlier line" in caplog.text


@pytest.mark.parametrize("bad_versions", [1, 7])
def test_an_article_with_many_unreadable_versions_costs_one_more_pass_not_one_per_version(tmp_path, lines,
                                                                                          monkeypatch, bad_versions):
    records = [dict(lines[number % len(lines)], id=f"{number:020x}", version=1, previous_sha1="") for number in range(50)]
    edited = [dict(records[0], version=version, body=f"version {version}") for version in range(2, bad_versions + 2)]
    encoded = [encode_line(record) for record in records + edited]
    for number in range(len(records), len(encoded)):  # every edit of the first article is unreadable
        encoded[number] = encoded[number].replace(b'"http_status":200', b'"http_status":200.0')
    articles = tmp_path / "archive" / "articles"
    articles.mkdir(parents=True)
    (articles / "rusislam-1.jsonl").write_bytes(b"".join(encoded))
    blocks = len(list(block_ranges(article_files(tmp_path / "archive"), 4096)))
    reads = []
    read_lines = identities.read_lines
    monkeypatch.setattr(identities, "read_lines", lambda *args, **options: reads.append(1) or read_lines(*args, **options))
    table = pa.concat_tables(export_tables(article_files(tmp_path / "archive"), block_bytes=4096))
    assert sorted(table["id"].to_pylist()) == [record["id"] for record in records]
    assert table.filter(pc.equal(table["id"], records[0]["id"]))["version"].to_pylist() == [1]
    assert len(reads) == 2 * blocks  # the choice, and one look for the article's other lines


@pytest.mark.parametrize("block_bytes", [1, 5, 100, 1 << 20])
def test_a_byte_order_mark_and_a_last_line_without_its_newline_lose_no_article(tmp_path, lines, caplog, block_bytes):
    """Files written by other tools (an editor's UTF-8 BOM, no newline after the last line) are read whole;
    a last line cut short (a crash) is still left out and named."""
    records = [dict(line, id=f"{number:020x}", version=1, previous_sha1="") for number, line in enumerate(lines[:4], 1)]
    encoded = [encode_line(record) for record in records]
    articles = tmp_path / "archive" / "articles"
    articles.mkdir(parents=True)
    (articles / "rusislam-1.jsonl").write_bytes(codecs.BOM_UTF8 + encoded[0] + encoded[1].rstrip(b"\n") + b"\r")
    (articles / "rusislam-2.jsonl").write_bytes(encoded[2] + encoded[3][:-9])
    files = article_files(tmp_path / "archive")
    for all_versions in (False, True):
        table = pa.concat_tables(export_tables(files, all_versions=all_versions, block_bytes=block_bytes))
        assert table["id"].to_pylist() == [record["id"] for record in records[:3]]
        assert table["body"].to_pylist() == [record["body"] for record in records[:3]]
    assert [raw for _path, _number, raw in iter_latest_lines(files)] == [encoded[0], encoded[1].rstrip(b"\n") + b"\r\n",
                                                                       encoded[2]]
    assert caplog.text.count("rusislam-2.jsonl: skipping a partial last line") == 3  # each first pass
    assert "rusislam-1.jsonl" not in caplog.text


@pytest.mark.parametrize("all_versions", [False, True])
def test_a_bad_line_costs_a_few_parses_of_its_block_not_one_per_line(tmp_path, lines, monkeypatch, caplog,
                                                                      all_versions):
    """A block with a bad line is parsed in halves down to that line (it was read line by line: 2 ms a
    line, and hundreds of MB of one-row tables); blank lines are skipped before parsing."""
    import archive.export as export_module

    records = [dict(lines[number % len(lines)], id=f"{number:020x}", version=1, previous_sha1="")
               for number in range(400)]
    encoded = [encode_line(record) for record in records]
    encoded[150] = encoded[150].replace(b'"http_status":200', b'"http_status":200.5')  # no int32
    articles = tmp_path / "archive" / "articles"
    articles.mkdir(parents=True)
    blank_between = b"\n".join(encoded[:300]) + b"\n"  # a blank line after each of the first 300
    (articles / "rusislam-1.jsonl").write_bytes(blank_between + b"".join(encoded[300:]))
    parses = []
    to_export_table = export_module.to_export_table
    monkeypatch.setattr(export_module, "to_export_table", lambda data: parses.append(len(data)) or to_export_table(data))
    table = pa.concat_tables(export_tables(article_files(tmp_path / "archive"), all_versions=all_versions))
    assert table["id"].to_pylist() == [record["id"] for number, record in enumerate(records) if number != 150]
    assert caplog.text.count("skipping a line") == 1 and "rusislam-1.jsonl:301: skipping a line" in caplog.text  # 150 blank lines before
    assert len(parses) <= 2 * 9 + 1 and sum(parses) <= 4 * sum(map(len, encoded))  # about 3x by halves


def test_a_read_error_reaches_the_caller_and_stopping_early_ends_the_reader(archive, monkeypatch):
    import archive.export as export_module

    before = threading.active_count()
    tables = export_tables(article_files(archive), all_versions=True, block_bytes=200, group_bytes=1)
    assert next(tables).num_rows == 1
    tables.close()  # the caller stops: the reading thread ends too
    assert threading.active_count() == before

    read_lines = export_module.read_lines

    def failing_lines(path, start, stop, **options):
        if start:
            raise OSError(f"{path}: Input/output error")
        return read_lines(path, start, stop, **options)

    monkeypatch.setattr(export_module, "read_lines", failing_lines)
    with pytest.raises(OSError, match="Input/output error"):
        list(export_tables(article_files(archive), all_versions=True, block_bytes=200))
    assert threading.active_count() == before


@pytest.mark.parametrize("seed", range(6))
def test_blocks_hold_each_whole_line_once_whatever_the_block_size(tmp_path, caplog, seed):
    """Blocks are byte ranges read by separate threads: each line belongs to the block its first byte
    is in, however lines and ranges fall (empty lines, lines longer than a range or than the read past
    a range's end, a range inside one line), and a partial last line is left out and named once."""
    rng = random.Random(seed)
    longest = [70_000, 200_000] if seed < 3 else []  # longer than the read past a range's end (64 KB)
    lengths = [rng.choice([0, 1, 2, 30, 199, 200, 201, 5000, *longest]) for _ in range(rng.randint(1, 40))]
    lines = [bytes(rng.choices(b"abc ", k=length)) + b"\n" for length in lengths]
    partial = b"{\"id\":\"cut" if seed % 2 else b""
    path = tmp_path / "lines.jsonl"
    path.write_bytes(b"".join(lines) + partial)
    small = path.stat().st_size < 20_000
    for size in ((1, 7) if small else ()) + (200, 4096, 1 << 20):
        caplog.clear()
        read, starts = [], []
        for block in block_ranges([path], size):
            lines_read = read_lines(block.path, block.start, block.stop)
            assert len(lines_read.ends) == bytes(lines_read.data).count(b"\n")
            read.append(bytes(lines_read.data))
            starts += (lines_read.starts() + lines_read.offset).tolist()
        assert b"".join(read) == b"".join(lines), size
        assert starts == [sum(lengths[:index]) + index for index in range(len(lines))], size
        assert caplog.text.count("skipping a partial last line") == (1 if partial else 0), size


@pytest.mark.parametrize("seed", range(4))
def test_the_latest_choice_is_the_same_however_blocks_and_cuts_fall(tmp_path, monkeypatch, seed):
    """The best line of each id (highest version, then the later line) is found in blocks read by
    threads and cut to one row per id as they come: with blocks of a few lines and a cut every few
    rows, lines of another key order among them, the choice is the one read from every line at once."""
    rng = random.Random(seed)
    ids = [f"{number:020x}" for number in range(12)]
    paths, best = [], {}
    for file_index in range(3):
        path, offset, data = tmp_path / f"run-{file_index}.jsonl", 0, b""
        for _ in range(rng.randint(0, 60)):
            record = {"id": rng.choice(ids), "body": "x" * rng.randint(0, 300), "version": rng.randint(1, 4),
                      "previous_sha1": ""}
            line = encode_line(record) if rng.random() < 0.8 else json.dumps(record, sort_keys=True).encode() + b"\n"
            if rng.random() < 0.1:
                line = b"\n" + line  # a blank line before it
                offset += 1
            key = (record["version"], file_index, offset)
            best[record["id"]] = max(best.get(record["id"], key), key)
            data += line
            offset += len(line.lstrip(b"\n"))
        path.write_bytes(data)
        paths.append(path)
    expected = [sorted(offset for version, file, offset in best.values() if file == index) for index in range(3)]
    monkeypatch.setattr(identities, "CUT_ROWS", rng.randint(1, 8))
    for block_bytes in (97, 400, 1 << 20):
        assert [offsets.tolist() for offsets in latest_line_offsets(paths, block_bytes)] == expected, block_bytes


def test_a_parquet_export_does_not_import_pandas(archive, tmp_path):
    """pyarrow imports pandas the first time it converts Python values, to ask whether they are pandas'
    (a third of a second of the export's start): the export builds its constants without it."""
    shown = subprocess.run([sys.executable, "-X", "importtime", "-m", "crawler.cli", "export", str(archive), "-o",
                            str(tmp_path / "ar.parquet"), "--language", "ar,ru", "--since", "2020-01-01",
                            "--until", "2030-12-31"], capture_output=True, cwd=ROOT, text=True)
    assert shown.returncode == 0, shown.stderr
    imported = {line.rsplit("|", 1)[-1].strip() for line in shown.stderr.splitlines() if line.startswith("import time:")}
    assert "pyarrow.parquet" in imported and "pandas" not in imported
    assert pq.read_metadata(tmp_path / "ar.parquet").num_rows > 0


def test_csv_lists_are_json_arrays_whatever_their_items_hold(tmp_path):
    """CSV has no list type: categories, tags and translations are JSON arrays, built by pyarrow;
    quotes, backslashes, other scripts, nulls, empty lists and control characters all read back."""
    tags = [["a", 'q"uote', "back\\slash", "тег", "وسم"], [], None, ["tab\there", "line\nbreak"], ["x"]]
    translations = [[{"language": "ar", "url": 'https://x/"y'}], [], None, [{"language": None, "url": "u"}],
                    [{"language": "ru", "url": "https://x/\\z"}]]
    table = EXPORT_SCHEMA.empty_table().to_pydict()
    for name in table:
        table[name] = [None] * len(tags)
    table.update(id=[f"{number:020x}" for number in range(len(tags))], tags=tags, categories=tags[::-1],
                 translations=translations)
    path = tmp_path / "lists.csv"
    with open(path, "wb") as stream:
        writer = WRITERS["csv"](stream)
        for start in (0, 3):  # the tab and the newline (JSON escapes) are in the second table only
            writer.write(pa.Table.from_pydict(table, schema=EXPORT_SCHEMA).slice(start, 3))
        writer.close()
    frame = pd.read_csv(path, dtype=str, keep_default_na=False)
    rows = list(range(3)) + list(range(3, 5))
    for name, expected in (("tags", tags), ("categories", tags[::-1]), ("translations", translations)):
        assert [json.loads(text) if text else None for text in frame[name]] == [expected[row] for row in rows]

"""Language of an article: what the page declares, and what its text is.

langdetect is random by design (it samples n-grams); a corpus must give the same label to the
same text on every run, so the detector is seeded, and its profiles (slow to load) are loaded
once per process. Only a bounded sample from the middle of the body is read: headlines,
bylines and footers at the edges are the least representative part, and cost stays flat.

langdetect's character-by-character Python loops cost more than the crawl's parsing, so its
``Detector`` runs here with those loops rewritten (``_fast_detector_class``): same profiles,
same seeded random draws, same floating-point operations in the same order, hence the very
same probabilities as ``langdetect.Detector`` (tests/test_extract_fast_paths.py compares them).
"""

from __future__ import annotations

import json
import os
import re
import threading
from array import array
from collections import Counter
from typing import Any
from urllib.parse import urlsplit

SAMPLE_CHARS = 1000
MIN_LETTERS = 20
MIN_PROBABILITY = 0.5
SEED = 0

_factory_lock = threading.Lock()
_factory: Any = None


def _detector_factory() -> Any:
    global _factory
    if _factory is None:
        with _factory_lock:
            if _factory is None:
                from langdetect import DetectorFactory, detector_factory

                factory = DetectorFactory()
                factory.word_lang_prob_map = CompactProfiles.load(factory, detector_factory.PROFILES_DIRECTORY)
                factory.seed = SEED
                _factory = factory
    return _factory


def load_language_profiles() -> None:
    """Load langdetect's profiles now rather than on the first text long enough to detect."""
    _detector_factory()


class CompactProfiles(dict):
    """langdetect's n-gram -> [probability per language] table, stored sparse.

    langdetect keeps a list of 55 floats for each of its 87,598 n-grams, nearly all zeros: 62 MB
    of every process that detects languages. Here each n-gram maps to where its non-zero
    probabilities lie in two flat arrays (language indices, and the same float64 values): about
    a fifth of the memory. ``dense`` rebuilds an n-gram's list value for value (memoised for the
    n-grams text keeps using); membership (``ngram in profiles``) is the dict's own. Only
    ``_fast_detector_class`` reads it; tests/test_extract_fast_paths.py checks it against
    langdetect's own table.
    """

    _DENSE_MEMO = 20_000

    @classmethod
    def load(cls, factory: Any, directory: str) -> "CompactProfiles":
        """``DetectorFactory.load_profile`` (same files, order, checks and arithmetic, languages
        appended to ``factory.langlist``), written straight into flat arrays: the dense table is
        never built, so its memory is never taken."""
        from langdetect.lang_detect_exception import ErrorCode, LangDetectException
        from langdetect.utils.lang_profile import LangProfile

        files = os.listdir(directory)
        if not files:
            raise LangDetectException(ErrorCode.NeedLoadProfileError, "Not found profile: " + directory)
        ids: dict[str, int] = {}  # n-gram -> number, in first-seen order
        entry_ngram, entry_language, entry_value = array("I"), array("B"), array("d")
        index = 0
        for name in files:
            path = os.path.join(directory, name)
            if name.startswith(".") or not os.path.isfile(path):
                continue
            with open(path, encoding="utf-8") as stream:
                profile = LangProfile(**json.load(stream))
            if profile.name in factory.langlist:
                raise LangDetectException(ErrorCode.DuplicateLangError, "Duplicate the same language profile.")
            factory.langlist.append(profile.name)
            for ngram in profile.freq:
                number = ids.setdefault(ngram, len(ids))
                length = len(ngram)
                if 1 <= length <= 3:  # langdetect's add_profile, to the same float
                    entry_ngram.append(number)
                    entry_language.append(index)
                    entry_value.append(1.0 * profile.freq.get(ngram) / profile.n_words[length - 1])
            index += 1
        return cls(ids, entry_ngram, entry_language, entry_value, languages=len(files))

    def __init__(self, ids: dict[str, int], entry_ngram: array, entry_language: array, entry_value: array, *,
                 languages: int):
        super().__init__()
        if languages > 255:  # indices are stored in bytes, a count per n-gram in 8 bits
            raise ValueError(f"{languages} language profiles: at most 255 can be stored compactly")
        self.languages = languages
        counts = Counter(entry_ngram)
        starts, total = array("I", bytes(4 * len(ids))), 0
        for number in range(len(ids)):
            starts[number] = total
            total += counts[number]
        self._index, self._value = array("B", bytes(total)), array("d", bytes(8 * total))
        cursor = array("I", starts)
        for at in range(len(entry_ngram)):  # entries grouped by n-gram, in language order
            number = entry_ngram[at]
            self._index[cursor[number]], self._value[cursor[number]] = entry_language[at], entry_value[at]
            cursor[number] += 1
        for ngram, number in ids.items():
            self[ngram] = (starts[number] << 8) | counts[number]
        self._dense: dict[str, list[float]] = {}

    def dense(self, ngram: str) -> list[float]:
        found = self._dense.get(ngram)
        if found is None:
            packed = dict.__getitem__(self, ngram)
            found = [0.0] * self.languages
            for at in range(packed >> 8, (packed >> 8) + (packed & 0xFF)):
                found[self._index[at]] = self._value[at]
            if len(self._dense) >= self._DENSE_MEMO:
                self._dense.clear()
            self._dense[ngram] = found
        return found


_fast_class: Any = None


def _fast_detector_class() -> Any:
    """``langdetect.Detector`` with its per-character loops done by regexes, a memo of
    normalised characters and list comprehensions; results identical to the original."""
    global _fast_class
    if _fast_class is not None:
        return _fast_class
    from langdetect.detector import Detector
    from langdetect.lang_detect_exception import ErrorCode, LangDetectException
    from langdetect.utils.ngram import NGram

    normalized: dict[str, str] = {}  # character -> NGram.normalize(character)
    spaces = re.compile(" {2,}")
    latin = re.compile("[A-z]")  # 'A' <= ch <= 'z', as langdetect counts Latin
    # ch >= U+0300 outside the Latin Extended Additional block (U+1E00-U+1EFF)
    non_latin = re.compile("[\u0300-\u1dff\u1f00-\U0010ffff]")

    # word -> its n-grams found in the profiles: one profile set per process (_detector_factory)
    word_memo: dict[str, list[str]] = {}

    def word_ngrams(known: dict, word: str) -> list[str]:
        """langdetect's n-grams of one word (and its closing space), window starting empty."""
        found = word_memo.get(word)
        if found is not None:
            return found
        found = []
        grams, capital = " ", False
        for ch in word:
            last = grams[-1]
            if last == " ":
                grams, capital = " ", False
                if ch == " ":
                    continue
            elif len(grams) >= NGram.N_GRAM:
                grams = grams[1:]
            grams += ch
            if ch.isupper():
                if last.isupper():
                    capital = True
            else:
                capital = False
            if capital:
                continue
            if ch != " " and ch in known:
                found.append(ch)
            if len(grams) >= 2:
                gram = grams[-2:]
                if gram in known:
                    found.append(gram)
                if len(grams) >= 3 and grams in known:
                    found.append(grams)
        if len(word_memo) >= 20_000:
            word_memo.clear()
        word_memo[word] = found
        return found

    class FastDetector(Detector):
        def append(self, text):
            text = self.URL_RE.sub(" ", text)
            text = self.MAIL_RE.sub(" ", text)
            text = NGram.normalize_vi(text)
            # langdetect keeps a character unless it is a space following a space
            self.text += spaces.sub(" ", text[:self.max_text_length])

        def cleaning_text(self):
            if len(latin.findall(self.text)) * 2 < len(non_latin.findall(self.text)):
                self.text = latin.sub("", self.text)

        def _extract_ngrams(self):
            # langdetect's n-gram window restarts after every (normalised) space, so the text's
            # n-grams are those of its words, each read with the space that ends it.
            for ch in set(self.text) - normalized.keys():
                normalized[ch] = NGram.normalize(ch)
            words = "".join([normalized[ch] for ch in self.text]).split(" ")
            result = []
            last = len(words) - 1
            for index, word in enumerate(words):
                if word:
                    result += word_ngrams(self.word_lang_prob_map, word + " " if index < last else word)
            return result

        def _detect_block(self):
            for _ in self._trials():
                pass

        def best_language(self, min_probability: float) -> str | None:
            """The language ``get_probabilities`` ranks first when its probability is at least
            ``min_probability``, else None. Trials stop as soon as the ones left cannot change
            that answer (each adds at most 1 / n_trial to a language): a clear text runs 4 of
            langdetect's 7 trials, with the very same draws, for the very same answer."""
            for done in self._trials():
                left = (self.n_trial - done) / self.n_trial + 1e-9
                ranked = sorted(range(len(self.langprob)), key=self.langprob.__getitem__, reverse=True)
                first, second = (self.langprob[i] for i in ranked[:2])
                if first >= min_probability and first - second > left:
                    return self.langlist[ranked[0]]
                if first + left < min_probability:
                    return None
            best = max(self._sort_probability(self.langprob), key=lambda p: p.prob, default=None)
            return best.lang if best is not None and best.prob >= min_probability else None

        def _trials(self):
            """langdetect's ``_detect_block``, yielding the number of trials done after each."""
            self.cleaning_text()
            ngrams = self._extract_ngrams()
            if not ngrams:
                raise LangDetectException(ErrorCode.CantDetectError, "No features in text.")
            # Rows are looked up as they are drawn (a few hundred draws; a text has more n-grams).
            row = self.word_lang_prob_map.dense
            self.langprob = [0.0] * len(self.langlist)
            self.random.seed(self.seed)
            choice = self.random.choice
            for trial in range(self.n_trial):
                prob = self._init_probability()
                alpha = self.alpha + self.random.gauss(0.0, 1.0) * self.ALPHA_WIDTH
                weight = alpha / self.BASE_FREQ
                # langdetect multiplies in one n-gram per step and normalises after step 0, 5,
                # 10...: the five steps between two normalisations are one pass here, with the
                # same products in the same order (and the same random draws).
                # The normalisation is folded into the next pass (p / total, then the products);
                # the largest normalised value is the largest value divided by the total, since
                # division by a positive number keeps the order.
                prob = [p * (weight + q) for p, q in zip(prob, row(choice(ngrams)))]
                step = 0
                while True:
                    total = sum(prob)
                    if max(0.0, *prob) / total > self.CONV_THRESHOLD or step >= self.ITERATION_LIMIT:
                        prob = [p / total for p in prob]
                        break
                    a, b, c, d, e = [row(choice(ngrams)) for _ in range(5)]
                    prob = [p / total * (weight + qa) * (weight + qb) * (weight + qc) * (weight + qd) * (weight + qe)
                            for p, qa, qb, qc, qd, qe in zip(prob, a, b, c, d, e)]
                    step += 5
                self.langprob = [sum_p + p / self.n_trial for sum_p, p in zip(self.langprob, prob)]
                yield trial + 1

    _fast_class = FastDetector
    return _fast_class


def detect_language(text: str) -> str | None:
    """ISO 639-1 code of the text's language, or None when too short or undecidable."""
    if not text:
        return None
    sample = language_sample(text)
    if sum(map(str.isalpha, sample)) < MIN_LETTERS:
        return None
    from langdetect.lang_detect_exception import LangDetectException

    detector = _fast_detector_class()(_detector_factory())
    detector.append(sample)
    try:
        return primary_subtag(detector.best_language(MIN_PROBABILITY))
    except LangDetectException:
        return None


def language_sample(text: str, limit: int = SAMPLE_CHARS) -> str:
    """At most ``limit`` characters: whole paragraphs from the middle of the text outwards."""
    if len(text) <= limit:
        return text
    paragraphs = [p.strip() for p in re.split(r"\n+", text) if p.strip()]
    if len(paragraphs) <= 1:
        middle = len(text) // 2
        return text[max(0, middle - limit // 2): middle + limit // 2]
    middle = len(paragraphs) // 2
    picked: list[tuple[int, str]] = []
    total = 0
    for offset in range(len(paragraphs)):
        index = middle + (offset + 1) // 2 * (1 if offset % 2 else -1)
        if not 0 <= index < len(paragraphs):
            continue
        paragraph = paragraphs[index][: limit - total]
        picked.append((index, paragraph))
        total += len(paragraph) + 1
        if total >= limit:
            break
    return "\n".join(p for _, p in sorted(picked))


def primary_subtag(tag: str | None) -> str | None:
    """"ar-SA", "ru_RU", "zh-cn", " EN " -> "ar", "ru", "zh", "en"; None if not a language tag."""
    if not tag:
        return None
    primary = re.split(r"[-_]", tag.strip().lower(), maxsplit=1)[0]
    return primary if re.fullmatch(r"[a-z]{2,3}", primary) else None


def declared_language(root: Any, url: str, site: Any = None) -> str | None:
    """The language the page says it is in: <html lang>/xml:lang, Content-Language meta, else
    the site's URL language prefix (longest matching prefix)."""
    if root is not None:
        rtl = _page_direction(root) == "rtl"
        for value in _declared_values(root):
            code = _LANGUAGE_NAMES.get(value.strip().lower()) or primary_subtag(value)
            if code and rtl and code not in RTL_LANGUAGES:
                # CMS default left in place (WordPress 'en-US' on an Arabic dir=rtl page).
                continue
            if code:
                return code
    return language_of_url(url, site)


RTL_LANGUAGES = frozenset({"ar", "fa", "ur", "he", "yi", "ps", "ckb", "ku", "dv", "sd", "ug"})
# Names some pages put where a code belongs (<meta name="language" content="Arabic">).
_LANGUAGE_NAMES = {
    "arabic": "ar", "russian": "ru", "english": "en", "العربية": "ar", "русский": "ru",
    "persian": "fa", "farsi": "fa", "turkish": "tr", "french": "fr", "german": "de",
}


def _page_direction(root: Any) -> str:
    try:
        html = root.getroottree().getroot()
    except AttributeError:
        return ""
    return (html.get("dir") or "").strip().lower()


def _declared_values(root: Any) -> list[str]:
    values = []
    try:
        html = root.getroottree().getroot()
    except AttributeError:
        html = None
    if html is not None:
        values += [html.get("lang"), html.get("{http://www.w3.org/XML/1998/namespace}lang"), html.get("xml:lang")]
    for meta in root.iter("meta"):
        key = (meta.get("http-equiv") or meta.get("name") or meta.get("property") or "").strip().lower()
        if key in ("content-language", "language", "dc.language", "og:locale"):
            # Content-Language may list several ("ar, en"): the first is the main one.
            values.append((meta.get("content") or "").split(",")[0])
    return [v for v in values if v]


def language_of_url(url: str, site: Any) -> str | None:
    """The language whose prefix (e.g. /ar/) is the longest one the URL path starts with."""
    languages = getattr(site, "languages", None)
    if not url or not languages:
        return None
    try:
        path = urlsplit(url).path or "/"
    except ValueError:
        return None
    best = None
    for code, language in languages.items():
        prefix = language.prefix
        if path.startswith(prefix) or path + "/" == prefix:
            if best is None or len(prefix) > len(languages[best].prefix):
                best = code
    return best

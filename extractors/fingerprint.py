"""Near-duplicate fingerprints: normalized text -> shingle hashes -> MinHash signatures -> LSH band keys.

Text in scripts written without spaces (Chinese, Japanese, Thai, Lao, Khmer, Myanmar) is shingled by characters,
everything else by words, chosen per article by its script mix (`shingle_scheme`).

Signatures are bit-identical to `datasketch.MinHash` (scheme "affine32", the 2.0 default) fed the same
shingles with `hashfunc=shingle_hash`, but computed for a whole batch at once with numpy. Pure: no I/O, no
database, no Prefect; the index that remembers signatures across runs is storage/dedup.py.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass
from functools import lru_cache
from typing import Literal

import numpy as np
import numpy.typing as npt
import xxhash

U32 = npt.NDArray[np.uint32]
U64 = npt.NDArray[np.uint64]
Scheme = Literal["word", "char"]

# datasketch's value for "no shingle seen yet" under affine32: what an empty document's signature holds.
EMPTY_HASH = np.uint32(0xFFFFFFFF)
# Multiplier that folds the word hashes of one shingle into a single polynomial hash (odd, so wrap-around
# mod 2^64 keeps it invertible).
_FOLD = np.uint64(0x9E3779B97F4A7C15)
# Permutation rows x shingles per numpy block: 2^20 uint32 = 4 MiB. Measured on the 2-core EPYC (1 MiB L2,
# 8 MiB L3): 6-8k shingles per block ran at ~20k docs/s, 2k at ~7k docs/s (Python overhead per block),
# 16k+ at ~10k docs/s (spills out of cache).
_BLOCK_ELEMENTS = 1 << 20
# Mixed into a character's code point before it is folded into a shingle, so character and word hashes differ.
_CHAR_SALT = np.uint64(0xC2B2AE3D27D4EB4F)
_MAX_NUM_PERM = 1024


# Estimated Jaccard that two short texts (fewer than min_shingles shingles) need to be copies of one story.
# Newsroom dev world, 2026-11: templated briefs about different events score 0.58-0.66.
SHORT_TEXT_THRESHOLD = 0.85

# Scripts written without spaces between words: Han, kana, Thai, Lao, Myanmar, Khmer. Whitespace cuts such text
# into a few phrase-long "words" (a Chinese story gave 8 word shingles), so it is shingled by characters.
_UNSPACED = re.compile(
    "[\u0e00-\u0eff\u1000-\u109f\u1780-\u17ff\u3040-\u30ff\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff\U00020000-\U0003134f]"
)
# The same class as a pattern string (literal characters) that DuckDB's regexp_matches also accepts.
UNSPACED_PATTERN = _UNSPACED.pattern
# An article is shingled by characters when at least this share of its non-space characters is unspaced script
# (Japanese and Chinese prose: 0.85-1.0; an English story quoting a Chinese name: < 0.01). Hangul is spaced and
# stays with words: on 60 Korean GNOME help pages (2026-12) templated pages on one topic reached J = 0.31 and
# containment 0.57 as character 4-grams but 0.13 / 0.29 as word 5-grams, and edited copies kept J >= 0.36.
CHAR_SCHEME_SHARE = 0.3
# Character n-gram length. Measured 2026-12 on 30 Chinese and 30 Japanese GNOME help pages (CC BY-SA, the test
# corpus), each against an edited copy (a 2-character span replaced per 25 characters) and its nearest other
# page (hardest same-topic negative), exact Jaccard / containment:
#   n   zh edited J, C (min)   zh negative J, C (max)   ja edited J, C (min)   ja negative J, C (max)
#   2   0.65  0.81             0.11  0.28               0.68  0.87             0.32  0.59
#   3   0.57  0.74             0.05  0.14               0.61  0.80             0.26  0.50
#   4   0.50  0.67             0.03  0.08               0.56  0.75             0.22  0.44
#   5   0.44  0.61             0.02  0.06               0.51  0.70             0.20  0.40
# 4 keeps every edited copy above the containment rule and the templated Japanese pages 0.21 below it; Thai
# and Khmer spell a word with more code points than Chinese, so 4 is also the safer side for them.
CHAR_SHINGLE_SIZE = 4
# How shingles are made, oldest first: a name goes into every signature's params key. The last is what new
# indexes use; an index made under older rules keeps them until `copydesk rebuild-clusters` re-signs it
# (storage/dedup.py), so a desk that upgrades keeps matching its past. Add a name whenever shingles change.
#   script1  words are the whitespace-separated tokens of normalize_text; unspaced scripts by characters
#   words2   a token without a letter or digit is not a word: "|" of a table row rendered as text, a bullet,
#            a spaced dash. A table copied as plain paragraphs had J = 0.04-0.07 with its original (newsroom
#            NASCAR standings, "| 1 | Kyle Busch | 5040 |" against "1 Kyle Busch 5040"), 0.42-0.94 without them.
#   words3   a word loses the punctuation at its edges ("है।", "«mot»" and "mot" are one word), every decimal digit
#            is read as ASCII ("४८०" is "480"), and datelines in Cyrillic or Greek capitals, EFE's "(EFE).-" and
#            Chinese wire datelines ("新华社上海5月14日电(记者王磊)") go like Latin ones. A review's copies,
#            2026-12: a Hindi PTI story in another house style (a space before "।", Devanagari digits) with
#            ordinary edits had J 0.32 / C 0.53 (missed), French « x » against «x» cost 0.24 of J, and short
#            Russian, Spanish and Chinese briefs with their agency's dateline were missed.
#   words4   spellings a copy may differ in are one: Arabic short vowels, shadda, sukun and tatweel go, alef with
#            hamza or madda is alef, alef maqsura and Persian yeh are yeh, Persian kaf is kaf; Russian ё is е;
#            Vietnamese tone marks over "oa", "oe" and "uy" sit on the first vowel (hoà is hòa); an en or em dash
#            between two words is a spaced one ("word—word" was one word). A review's pairs, 2026-12: an Arabic
#            copy with 25 diacritics added had J 0.32 / C 0.44 with its original (missed), one with 13 tatweels
#            0.39 / 0.55; a Vietnamese copy in the other tone style cut to 60 % had C 0.60 (missed); one unspaced
#            em dash cost a copy 0.03-0.05 of its containment.
SHINGLE_RULES_HISTORY = ("script1", "words2", "words3", "words4")
_BEFORE_WORDS3 = frozenset(SHINGLE_RULES_HISTORY[:2])  # rules that keep edge punctuation, digits and datelines
_BEFORE_WORDS4 = frozenset(SHINGLE_RULES_HISTORY[:3])  # rules that keep the spellings words4 folds
SHINGLE_RULES = SHINGLE_RULES_HISTORY[-1]
# Match rule for edited copies: an edited copy of a mid-length story (70-250 shingles) kept J = 0.37-0.42 and
# containment 0.60-0.65 (issue 17, Arabic/Russian/Spanish), under both rules above. Same-topic stories stay far
# below both figures: newsroom dev world (2026-12) same-topic pairs J <= 0.07, containment <= 0.18, follow-ups
# <= 0.02 / 0.07; the nearest other GNOME help page in 8 languages reached containment 0.44-0.73 only where
# pages share whole paragraphs of instructions (English, German: J 0.18-0.33). Both figures must hold, so a
# follow-up that quotes half of a short story (containment 0.5) still stays apart.
EDITED_JACCARD = 0.3
EDITED_CONTAINMENT = 0.55
# ... and only for texts of twice the short-text size or more (60 word shingles, ~65 words): its evidence is
# mid-length stories. A brief just past the short-text rule shares a template's sentences with another town's
# brief ("A fire broke out at a warehouse in Tampere on Thursday" / "in Bilbao on Wednesday": 30 shingles each,
# J 0.43, C 0.60, a held-out newsroom world, 2026-12), while same-story pairs of 30-60 shingles in four
# newsroom worlds (62) all pass the first two rules.
EDITED_MIN_FACTOR = 2
# A copy states its original's numbers. Stories written from one template (an earthquake's magnitude and depth,
# lottery numbers, prices, a weather report) share most of their words and differ in their numbers: a review's
# templates in 8 languages, 2026-12, had J 0.24-0.61 / C 0.51-0.74 and 15 of 20 passed the rules above, as did
# Thai and Chinese gold-price and weather reports (J 0.48-0.82 in character shingles); their numbers agree
# 0-46 %. Two near-duplicates that each state MIN_NUMBERS numbers or more are copies only if NUMBERS_SHARE of the
# smaller set is in the larger: every copy the two reviews' pairs found (574 of 621: edits, cuts, house styles,
# other datelines) and all 377 matching pairs of Readability's and ScrapingHub's real pages pass.
# Not two (tried 2026-12-07): automated game recaps state only their score and still merge ("21-14" / "28-7"), but
# at two a wire update whose both figures change ("killed 12, injured 30" -> "15, 41": J 0.80) and copies that
# write a number otherwise ("5 p.m." / "5:00 p.m.", "1 500" / "1500", "Rs 1.5 lakh" / "1,50,000") split.
MIN_NUMBERS = 3
NUMBERS_SHARE = 0.5


@dataclass(frozen=True, slots=True)
class DedupParams:
    """Everything that makes two signatures comparable, plus the rule that turns a candidate into a match."""

    num_perm: int = 128
    shingle_size: int = 5
    char_shingle_size: int = CHAR_SHINGLE_SIZE
    # Match rule, part 1: estimated Jaccard at or above `threshold`. 0.5, not the usual 0.8: with 5-word
    # shingles two different news stories share almost no shingles (J < 0.1, follow-ups with one shared
    # background paragraph ~0.05-0.15), while edited syndicated copies keep J = 0.5-0.9.
    threshold: float = 0.5
    seed: int = 1
    # Match rule, part 2: a trimmed copy (short version of a long story) is a duplicate when most of its
    # shingles occur in the longer one, whatever its Jaccard. Newsroom dev world, 2026-11: 98% of same-story
    # pairs have containment >= 0.66 (edits and word swaps break some shingles); follow-ups and same-topic
    # stories reach 0.22, and a follow-up quoting half of a short story would reach 0.5.
    containment_threshold: float = 0.65
    min_shingles: int = 30
    # The short-text rule in character shingles: 60 characters are ~30 words of Chinese or Japanese.
    char_min_shingles: int = 60
    # LSH banding is tuned for a lower similarity than the match rule, because an edited copy cut to 40% of
    # its story has J ~0.25-0.4 and the containment rule only sees pairs that LSH proposed. The optimizer
    # gives 51 bands x 2 rows. The S-curve P(J) = 1 - (1 - J^r)^b, re-derived for issue 20 (archive scale):
    #   b x r     J=0.001   0.01     0.05    0.1     0.2     0.25    0.3     0.4     0.5
    #   51 x 2    5.1e-5    0.0051   0.12    0.40    0.875   0.963   0.992   1.0     1.0
    #   64 x 2    6.4e-5    0.0064   0.15    0.47    0.93    0.984   0.998   1.0     1.0
    #   42 x 3    4.2e-8    4.2e-5   0.005   0.041   0.29    0.48    0.68    0.94    0.996
    #   32 x 4    3.2e-11   3.2e-7   2e-4    0.003   0.05    0.12    0.23    0.56    0.87
    # Measured: different-story pairs of the newsroom worlds collide at 5e-5 (J ~0.001 on the curve), so
    # against 10M stored a new article meets ~500 strangers at 51 x 2. Three rows would cut that 1000-fold
    # but keep only 48% of truncated copies at J = 0.25 (96% now), so the layout stays: strangers are dropped
    # after the lookup by their 8-bit sketches (storage/dedup._may_match, 128 bytes compared, nothing loaded).
    candidate_threshold: float = 0.15
    # One of SHINGLE_RULES_HISTORY: storage/dedup.py signs with the older rules an index was made with.
    shingle_rules: str = SHINGLE_RULES

    def __post_init__(self) -> None:
        if self.shingle_rules not in SHINGLE_RULES_HISTORY:
            raise ValueError(
                f"shingle_rules={self.shingle_rules!r} is unknown; use one of {', '.join(SHINGLE_RULES_HISTORY)}"
            )
        _check_int("num_perm", self.num_perm, 2, _MAX_NUM_PERM, "128 is the default; use 64-512")
        _check_int("shingle_size", self.shingle_size, 1, 32, "use 3-9 words; 5 is the default")
        _check_int("char_shingle_size", self.char_shingle_size, 1, 32, f"{CHAR_SHINGLE_SIZE} characters is the default")
        _check_int("seed", self.seed, 0, 2**32 - 1, "use the seed the stored signatures were made with")
        _check_int("min_shingles", self.min_shingles, 0, 2**31, "use about 30")
        _check_int("char_min_shingles", self.char_min_shingles, 0, 2**31, "use about 60")
        for name, example in (
            ("threshold", 0.5),
            ("containment_threshold", 0.9),
            ("candidate_threshold", 0.15),
        ):
            value = getattr(self, name)
            if isinstance(value, bool) or not isinstance(value, int | float) or not 0 < value < 1:
                raise ValueError(f"{name}={value!r} is outside (0, 1); pass a Jaccard similarity such as {example}")
        if self.candidate_threshold > self.threshold:
            raise ValueError(
                f"candidate_threshold={self.candidate_threshold} is above threshold={self.threshold}; "
                "LSH would never propose some pairs the match rule accepts"
            )
        if self.bands < 2:
            raise ValueError(
                f"candidate_threshold={self.candidate_threshold} with num_perm={self.num_perm} gives "
                f"{self.bands} LSH band (datasketch needs at least 2); lower it or raise num_perm"
            )

    @property
    def bands(self) -> int:
        """Number of LSH bands for `candidate_threshold` (datasketch's optimizer)."""
        return optimal_bands_rows(self.candidate_threshold, self.num_perm)[0]

    @property
    def rows(self) -> int:
        """Signature values per LSH band for `candidate_threshold` (datasketch's optimizer)."""
        return optimal_bands_rows(self.candidate_threshold, self.num_perm)[1]

    def is_duplicate(
        self, *, jaccard: float, containment: float, sizes: tuple[int, int], scheme: Scheme = "word"
    ) -> bool:
        """Whether a verified LSH candidate is a near-duplicate (`sizes`: shingle counts of the pair)."""
        short = self.char_min_shingles if scheme == "char" else self.min_shingles
        if min(sizes) < short:
            # Briefs of two or three sentences are often written from one template ("Rail services between
            # Lyon and the airport were suspended on Sunday..."): a different day or town is a different
            # story, yet leaves J ~0.6. Short texts must be near-exact copies.
            return jaccard >= SHORT_TEXT_THRESHOLD
        if jaccard >= self.threshold or containment >= self.containment_threshold:
            return True
        return (
            min(sizes) >= EDITED_MIN_FACTOR * short and jaccard >= EDITED_JACCARD and containment >= EDITED_CONTAINMENT
        )


# A number as written: digits of any script with the separators inside it ("41,500", "5.4", "10:30"; full-width
# "５．０" and Arabic "٥٫٤" alike).
_NUMBER_SEPARATORS = ".,:\uff0e\uff0c\uff1a\u066b\u066c"
_NUMBER = re.compile(f"\\d+(?:[{_NUMBER_SEPARATORS}]\\d+)*")
_WITHOUT_SEPARATORS = str.maketrans("", "", _NUMBER_SEPARATORS)


# A time of day on the 12-hour clock ("2:42 p.m."), which a copy may give as "14:42".
_TWELVE_HOUR = re.compile(r"\b(1[0-2]|0?[1-9])[:.]([0-5][0-9]) ?([ap])\.? ?m\b\.?", re.IGNORECASE)


def _on_24_hours(time: re.Match[str]) -> str:
    hour = int(time.group(1)) % 12 + (12 if time.group(3).lower() == "p" else 0)
    return f"{hour}:{time.group(2)}"


def numbers_of(text: str) -> frozenset[str]:
    """The numbers a text states, each as its ASCII digits without separators and leading zeros ("41,500" and
    "41500" are one, "09:15" and "9:15" too; a 12-hour time as on the 24-hour clock)."""
    text = _TWELVE_HOUR.sub(_on_24_hours, text)
    found = {number.translate(_WITHOUT_SEPARATORS) for number in _NUMBER.findall(text)}
    if not all(map(str.isascii, found)):  # Thai, full-width... digits as ASCII's
        found = {"".join(str(unicodedata.digit(c)) for c in number) for number in found}
    return frozenset(number.lstrip("0") or "0" for number in found)


def numbers_agree(a: frozenset[str], b: frozenset[str]) -> bool:
    """Whether two texts that pass the shingle rules state the same numbers (MIN_NUMBERS, NUMBERS_SHARE)."""
    smaller = min(len(a), len(b))
    return smaller < MIN_NUMBERS or len(a & b) >= NUMBERS_SHARE * smaller


def _check_int(name: str, value: object, low: int, high: int, hint: str) -> None:
    if isinstance(value, bool) or not isinstance(value, int) or not low <= value <= high:
        raise ValueError(f"{name}={value!r} must be an integer in [{low}, {high}]; {hint}")


# --- LSH parameters -------------------------------------------------------------------------------------
# Two documents with Jaccard s agree on one signature value with probability s, on a band of r values with
# s^r, and share at least one of b bands with P(s) = 1 - (1 - s^r)^b (the S-curve). Like datasketch's
# `_optimal_param`, pick the (b, r) with b*r <= num_perm minimizing
#     0.5 * ∫_0^t P(s) ds  (false-positive area)  +  0.5 * ∫_t^1 (1 - P(s)) ds  (false-negative area).
# P is a polynomial of degree b*r <= num_perm, so Gauss-Legendre with num_perm/2 + 1 nodes integrates it
# exactly: no scipy needed, and the choice matches MinHashLSH(threshold, num_perm).b/.r (tested).


@lru_cache(maxsize=64)
def optimal_bands_rows(threshold: float, num_perm: int) -> tuple[int, int]:
    """(bands, rows) that datasketch.MinHashLSH would choose for this threshold and num_perm."""
    nodes, weights = np.polynomial.legendre.leggauss(num_perm // 2 + 1)

    def integral(lo: float, hi: float, b: int, r: int, *, complement: bool) -> float:
        s = (hi - lo) / 2 * nodes + (hi + lo) / 2
        p = 1.0 - (1.0 - s**r) ** b
        return float((hi - lo) / 2 * np.dot(weights, 1.0 - p if complement else p))

    best, best_error = (0, 0), float("inf")
    for b in range(1, num_perm + 1):
        for r in range(1, num_perm // b + 1):
            fp = integral(0.0, threshold, b, r, complement=False)
            fn = integral(threshold, 1.0, b, r, complement=True)
            if 0.5 * fp + 0.5 * fn < best_error:
                best, best_error = (b, r), 0.5 * fp + 0.5 * fn
    return best


# --- Normalization and shingles -------------------------------------------------------------------------

_TYPOGRAPHY = {
    **dict.fromkeys("‘’‚‛′‵`´", "'"),
    **dict.fromkeys("“”„‟″‶«»", '"'),
    **dict.fromkeys("‐‑‒–—―−⁃⸺⸻﹘", "-"),
    # Invisible characters: soft hyphen, zero-width space/joiners, word joiner, BOM.
    **dict.fromkeys("\u00ad\u200b\u200c\u200d\u2060\ufeff", ""),
}
# A regex finds the few typographic characters ~50x faster than str.translate walks a 5 kB story.
_TYPOGRAPHIC = re.compile("[" + re.escape("".join(_TYPOGRAPHY)) + "]")
# "By Jane Doe" / "BY JANE DOE AND JOHN ROE, Reuters" on a line of its own before the story.
_BYLINE = re.compile(r"by\s[^.!?]{1,80}", re.IGNORECASE)
_BYLINE_START = re.compile(r"\s*by\s", re.IGNORECASE)
# "LONDON (Reuters) -", "NEW YORK, Nov 24 (Reuters) -", "Gaza City (AFP) -", "(CNN) -", "PARIS -".
# Both need ASCII/Latin-1 capitals, which case folding removes: normalized text never matches again.
_CAPS = "A-ZÀ-ÖØ-Þ"
_PLACE = rf"[{_CAPS}][^\s(),:;]*(?: [^\s(),:;-]+){{0,4}}"
_DATELINE = re.compile(
    rf"(?:(?:{_PLACE})(?:, [^()\-:]{{1,30}})? )?\([{_CAPS}][\w .&'-]{{0,30}}\) ?[-:] ?"
    rf"|[{_CAPS}][{_CAPS} .'/]{{1,40}}(?:, [^()\-:]{{1,30}})? - "
)
# Rules words3: Cyrillic and Greek capitals too ("МОСКВА, 14 мая (РИА Новости) -"), "(EFE).-", and the Chinese
# wire dateline, agency, place, date and "电" with the reporter in brackets (NFKC made them ASCII).
_CAPS3 = _CAPS + "А-ЯЁΑ-Ω"
_PLACE3 = rf"[{_CAPS3}][^\s(),:;]*(?: [^\s(),:;-]+){{0,4}}"
_DATELINE3 = re.compile(
    rf"(?:(?:{_PLACE3})(?:, [^()\-:]{{1,30}})? )?\([{_CAPS3}][\w .&'-]{{0,30}}\) ?\.?[-:] ?"
    rf"|[{_CAPS3}][{_CAPS3} .'/]{{1,40}}(?:, [^()\-:]{{1,30}})? - "
    r"|[^\s\d]{2,12}?\d{1,2}月\d{1,2}日电(?: ?\([^()]{1,30}\))? ?"
)


# Rules words4: an en or em dash (or a longer one) between two words, as "word—word", is spaced like " - ".
_DASH = re.compile("[\u2013\u2014\u2015\u2e3a\u2e3b\ufe58]")


def _glued_dashes_spaced(text: str) -> str:
    """Each dash between two letters or digits as " - " (found by the dash: a lookbehind tried at every character
    cost 0.2 ms a story)."""
    pieces, last = [], 0
    for match in _DASH.finditer(text):
        at = match.start()
        if 0 < at < len(text) - 1 and text[at - 1].isalnum() and text[at + 1].isalnum():
            pieces += [text[last:at], " - "]
            last = at + 1
    return "".join(pieces) + text[last:] if pieces else text


_LETTER_VARIANTS = {
    **dict.fromkeys("\u0622\u0623\u0625\u0671", "\u0627"),  # alef with madda, hamza above or below, wasla: alef
    **dict.fromkeys("\u0649\u06cc", "\u064a"),  # alef maqsura, Persian yeh: yeh
    "\u06a9": "\u0643",  # Persian kaf: kaf
    "\u0451": "\u0435",  # ё: е
    # Tatweel, the harakat (fathatan to sukun, and the marks after them) and the superscript alef: gone.
    **dict.fromkeys(["\u0640", *map(chr, range(0x064B, 0x0660)), "\u0670"], ""),
}
_LETTER_VARIANT = re.compile("[" + "".join(_LETTER_VARIANTS) + "]")
# Old-style Vietnamese tone on the second vowel of oa, oe and uy ("hoà") goes on the first ("hòa"); only in text
# with a letter of Vietnamese alone (French has "oè" in "poème", and paying for it there is pointless).
_VIETNAMESE = re.compile("[ăđơư]")
_TONE_PAIRS = {
    unicodedata.normalize("NFC", first + second + tone): unicodedata.normalize("NFC", first + tone + second)
    for first, second in (("o", "a"), ("o", "e"), ("u", "y"))
    for tone in "\u0300\u0301\u0309\u0303\u0323"  # grave, acute, hook above, tilde, dot below
}
_TONE_PAIR = re.compile("|".join(_TONE_PAIRS))


def _spellings_folded(folded: str) -> str:
    """Rules words4: the spelling variants above as one (normalized text in, normalized text out)."""
    spelled = _LETTER_VARIANT.sub(lambda m: _LETTER_VARIANTS[m.group()], folded)
    if _VIETNAMESE.search(spelled):
        spelled = _TONE_PAIR.sub(lambda m: _TONE_PAIRS[m.group()], spelled)
    return spelled if spelled == folded else " ".join(spelled.split())  # a word of tatweels leaves no double space


def normalize_text(text: str, rules: str = SHINGLE_RULES) -> str:
    """NFKC, case-folded, plain quotes and dashes, single spaces, without a leading byline or dateline (of the
    forms `rules` knows), and (from words4) spelling variants folded."""
    text = unicodedata.normalize("NFKC", text)
    if rules not in _BEFORE_WORDS4 and not text.isascii():
        text = _glued_dashes_spaced(text)
    text = _plain(text)
    if _BYLINE_START.match(text):
        lines = [line.strip() for line in text.splitlines() if line.strip()]
        while len(lines) > 1 and _BYLINE.fullmatch(lines[0]):
            del lines[0]
        text = "\n".join(lines)
    flat = " ".join(text.split())
    dateline = _DATELINE if rules in _BEFORE_WORDS3 else _DATELINE3
    while match := dateline.match(flat):
        flat = flat[match.end() :]
    folded = flat.casefold()
    # ASCII stays ASCII under casefold and NFKC, so one round is enough. Otherwise case folding can produce
    # text that is not NFKC, and NFKC can produce capitals, quotes or spaces ("ᴬ" -> "A", "㏂" -> "a.m."):
    # repeat until nothing changes (one or two rounds).
    # Rules words4 fold spellings once that is done, and go round again if they changed anything: "ё" and a
    # combining grave become "е" and the grave, which NFKC composes into "ѐ".
    words4 = rules not in _BEFORE_WORDS4
    while not folded.isascii():
        again = " ".join(_plain(unicodedata.normalize("NFKC", folded)).casefold().split())
        if again == folded and words4:
            again = _spellings_folded(folded)
        if again == folded:
            break
        folded = again
    return folded


def _plain(text: str) -> str:
    if text.isascii():
        return text
    return _TYPOGRAPHIC.sub(lambda m: _TYPOGRAPHY[m.group()], text)


def shingle_hash(shingle: bytes) -> int:
    """32-bit hash of one word shingle (UTF-8 words joined by single spaces); `hashfunc` for datasketch.MinHash."""
    acc = 0
    for word in shingle.split(b" "):
        acc = (acc * int(_FOLD) + xxhash.xxh3_64_intdigest(word)) & 0xFFFFFFFFFFFFFFFF
    return int(_fmix64(np.array([acc], dtype=np.uint64))[0] >> np.uint64(32))


def char_shingle_hash(shingle: bytes) -> int:
    """32-bit hash of one character shingle (UTF-8 text, no spaces); `hashfunc` for datasketch.MinHash."""
    acc = 0
    for code in shingle.decode():
        acc = (acc * int(_FOLD) + _char_hash(ord(code))) & 0xFFFFFFFFFFFFFFFF
    return int(_fmix64(np.array([acc], dtype=np.uint64))[0] >> np.uint64(32))


def _char_hash(code: int) -> int:
    return int(_fmix64(np.array([code], dtype=np.uint64) ^ _CHAR_SALT)[0])


def shingle_scheme(normalized: str) -> Scheme:
    """How `normalize_text` output is shingled: by characters when unspaced scripts dominate, else by words."""
    if normalized.isascii():
        return "word"
    unspaced = len(_UNSPACED.findall(normalized))
    return "char" if unspaced >= CHAR_SCHEME_SHARE * (len(normalized) - normalized.count(" ")) else "word"


def shingles(text: str, params: DedupParams) -> tuple[Scheme, U32]:
    """The scheme chosen for `text` and its sorted unique shingle hashes under `params`."""
    normalized = normalize_text(text, params.shingle_rules)
    if shingle_scheme(normalized) == "char":
        return "char", _char_hashes(_digits_folded(normalized, params.shingle_rules), params.char_shingle_size)
    return "word", _word_hashes(normalized, params.shingle_size, params.shingle_rules)


def shingle_hashes(text: str, *, size: int = 5, rules: str = SHINGLE_RULES) -> U32:
    """Sorted unique 32-bit hashes of the word `size`-grams of `normalize_text(text)`.

    Words are its whitespace-separated tokens that hold a letter or digit (under `rules` "script1", all of its
    tokens). A document shorter than `size` words gives one shingle of all its words; an empty one an empty
    array. Each value equals `shingle_hash(" ".join(words).encode())` for its n-gram.
    """
    if size < 1:
        raise ValueError(f"size={size!r} must be at least 1; 5 words is the default")
    return _word_hashes(normalize_text(text, rules), size, rules)


def char_shingle_hashes(text: str, *, size: int = CHAR_SHINGLE_SIZE) -> U32:
    """Sorted unique 32-bit hashes of the character `size`-grams of `normalize_text(text)`.

    Only letters, marks and digits count: whitespace, punctuation and symbols are dropped first, because
    copies differ in quote, bracket and full-width punctuation styles more than in words. Each value equals
    `char_shingle_hash(ngram.encode())`; a text shorter than `size` characters gives one shingle of all of it.
    """
    if size < 1:
        raise ValueError(f"size={size!r} must be at least 1; {CHAR_SHINGLE_SIZE} characters is the default")
    return _char_hashes(_digits_folded(normalize_text(text)), size)


# A token with no letter or digit in it, after its space (normalize_text leaves single spaces only). Starting with
# a literal space, the pattern runs 2.5x faster than one with lookbehinds (30 against 78 us on a 4 kB story).
_CONTENTLESS = re.compile(r" (?:[^\w ]|_)+(?= |$)")


def _word_hashes(normalized: str, size: int, rules: str = SHINGLE_RULES) -> U32:
    if rules != "script1":
        normalized = _CONTENTLESS.sub("", " " + normalized)
    normalized = _digits_folded(normalized, rules)
    if rules not in _BEFORE_WORDS3:
        leading, trailing = _edge_punctuation()
        normalized = trailing.sub("", leading.sub(" ", normalized))
    words = normalized.encode().split()
    if not words:
        return np.empty(0, dtype=np.uint32)
    # Hash each word once (the only per-item Python call), then fold n consecutive word hashes with numpy:
    # three times faster than building and hashing every shingle string.
    return _fold(np.fromiter(map(xxhash.xxh3_64_intdigest, words), dtype=np.uint64, count=len(words)), size)


# A decimal digit other than ASCII's (re's \\d is Unicode's Nd): translating every text costs 0.09 ms a story.
_OTHER_DIGIT = re.compile(r"(?![0-9])\d")


def _digits_folded(normalized: str, rules: str = SHINGLE_RULES) -> str:
    """Every decimal digit as ASCII's (rules words3 on), in word and character shingles alike: a Thai copy with
    Thai digits had J 0.70 with its original in ASCII digits."""
    if rules in _BEFORE_WORDS3 or normalized.isascii() or not _OTHER_DIGIT.search(normalized):
        return normalized
    return normalized.translate(_ascii_digits())


@lru_cache(maxsize=1)
def _ascii_digits() -> dict[int, str]:
    """Every decimal digit of the Basic Multilingual Plane but ASCII's -> its ASCII digit (built once, ~30 ms)."""
    return {c: str(unicodedata.digit(chr(c))) for c in range(128, 0x10000) if unicodedata.category(chr(c)) == "Nd"}


@lru_cache(maxsize=1)
def _edge_punctuation() -> tuple[re.Pattern[str], re.Pattern[str]]:
    """Punctuation and symbols (Unicode categories P and S) at the start and at the end of a word.

    By category, not `\\W`: Python's `\\w` leaves out combining marks, so a Hindi or Thai word ending in a vowel
    sign would lose it.
    """
    marks = "".join(chr(c) for c in range(0x10000) if unicodedata.category(chr(c))[0] in "PS")
    charset = "[" + re.escape(marks) + "]+"
    return re.compile("(?:^| )" + charset), re.compile(charset + "(?= |$)")


def _char_hashes(normalized: str, size: int) -> U32:
    codes = np.frombuffer(normalized.encode("utf-32-le"), dtype=np.uint32)
    codes = codes[_text_char_mask(codes)]
    if not len(codes):
        return np.empty(0, dtype=np.uint32)
    # Each character's hash is a bijective mix of its code point: no Python call per character.
    return _fold(_fmix64(codes.astype(np.uint64) ^ _CHAR_SALT), size)


def _fold(token_hashes: U64, size: int) -> U32:
    """Sorted unique 32-bit hashes of every run of `size` consecutive tokens (one run if there are fewer)."""
    width = min(size, len(token_hashes))
    count = len(token_hashes) - width + 1
    acc = token_hashes[:count].copy()
    for offset in range(1, width):
        acc *= _FOLD
        acc += token_hashes[offset : offset + count]
    hashes = np.sort((_fmix64(acc) >> np.uint64(32)).astype(np.uint32))
    # Sorted, so duplicates are neighbours: 4x cheaper than np.unique on a 700-shingle story.
    keep = np.empty(len(hashes), dtype=bool)
    keep[0] = True
    np.not_equal(hashes[1:], hashes[:-1], out=keep[1:])
    return hashes[keep]


@lru_cache(maxsize=1)
def _bmp_text_chars() -> npt.NDArray[np.bool_]:
    # Letters, marks (Thai vowels and tones, Devanagari matras) and digits of the Basic Multilingual Plane;
    # built once (~30 ms). Characters beyond it (CJK extensions, emoji) are all kept.
    return np.array([unicodedata.category(chr(c))[0] in "LMN" for c in range(0x10000)], dtype=bool)


def _text_char_mask(codes: U32) -> npt.NDArray[np.bool_]:
    table = _bmp_text_chars()
    return np.where(codes < 0x10000, table[np.minimum(codes, 0xFFFF)], True)


# --- MinHash signatures ---------------------------------------------------------------------------------


def _fmix32(h: U32) -> U32:
    """MurmurHash3's 32-bit finalizer, as datasketch applies it to every input hash (affine32)."""
    h = h ^ (h >> np.uint32(16))
    h = h * np.uint32(0x85EBCA6B)
    h = h ^ (h >> np.uint32(13))
    h = h * np.uint32(0xC2B2AE35)
    return h ^ (h >> np.uint32(16))


def _fmix64(h: U64) -> U64:
    """MurmurHash3's 64-bit finalizer: a fixed bijection that spreads every input bit over the output."""
    h = h ^ (h >> np.uint64(33))
    h = h * np.uint64(0xFF51AFD7ED558CCD)
    h = h ^ (h >> np.uint64(33))
    h = h * np.uint64(0xC4CEB9FE1A85EC53)
    return h ^ (h >> np.uint64(33))


@lru_cache(maxsize=8)
def _permutations(num_perm: int, seed: int) -> tuple[U32, U32]:
    # datasketch MinHash._init_permutations for affine32, draw for draw: odd a, any b, from RandomState(seed).
    gen = np.random.RandomState(seed)
    a = gen.randint(0, 1 << 31, num_perm, dtype=np.uint32) * np.uint32(2) + np.uint32(1)
    b = gen.randint(0, 1 << 32, num_perm, dtype=np.uint32)
    a.flags.writeable = b.flags.writeable = False
    return a, b


def signatures(hash_sets: Sequence[npt.NDArray[np.integer]], *, num_perm: int = 128, seed: int = 1) -> U32:
    """MinHash signatures, shape (len(hash_sets), num_perm) uint32, equal to datasketch's affine32 MinHash.

    Row i is `MinHash(num_perm=num_perm, seed=seed, hashfunc=shingle_hash)` updated with the shingles whose
    hashes are `hash_sets[i]`; an empty set gives datasketch's empty value (all EMPTY_HASH).
    """
    _check_int("num_perm", num_perm, 1, 2**32, "128 is the default")
    _check_int("seed", seed, 0, 2**32 - 1, "use the seed the stored signatures were made with")
    a, b = _permutations(num_perm, seed)
    sizes = np.fromiter((len(h) for h in hash_sets), dtype=np.int64, count=len(hash_sets))
    out = np.full((len(hash_sets), num_perm), EMPTY_HASH, dtype=np.uint32)
    docs = np.flatnonzero(sizes)
    ends = np.cumsum(sizes[docs])
    starts = ends - sizes[docs]
    capacity = max(1, _BLOCK_ELEMENTS // num_perm)
    buffer = np.empty((num_perm, capacity), dtype=np.uint32)
    i = 0
    while i < len(docs):
        # Whole documents whose shingles fit one block (at least one document; a huge one gets split).
        j = max(i + 1, int(np.searchsorted(ends, starts[i] + capacity, side="right")))
        block = np.concatenate([_as_uint32(hash_sets[k], k) for k in docs[i:j]])
        out[docs[i:j]] = _block_minima(_fmix32(block), starts[i:j] - starts[i], a, b, buffer)
        i = j
    return out


def _block_minima(hashes: U32, doc_starts: npt.NDArray[np.int64], a: U32, b: U32, buffer: U32) -> U32:
    # Permutations along rows and shingles along columns, so each document's minimum is a contiguous
    # reduction per row (np.minimum.reduceat on axis 1 was 3-4x faster than the transposed layout).
    capacity = buffer.shape[1]
    if len(hashes) <= capacity:
        return np.minimum.reduceat(_permute(hashes, a, b, buffer), doc_starts, axis=1).T
    # A single document larger than a block: keep a running minimum over its parts.
    minima = np.full((1, len(a)), EMPTY_HASH, dtype=np.uint32)
    for lo in range(0, len(hashes), capacity):
        np.minimum(minima[0], _permute(hashes[lo : lo + capacity], a, b, buffer).min(axis=1), out=minima[0])
    return minima


def _permute(hashes: U32, a: U32, b: U32, buffer: U32) -> U32:
    permuted = buffer[:, : len(hashes)]
    np.multiply(a[:, None], hashes[None, :], out=permuted)  # wraps mod 2^32, like datasketch's uint32 math
    np.add(permuted, b[:, None], out=permuted)
    return permuted


def _as_uint32(hashes: npt.NDArray[np.integer], index: int) -> U32:
    if hashes.dtype == np.uint32:
        return hashes  # type: ignore[return-value]
    if hashes.dtype.kind not in "iu" or (hashes.size and (hashes.min() < 0 or hashes.max() > 0xFFFFFFFF)):
        raise ValueError(
            f"hash set {index} ({hashes.dtype}) is not 32-bit shingle hashes; pass shingle_hashes() output"
        )
    return hashes.astype(np.uint32)


# --- LSH bands and verification -------------------------------------------------------------------------


def band_hashes(sigs: npt.NDArray[np.integer], *, bands: int, rows: int) -> npt.NDArray[np.int64]:
    """LSH bucket keys, shape (n_docs, bands) int64: equal in band k iff MinHashLSH buckets the docs together.

    Band k covers signature values [k*rows, (k+1)*rows), as in datasketch. For rows <= 2 the key is a
    bijection of the band's values (exact); for more rows it is a 64-bit digest, so two different bands
    collide with probability ~2^-64. Keys also differ between bands for equal values.
    """
    sigs = np.asarray(sigs)
    if sigs.ndim != 2 or bands < 1 or rows < 1 or bands * rows > sigs.shape[1]:
        raise ValueError(
            f"bands={bands} x rows={rows} does not fit signatures of shape {sigs.shape}; "
            "use DedupParams.bands and .rows with the num_perm the signatures were made with"
        )
    values = sigs[:, : bands * rows].astype(np.uint64).reshape(len(sigs), bands, rows)
    keys = np.repeat(_fmix64(np.arange(bands, dtype=np.uint64) + _FOLD)[None, :], len(sigs), axis=0)
    for j in range(0, rows, 2):
        # Two 32-bit values per 64-bit word, each word through a bijective mix: injective for one word.
        word = values[:, :, j] << np.uint64(32)
        if j + 1 < rows:
            word |= values[:, :, j + 1]
        keys = _fmix64(keys ^ word)
    return keys.view(np.int64)


def estimate_jaccard(sig_a: npt.NDArray[np.integer], sig_b: npt.NDArray[np.integer]) -> float:
    """Share of signature positions where two MinHash signatures agree (datasketch's MinHash.jaccard)."""
    _check_comparable(sig_a.shape, sig_b.shape)
    return float(np.count_nonzero(sig_a == sig_b)) / len(sig_a)


def estimate_jaccards(
    sig: npt.NDArray[np.integer], others: Sequence[npt.NDArray[np.integer]]
) -> npt.NDArray[np.float64]:
    """estimate_jaccard of `sig` with each of `others`, in one comparison (the same values)."""
    stacked = np.stack(others)
    _check_comparable(sig.shape, stacked.shape[1:])
    agreeing = np.count_nonzero(stacked == sig, axis=1)
    shares: npt.NDArray[np.float64] = agreeing / sig.shape[0]
    return shares


def _check_comparable(shape_a: tuple[int, ...], shape_b: tuple[int, ...]) -> None:
    if shape_a != shape_b or len(shape_a) != 1:
        raise ValueError(
            f"signatures of shapes {shape_a} and {shape_b} are not comparable; "
            "compare only signatures made with the same DedupParams"
        )


def containment(hashes_a: npt.NDArray[np.integer], hashes_b: npt.NDArray[np.integer]) -> float:
    """Share of the smaller shingle set found in the larger one; 0.0 when either set is empty."""
    a, b = np.unique(hashes_a), np.unique(hashes_b)
    smaller = min(len(a), len(b))
    if smaller == 0:
        return 0.0
    return len(np.intersect1d(a, b, assume_unique=True)) / smaller

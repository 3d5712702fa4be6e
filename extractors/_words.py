"""Word counts and sentence ends that hold in scripts written without spaces between words.

The extraction rules measure lines in words ("a crumb is under 5 words") and look for sentence ends. Counted by
whitespace, a line of Chinese, Japanese or Thai is one "word" and never ends a sentence, so whole stories
looked like page chrome (Readability's pixnet, gmw and yahoo-4 pages, 2026-12). Pure text functions.
"""

from __future__ import annotations

import re

# Han, kana and CJK punctuation blocks: a word is about two characters.
_CJK = re.compile(r"[\u2e80-\u2fdf\u3040-\u30ff\u3100-\u312f\u31a0-\u31ff\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff]")
# Thai, Lao, Khmer and Myanmar: a word is about five characters.
_SOUTHEAST_ASIAN = re.compile(r"[\u0e00-\u0eff\u1000-\u109f\u1780-\u17ff]")
_UNSPACED = re.compile(_CJK.pattern[:-1] + _SOUTHEAST_ASIAN.pattern[1:])

# Full stops, question and exclamation marks of Latin, CJK, Arabic, Devanagari, Ethiopic and Armenian text,
# and the closing quotes and brackets that may follow them.
SENTENCE_END_CHARS = ".!?…。！？｡؟۔।॥።։"
CLOSING_CHARS = "\"'”’»)]」』）】"
# Quotes that close in some languages and open in others: German „…“ and ‚…‘, Danish's and German books' »…« and
# ›…‹. They end a sentence only after its full stop ("… überfällig.“"): a line ending "„Tatort“" is a menu's, and
# a break after "die „Mietpreisbremse“" is inside a sentence.
CLOSING_AFTER_A_STOP = "“‘«›‹"
# A sentence's end and the quotes and brackets closed after it, as a pattern.
QUOTED_STOP = f"[{re.escape(SENTENCE_END_CHARS)}][{re.escape(CLOSING_CHARS + CLOSING_AFTER_A_STOP)}]+"


def word_count(text: str) -> float:
    """Words in text: whitespace-separated tokens, with unspaced scripts counted by their characters."""
    if text.isascii() or _UNSPACED.search(text) is None:
        return float(len(text.split()))
    count = 0.0
    for token in text.split():
        if _UNSPACED.search(token) is None:
            count += 1
        else:
            cjk, southeast = len(_CJK.findall(token)), len(_SOUTHEAST_ASIAN.findall(token))
            rest = len(token) - cjk - southeast
            count += max(1.0, cjk / 2 + southeast / 5 + (1 if rest > 1 else 0))
    return count


def script_length(text: str) -> int:
    """len(text), a Chinese or Japanese character counted as three (about a word, as in weighted_length).

    The amount of text a length threshold means, in any script; for text without Han or kana it is len(text), so
    thresholds tuned on spaced scripts hold as they were.
    """
    return len(text) if text.isascii() else len(text) + 2 * len(_CJK.findall(text))


def weighted_length(text: str) -> int:
    """Characters of text outside whitespace, a Chinese or Japanese one counted as three (about a word)."""
    squeezed = "".join(text.split())
    return len(squeezed) if squeezed.isascii() else len(squeezed) + 2 * len(_CJK.findall(squeezed))


# The letters each script-specific language is written in. A page's declared language whose script holds under
# _OWN_SCRIPT_SHARE of the story's letters is not the story's: an English story on a Japanese portal says ja.
_SCRIPTS: dict[str, re.Pattern[str]] = {
    **dict.fromkeys(("ja", "zh"), _CJK),
    "ko": re.compile(r"[\u1100-\u11ff\u3130-\u318f\uac00-\ud7af]"),
    **dict.fromkeys(("ru", "uk", "bg", "be", "sr", "mk", "kk"), re.compile(r"[\u0400-\u04ff]")),
    **dict.fromkeys(("ar", "fa", "ur"), re.compile(r"[\u0600-\u06ff\u0750-\u077f]")),
    "he": re.compile(r"[\u0590-\u05ff]"),
    "el": re.compile(r"[\u0370-\u03ff\u1f00-\u1fff]"),
    "th": re.compile(r"[\u0e00-\u0e7f]"),
    **dict.fromkeys(("hi", "mr", "ne"), re.compile(r"[\u0900-\u097f]")),
}
_LETTER = re.compile(r"[^\W\d_]")
_OWN_SCRIPT_SHARE = 0.2


def written_in(language: str, text: str) -> bool | None:
    """Whether `text` is written in `language`'s script (None: a language of several scripts or Latin's, or a
    text without letters, which says nothing)."""
    script = _SCRIPTS.get(language)
    if script is None:
        return None
    letters = len(_LETTER.findall(text))
    return len(script.findall(text)) >= _OWN_SCRIPT_SHARE * letters if letters else None

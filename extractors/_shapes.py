"""Text shapes of boilerplate, compiled from the labels of a page's language: the rules that survive hashed
class names and <div>-only markup ("Read more: ...", "Advertisement", "Comments", "Foto: dpa", "3/11 caption").

`shapes_for(language)` compiles a language's labels (extractors/_labels.py) with English's, once per language.
Photo credits use every language's labels whatever the page's language: "Foto: dpa" ends a caption on an
English page too, and split_credit has no page to ask. Pure: no parsing, no I/O.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from functools import lru_cache

from extractors._labels import LABELS, labels_for

_I = re.IGNORECASE
GALLERY_NUMBER = re.compile(r"^\s*(?P<k>\d{1,3})\s*/\s*(?P<n>\d{1,3})\s+(?=\S)")
GALLERY_COUNT = re.compile(r"^\s*(?P<n>\d{1,3})\s+show all\b\s*(?P<title>.*?)\s*$", _I)
# Label forms that are patterns, not fixed words.
_RELATED_FORMS = (r"more from [\w ]{1,30}",)
_HEADING_FORMS = (r"more from [\w ]{1,40}",)
_COMMENT_STARTS = r"|^\s*(?:join|leave|post) (?:the|a) (?:discussion|comment|conversation)"
_SEPARATORS = r"(?::|：|»|>>|\|)"
_COOKIE_EN = r"\b(?:we|this (?:web)?site|our site) uses? cookies\b|\bcookie (?:policy|settings|preferences)\b"
_NEWSLETTER_EN = (
    r"\bsign up (?:to|for)\b.{0,80}\bnewsletter\b|\bnewsletter\b.{0,80}\bsign up\b"
    r"|\bsubscribe to (?:our|the)\b.{0,60}\bnewsletter"
)


@dataclass(frozen=True, slots=True)
class Shapes:
    """The compiled label rules of one page language."""

    related_prefix: re.Pattern[str]
    related_heading: re.Pattern[str]
    comments_heading: re.Pattern[str]
    ad_label: re.Pattern[str]
    share_text: re.Pattern[str]
    promo: re.Pattern[str]
    rights: re.Pattern[str]

    def is_promo(self, text: str) -> bool:
        """A cookie banner or newsletter sign-up sentence."""
        return bool(self.promo.search(text))


def _phrase(label: str) -> str:
    """A label as a pattern: spaces match any whitespace; a label in a spaced script ends at a word boundary."""
    body = r"\s+".join(map(re.escape, label.split()))
    return body + (r"\b" if label[-1:].isascii() and label[-1:].isalnum() else "")


def _any(labels: Iterable[str], *forms: str) -> str:
    # Longest first, so that "related articles" is tried before "related".
    return "|".join([*forms, *(_phrase(label) for label in sorted(set(labels), key=len, reverse=True))])


@lru_cache(maxsize=64)
def shapes_for(language: str | None) -> Shapes:
    """The rules for a page in `language` (BCP 47, e.g. "de-AT"); None or an unknown language: every language."""
    labels = labels_for(language)
    english = {*LABELS["en"].cookie, *LABELS["en"].newsletter}  # matched by the flexible English patterns
    other_promo = [p for p in (*labels.cookie, *labels.newsletter) if p not in english]
    return Shapes(
        related_prefix=re.compile(rf"^\s*(?:{_any(labels.related_prefix, *_RELATED_FORMS)})\s*{_SEPARATORS}\s*", _I),
        related_heading=re.compile(rf"^\s*(?:{_any(labels.related_heading, *_HEADING_FORMS)})\s*[:：]?\s*$", _I),
        comments_heading=re.compile(
            rf"^\s*(?:\d+\s+)?(?:{_any(labels.comments_heading)})(?:\s*\(\d+\))?\s*[:：]?\s*${_COMMENT_STARTS}", _I
        ),
        ad_label=re.compile(rf"^\s*(?:{_any(labels.ad_label)})\s*$", _I),
        share_text=re.compile(rf"^(?:[\W_]*(?:{_any(labels.share)}))+[\W_]*$", _I),
        promo=re.compile("|".join(filter(None, (_COOKIE_EN, _NEWSLETTER_EN, _any(other_promo)))), _I),
        rights=re.compile(_any(labels.rights), _I),
    )


# ---- photo credits: every language's labels ----
_AGENCY = (
    r"(?:AFP|AP|EPA(?:-EFE)?|PA(?: Wire| Media| Images)?|Reuters|REUTERS|Getty(?: Images)?"
    r"|Shutterstock|Alamy|Bloomberg"
    r"|dpa|DPA|Xinhua|REX|Rex Features|AAP|ANSA|Kyodo|SIPA|NurPhoto|Anadolu|ZUMA|Zuma|Corbis"
    r"|iStock|Associated Press)"
)
_PHOTO = _any((label for labels in LABELS.values() for label in labels.photo), r"photo(?:graph)?s?")
_NAME = r"[A-Z][\w.'’-]*"
_CREDIT_RUN = rf"(?:{_NAME}(?: {_NAME}){{0,3}}\s?/\s?)*{_AGENCY}(?:\s?(?:/|via|for)\s?{_NAME}(?: {_NAME}){{0,3}})*"
_CREDIT_PAREN = re.compile(
    rf"\s*[(（](?:(?i:{_PHOTO})\s*[:：]\s*(?P<a>[^()（）]{{1,60}})|(?P<b>{_CREDIT_RUN}))[)）]\s*$"
)
_CREDIT_LABEL = re.compile(rf"\s*[-–—|.]?\s*(?<!\w)(?:{_PHOTO})\s*[:：]\s*(?P<a>[^:：]{{1,60}}?)\s*$", _I)
_CREDIT_BARE = re.compile(rf"\s+(?P<a>{_CREDIT_RUN})\s*$")
# Agency names are matched case-sensitively: "(ePA)" is an abbreviation in a sentence, "(EPA)" a credit.
CREDIT_HINT = re.compile(rf"{_AGENCY}|(?i:{_PHOTO})")


def split_credit(text: str) -> tuple[str, str | None]:
    """Split a trailing photo credit off a caption: "Crowds (AFP/Getty)" -> ("Crowds", "AFP/Getty")."""
    text = " ".join(text.split())
    for rx in (_CREDIT_PAREN, _CREDIT_LABEL):
        m = rx.search(text)
        if m:
            return text[: m.start()].rstrip(" -–—|,"), (m.group("a") or m.groupdict().get("b") or "").strip() or None
    m = _CREDIT_BARE.search(text)
    if m and m.start() > 0:
        return text[: m.start()].rstrip(" -–—|,"), m.group("a")
    return text, None


def has_credit(text: str) -> bool:
    """True when text ends like a photo caption: "(AFP/Getty)", "Photo: Reuters", or a bare agency name."""
    text = " ".join(text.split())
    if _CREDIT_PAREN.search(text) or _CREDIT_LABEL.search(text):
        return True
    return bool(_CREDIT_BARE.search(text)) and not text.endswith(".")


def labelled_credit(text: str) -> bool:
    """A credit in parentheses or after a label ("(Photo: X)", "Foto: dpa", "写真：共同")."""
    return bool(_CREDIT_PAREN.search(text) or _CREDIT_LABEL.search(text))


def credit_label(text: str) -> bool:
    """A credit after a label ("Photo: X"), which marks a caption even when the line ends a sentence."""
    return bool(_CREDIT_LABEL.search(text))


def bare_credit(text: str) -> bool:
    """A bare agency run at the end ("... Reuters")."""
    return bool(_CREDIT_BARE.search(text))

"""Text shapes of boilerplate, compiled from the labels of a page's language: the rules that survive hashed
class names and <div>-only markup ("Read more: ...", "Advertisement", "Comments", "Foto: dpa", "3/11 caption").

`shapes_for(language)` compiles a language's labels (extractors/_labels.py) with English's, once per language.
Photo credits use every language's labels whatever the page's language: "Foto: dpa" ends a caption on an
English page too, and split_credit has no page to ask. Pure: no parsing, no I/O.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache
from typing import Literal

from extractors._labels import LABELS, labels_for

_I = re.IGNORECASE
GALLERY_NUMBER = re.compile(r"^\s*(?P<k>\d{1,3})\s*/\s*(?P<n>\d{1,3})\s+(?=\S)")
GALLERY_COUNT = re.compile(r"^\s*(?P<n>\d{1,3})\s+show all\b\s*(?P<title>.*?)\s*$", _I)
# English label forms that are patterns, not fixed words.
# "More from Politics", "More in Business", "Next In Business News" (reuters.com): a section's name after it,
# capitalized after "in" ("Next in line" is a story's subheading).
# One way only to split the words (a word, then space-led words): "More in " and a run of capitals took hours.
_MORE_FROM = re.compile(
    r"^\s*(?:more from [\w ]{1,40}?|(?:more|next) in (?-i:[A-Z0-9][\w.&-]*(?:\s+[A-Z0-9][\w.&-]*){0,4}))"
    r"\s*[:：]?\s*$",
    _I,
)
_MORE_FROM_PREFIX = re.compile(r"^\s*more from [\w ]{1,30}?\s*(?::|：|»|>>|\|)\s*", _I)
_COMMENT_STARTS = re.compile(r"^\s*(?:join|leave|post) (?:the|a) (?:discussion|comment|conversation)", _I)
_COMMENT_COUNT = re.compile(r"^\s*\d+\s+|\s*\(\d+\)\s*$")
_PREFIX_END = re.compile(r"\s*(?::|：|»|>>|\|)\s*")
# A banner or a sign-up box speaks to the reader; a story reports what a company's cookie policy says or that
# a shop made customers sign up for its newsletter (a story about tracking lost 3 of its 5 paragraphs): a
# possessive other than "our" or "your" before "cookie policy", or "its" / "their" after "sign up for", is
# a story's.
_COOKIE_EN = (
    r"\b(?:we|this (?:web)?site|our site) uses? cookies\b"
    r"|(?<!'s )(?<!’s )(?<!\bits )(?<!\btheir )(?<!\bhis )(?<!\bher )\bcookie (?:policy|settings|preferences)\b"
)
_NEWSLETTER_EN = (
    r"\bsign up (?:to|for) (?!its\b|their\b|his\b|her\b).{0,80}\bnewsletter\b|\bnewsletter\b.{0,80}\bsign up\b"
    r"|\bsubscribe to (?:our|the)\b.{0,60}\bnewsletter"
    # A briefing that does not say "newsletter", and asks: "... lands in your inbox at 6pm. Sign me up", "Sign up to
    # get our picks delivered to your inbox". The call to action starts a sentence: a story's "if a message lands
    # in your inbox asking you to sign up ..." or "once you subscribe, ... arrives in your inbox" asks nothing.
    r"|\b(?:in|to|into) your inbox\b[^.!?\n]{0,60}[.!?]\s+(?:sign (?:me )?up|subscribe)\b"
    r"|^\s*(?:sign (?:me )?up|subscribe)\b[^.!?\n]{0,80}\b(?:in|to|into) your inbox\b"
)
# What may come before a call that opens a paragraph: an emoji, an arrow, a bullet (no word, no quotation mark).
_LEAD_CHARS = r"[^\w\"“”„«»']*"
# A site's call to follow it elsewhere: "Join our WhatsApp channel for ...", "Follow us on X and Instagram". "our" and
# "us" are the site speaking; a story says "its Telegram channel" or "follow the agency on X". The call opens the
# paragraph, after an emoji at most (a story reports one in its own words: "the ministry urged residents to join
# our channel, the spokesman wrote"; "SMITH: Follow us on Instagram" is an interview), and "us" is followed on a
# platform ("Follow us on Channel 7" was a slogan).
_CHANNEL_EN = (
    r"^" + _LEAD_CHARS + r"(?:subscribe to|join|follow) (?:our\b[^.!?]{0,30}\bchannel\b|us on (?:x|twitter|facebook|"
    r"instagram|telegram|whatsapp|youtube|tiktok|threads|bluesky|linkedin|google news|apple news|flipboard|pinterest"
    r"|snapchat|mastodon|reddit|discord)\b)"
)
# Other languages' calls, among their label phrases (extractors/_labels.py): "Подписывайтесь на наш канал".
_FOLLOW_US = re.compile(r"^подпи(?:сывайтесь|шитесь) на на(?:с|ш )", re.IGNORECASE)
_CHANNEL = re.compile(_CHANNEL_EN, re.IGNORECASE)
# A paywall's prompt after a story's teaser, the site speaking where the paragraph opens: asking ("Already a
# subscriber?"), telling ("Subscribe to continue reading", "This article is exclusive to subscribers.") or counting
# ("You've reached your limit of free articles"). A story quotes one, asks readers "Are you already a subscriber?",
# or says "This story is available to subscribers and non-subscribers alike".
_PAYWALL_EN = (
    r"^\s*already an? (?:subscriber|member)\s*\?\s*(?:$|(?:please )?(?:log|sign) ?in\b|click\b)"
    r"|^\s*(?:subscribe|sign in|log in|register)\b[^.!?]{0,40}? to (?:continue|keep) reading\b"
    r"|^\s*to (?:continue|keep) reading(?: this (?:article|story))?,? (?:please )?"
    r"(?:subscribe|sign in|log in|register)\b"
    r"|^\s*this (?:article|story|content) is (?:only )?(?:available |exclusive |reserved )?(?:only )?(?:to|for) "
    r"(?:our )?(?:paying )?(?:subscribers|members)(?: only)?\s*(?:[.!]|$)"
    r"|^\s*you(?:'ve|’ve| have) (?:reached|used) (?:your|all (?:of )?your) (?:limit of )?(?:\d+ )?"
    r"free (?:articles|stories)\b"
)
_PAYWALL = re.compile(_PAYWALL_EN, re.IGNORECASE)
# A word each English promo pattern holds: the cheap test before the regex (with each label phrase's longest word).
_PROMO_KEYS_EN = ("cookie", "newsletter", "inbox", "channel", "follow us", "subscri", "member", "reading", "free ")
# A group's or a person's call the story reports: "Follow us on Telegram, the group told its supporters".
_SAYING_EN = re.compile(r"\b(?:said|says|told|tells|wrote|writes|posted|tweeted|urged)\b", re.IGNORECASE)
# Direct speech opening a paragraph and attributed after a dash, as Russian, Ukrainian and French print it:
# "«Подписывайтесь на наш канал», — написал мэр" and the dialogue form "— Подписывайтесь на наш канал, — повторяет
# блогер" are calls the story reports. A quotation of four words or more: a banner names its newsletter or button
# in fewer before a dash ("“The Morning Brief” — sign up for our newsletter", "«Принять» — нажимая ...").
_ATTRIBUTED = re.compile(r"^\s*(?:[«„“\"](?:[^»”“\"\s]+\s+){3,}[^»”“\"]*[»”“\"]|[—–]\s[^—–]*,)\s*,?\s*[—–]\s*[^\W\d_]")
# After a call's first platform: more platforms, then a verb whose subject the call is.
_TALKED_ABOUT = re.compile(r"(?:,?\s+(?:and|&|or)?\s*[\w.]+){0,4}?\s+(?:is|was|has been|became|remains)\b", re.I)
_LEAD = re.compile(_LEAD_CHARS)
# Reported speech: a quotation and a verb of saying ('"We use cookies only to ...," a spokesman said'). A banner
# may say "according to your preferences", but quotes no one.
_REPORTED_EN = re.compile(r"[\"“”«»].*\b(?:said|says|told)\b|\b(?:said|says|told)\b.*[\"“”«»]", re.IGNORECASE | re.S)
_TOKENS = re.compile(r"[\W_]+")
_FIRST_TOKEN = re.compile(r"[\W_]*([^\W_]+)")
# Bounds that spare most blocks the label tests: a row of share buttons is short, a promo is a sentence.
_SHARE_MAX = 120
_PROMO_MIN = 20


def _key(text: str) -> str:
    """A label as looked up: casefolded, one space between words, no closing colon or ellipsis ("You may also
    like...")."""
    return " ".join(text.casefold().split()).rstrip(":：.…").rstrip()


LineKind = Literal["ad", "related", "comments"]


@dataclass(frozen=True, slots=True)
class Shapes:
    """The label rules of one page language: whole labels are one dict lookup, so more languages cost nothing."""

    whole_lines: dict[str, LineKind]  # a line that is only this label: an ad slot, a related or comments heading
    longest_line: int  # characters a whole-line label may take, with "12 Comments (12)"-style counts and spaces
    related_prefixes: frozenset[str]
    share_words: frozenset[str]
    unspaced_share_words: tuple[str, ...]  # share words of scripts without spaces, longest first
    promo_keys: tuple[str, ...]  # a word each cookie or newsletter phrase holds: a cheap test before the regex
    promo: re.Pattern[str]
    rights: tuple[str, ...]

    def line_kind(self, text: str) -> LineKind | None:
        """What a line that is only a label labels: "ad" ("Advertisement"), "related" ("Most read"), "comments"."""
        if len(text) > self.longest_line:  # most blocks are longer than any label: spared the lookup
            return None
        key = _key(text)
        kind = self.whole_lines.get(key)
        if kind is not None:
            return kind
        if key.startswith("our ") and self.whole_lines.get(key[4:]) == "related":  # "Our latest stories"
            return "related"
        if key[:1].isdigit() or key.endswith(")"):  # "12 Comments", "Comments (12)"
            label = _key(_COMMENT_COUNT.sub("", text))
            counted = (self.whole_lines.get(label), self.whole_lines.get(label + "s"))  # "1 Comment"
            return "comments" if "comments" in counted else None
        if key.startswith(("more from ", "more in ", "next in ")) and _MORE_FROM.match(text):
            return "related"
        if key.startswith(("join ", "leave ", "post ")) and _COMMENT_STARTS.match(text):
            return "comments"
        return None

    def is_related_prefix(self, text: str) -> bool:
        """Whether the text is only a "Read more" label (one that heads a headline on its line)."""
        return _key(text) in self.related_prefixes

    def related_prefix_end(self, text: str) -> int | None:
        """Where the headline starts after a "Read more:" label, or None when the text has no such label."""
        head = text[:80]
        if ":" not in head and "：" not in head and "»" not in head and "|" not in head and ">>" not in head:
            return None
        m = _PREFIX_END.search(head)
        if m is not None and m.start() > 0 and _key(head[: m.start()]) in self.related_prefixes:
            return m.end()
        m = _MORE_FROM_PREFIX.match(text)
        return m.end() if m else None

    def is_share_text(self, text: str) -> bool:
        """Only the words of share and print buttons ("Share Tweet Email", "分享到 微信")."""
        if len(text) > _SHARE_MAX:
            return False
        first = _FIRST_TOKEN.match(text)
        if first is None or (first[1].isascii() and first[1].casefold() not in self.share_words):
            return False  # most blocks fail on their first word
        tokens = [t for t in _TOKENS.split(text.casefold()) if t]
        return bool(tokens) and all(
            t in self.share_words or (not t.isascii() and self._unspaced_share(t)) for t in tokens
        )

    def _unspaced_share(self, token: str) -> bool:
        while token:
            word = next((w for w in self.unspaced_share_words if token.startswith(w)), None)
            if word is None:
                return False
            token = token[len(word) :]
        return True

    def is_promo(self, text: str, *, paywall: bool = True) -> bool:
        """A cookie banner's, a newsletter sign-up's, a call to follow the site's channel's or (unless not
        `paywall`) a paywall's sentence."""
        if len(text) < _PROMO_MIN:
            return False
        low = text.casefold()
        if not any(k in low for k in self.promo_keys):
            return False
        match = self.promo.search(text) or (_PAYWALL.search(text) if paywall else None)
        if match is None or _REPORTED_EN.search(text) or _ATTRIBUTED.search(text):
            return False
        if _FOLLOW_US.match(match.group()):  # its phrases match anywhere: a call the site makes opens the paragraph
            return _LEAD.fullmatch(text, 0, match.start()) is not None
        # A call to follow may be the subject a story's sentence goes on about ("Follow us on Instagram and TikTok
        # is the tagline the museum adopted ...").
        calls = _CHANNEL.match(match.group())
        return not (calls and (_SAYING_EN.search(text) or _TALKED_ABOUT.match(text, match.end())))

    def is_rights_line(self, text: str) -> bool:
        """The footer's copyright line ("All rights reserved"). Not a bare "©": "© Reuters" is a credit.

        A notice names the copyright ("© 2025 Courier ..."), or its phrase opens or ends one of its sentences or
        fields ("Le Parisien - Tous droits réservés - Mentions légales", "本文为原创内容，未经授权禁止转载，违者必究").
        A story's sentence may hold the words: quoted ("... was stamped 'All rights reserved', the judge noted"),
        within a word ("版权所有人", the rights holder), or within a clause (Vietnamese "... xác định bản quyền
        thuộc về nhạc sĩ Trần Minh ...": the copyright belongs to the composer), also one that opens after a comma
        or a dash ("Theo hợp đồng, bản quyền thuộc về hãng phim ... cho đến năm 2029", "For the first time, all
        rights reserved for the estate passed to the museum"): there the phrase is a sentence's subject.
        """
        low = " ".join(text.casefold().split())
        if not any(phrase in low for phrase in self.rights):
            return False
        named = _NAMES_COPYRIGHT.search(low) is not None
        pieces = _NOTICE_PARTS.split(low)  # parts, each after the separator before it
        # A notice's fields run on after its phrase too ("Tuoi Tre Online, Bản quyền thuộc về Báo Tuổi Trẻ", "Le
        # Monde - Tous droits réservés pour tous pays"), but end in no full stop, where a story's sentence does.
        sentence = low.rstrip(_QUOTES + ")）").endswith(tuple(".!?。！？"))
        for index in range(0, len(pieces), 2):
            part = pieces[index]
            clause = sentence and index > 0 and _opens_clause(pieces[index - 2], pieces[index - 1])
            for phrase in self.rights:
                at = part.find(phrase)
                while at >= 0:
                    before, after = part[:at], part[at + len(phrase) :]
                    opening, closing = before.rstrip()[-1:], after.lstrip()[:1]
                    quoted = bool(opening and closing) and opening in _QUOTES and closing in _QUOTES
                    if not quoted and not after[:1].isalpha():
                        if named or not _has_letters(after) or not (_has_letters(before) or clause):
                            return True
                    at = part.find(phrase, at + 1)
        return False


_QUOTES = "'\"«»“”„‘’「」『』"
_NAMES_COPYRIGHT = re.compile(r"[©ⓒ]|\(c\)|\bcopyright\b|저작권자")
# A notice's fields, clauses and sentences: "Foo Media, All rights reserved | Terms", "Newsweek - All Rights
# Reserved - Terms of Service", "Grupo Nación, todos los derechos reservados, 2024", "記事の無断転載禁止、ご利用は…".
_NOTICE_PARTS = re.compile(r"(\s[|·•\-–—]\s|,\s|(?<=[.!?])\s+|(?<=[。！？，、；]))")


def _opens_clause(previous: str, separator: str) -> bool:
    """Whether a part after `separator` (and the part `previous` before it) is a clause of a sentence: after a
    comma or a dash, not a field's bar or a sentence's end."""
    return separator.strip() in {",", "-", "–", "—"} or previous.endswith(("，", "、", "；"))


def _has_letters(text: str) -> bool:
    return any(c.isalpha() for c in text)


@lru_cache(maxsize=64)
def shapes_for(language: str | None) -> Shapes:
    """The rules for a page in `language` (BCP 47, e.g. "de-AT"); None or an unknown language: every language."""
    labels = labels_for(language)
    english = {*LABELS["en"].cookie, *LABELS["en"].newsletter}  # matched by the flexible English patterns
    phrases = [p for p in (*labels.cookie, *labels.newsletter) if p not in english]
    spelled = (r"\s+".join(map(re.escape, p.split())) for p in phrases)
    promo = "|".join([_COOKIE_EN, _NEWSLETTER_EN, _CHANNEL_EN, *spelled])
    share = {_key(w) for w in labels.share}
    whole_lines: dict[str, LineKind] = {_key(label): "comments" for label in labels.comments_heading}
    whole_lines |= {_key(label): "related" for label in labels.related_heading}
    whole_lines |= {_key(label): "ad" for label in labels.ad_label}
    return Shapes(
        whole_lines=whole_lines,
        longest_line=2 * max(map(len, whole_lines)) + 20,
        related_prefixes=frozenset(map(_key, labels.related_prefix)),
        share_words=frozenset(t for w in share for t in _TOKENS.split(w) if t),
        unspaced_share_words=tuple(sorted((w for w in share if not w.isascii()), key=len, reverse=True)),
        promo_keys=tuple({*_PROMO_KEYS_EN, *(max(p.split(), key=len).casefold() for p in phrases)}),
        promo=re.compile(promo, _I),
        rights=tuple(_key(r) for r in labels.rights),
    )


# ---- photo credits: every language's labels ----
_AGENCY = (
    r"(?:AFP|AP|EPA(?:-EFE)?|PA(?: Wire| Media| Images)?|Reuters|REUTERS|Getty(?: Images)?"
    r"|Shutterstock|Alamy|Bloomberg"
    r"|dpa|DPA|Xinhua|REX|Rex Features|AAP|ANSA|Kyodo|SIPA|NurPhoto|Anadolu|ZUMA|Zuma|Corbis"
    r"|iStock|Associated Press)"
)


def _phrase(label: str) -> str:
    """A label as a pattern: spaces match any whitespace; a label in a spaced script ends at a word boundary."""
    body = r"\s+".join(map(re.escape, label.split()))
    return body + (r"\b" if label[-1:].isascii() and label[-1:].isalnum() else "")


_PHOTO_LABELS = sorted({label for labels in LABELS.values() for label in labels.photo}, key=len, reverse=True)
_PHOTO = "|".join([r"photo(?:graph)?s?", *map(_phrase, _PHOTO_LABELS)])
_NAME = r"[A-Z][\w.'’-]*"
# "(AP Photo/Evan Vucci)": the Associated Press's own form of a credit, the agency's word "Photo" before the name.
_CREDIT_RUN = (
    rf"(?:{_NAME}(?: {_NAME}){{0,3}}\s?/\s?)*{_AGENCY}(?: Photos?)?(?:\s?(?:/|via|for)\s?{_NAME}(?: {_NAME}){{0,3}})*"
)
# Korean papers write "사진=연합뉴스", "[사진=뉴시스]": "=" separates a credit only after a label ending in a
# non-ASCII letter, where it cannot be code ("--image=nginx" ends a line of a tech story).
# In square brackets only a labelled credit: "... It's Complicated [Bloomberg]" cites a source, in the story.
_CREDIT_PAREN = re.compile(
    rf"\s*(?:[(（](?:(?i:{_PHOTO})\s*(?:[:：]|(?<=[^\x00-\x7f])\s*=)\s*(?P<a>[^()（）]{{1,60}})"
    rf"|(?P<b>{_CREDIT_RUN}))[)）]"
    rf"|\[(?i:{_PHOTO})\s*(?:[:：]|(?<=[^\x00-\x7f])\s*=)\s*(?P<c>[^\[\]]{{1,60}})\])\s*$"
)
_CREDIT_LABEL = re.compile(
    rf"\s*[-–—|./]?\s*(?<!\w)(?P<label>{_PHOTO})\s*(?:[:：]|(?<=[^\x00-\x7f])\s*=)\s*(?P<a>[^:：=]{{1,60}}?)\s*$", _I
)
_CREDIT_BARE = re.compile(rf"\s+(?P<a>{_CREDIT_RUN})\s*$")
# Agency names are matched case-sensitively: "(ePA)" is an abbreviation in a sentence, "(EPA)" a credit.
_AGENCY_NAME = re.compile(_AGENCY)


def is_agency_credit(text: str) -> bool:
    """Whether text is a credit naming an agency: "Reuters", "Getty Images", "Jane Doe/AFP", "AP Photo/Evan Vucci"."""
    return _CREDIT_RUN_WHOLE.fullmatch(text.strip()) is not None


_CREDIT_RUN_WHOLE = re.compile(_CREDIT_RUN)


def split_credit(text: str) -> tuple[str, str | None]:
    """Split a trailing photo credit off a caption: "Crowds (AFP/Getty)" -> ("Crowds", "AFP/Getty")."""
    text = " ".join(text.split())
    for rx in (_CREDIT_PAREN, _CREDIT_LABEL):
        m = rx.search(text)
        if m:
            credit = next((m.group(name) for name in ("a", "b", "c") if m.groupdict().get(name)), "")
            return text[: m.start()].rstrip(" -–—|,"), credit.strip() or None
    m = _CREDIT_BARE.search(text)
    if m and m.start() > 0:
        return text[: m.start()].rstrip(" -–—|,"), m.group("a")
    return text, None


def label_in_a_phrase(line: str) -> bool:
    """The line's credit label is a lower-case word after another: "Best picture: Oppenheimer", "Child tax
    credit: $2,000 per child", where a credit's label is capitalised or comes first ("Photo: AP")."""
    parts = credit_label_split(line)
    if parts is None:
        return False
    before, label, _ = parts
    before = before[max(0, len(line) - _CREDIT_TAIL) :].rstrip()  # within the tail the label was looked for in
    return bool(before) and before[-1].isalnum() and label[0].islower()


def credit_label_split(line: str) -> tuple[str, str, str] | None:
    """(what comes before the label, the label, the credit) of a line that ends in a labelled photo credit."""
    tail = line[-_CREDIT_TAIL:]
    m = _CREDIT_LABEL.search(tail)
    if m is None:
        return None
    return line[: len(line) - len(tail) + m.start("label")], m.group("label"), m.group("a")


# The end of a line a credit is looked for in: the credit and what may stand before its label.
_CREDIT_TAIL = 90


def credit_ending(line: str) -> Literal["label", "parenthesis", "agency"] | None:
    """How a line ends in a photo credit, if it does: "... Foto: dpa", "... (Photo: X)", "... Reuters".

    The cheap tests come first (a colon near the end, a closing bracket, an agency's name): most lines of a story
    have none of them, and the credit patterns hold every language's labels.
    """
    tail = line[-_CREDIT_TAIL:].rstrip()
    if ":" in tail or "：" in tail or "=" in tail:
        if _CREDIT_LABEL.search(tail):
            return "label"
    if tail.endswith((")", "）", "]")) and _CREDIT_PAREN.search(tail):
        return "parenthesis"
    if _AGENCY_NAME.search(tail) and _CREDIT_BARE.search(tail):
        return "agency"
    return None

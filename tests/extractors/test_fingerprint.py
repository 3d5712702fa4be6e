from __future__ import annotations

import random
import unicodedata
from itertools import combinations

import numpy as np
import pytest
from datasketch import MinHash, MinHashLSH
from hypothesis import given, settings
from hypothesis import strategies as st

from extractors.fingerprint import (
    EMPTY_HASH,
    DedupParams,
    band_hashes,
    char_shingle_hash,
    char_shingle_hashes,
    containment,
    estimate_jaccard,
    normalize_text,
    shingle_hash,
    shingle_hashes,
    shingle_scheme,
    shingles,
    signatures,
)

WORDS = st.sampled_from(["the", "Minister", "said", "“quoted”", "—", "über", "ﬁnal", "(Reuters)", "a", "b", "|", "_"])
TEXTS = st.one_of(st.text(), st.lists(WORDS, max_size=60).map(" ".join))


# Punctuation and symbols of the Basic Multilingual Plane: what rules words3 strips from a word's edges.
EDGE_MARKS = "".join(chr(c) for c in range(0x10000) if unicodedata.category(chr(c))[0] in "PS")


def reference_words(text: str) -> list[str]:
    """The words of the current shingle rules (words3), written out plainly, character by character."""
    words = []
    for token in normalize_text(text).split(" "):
        if not any(c.isalnum() for c in token):
            continue  # words2: no letter or digit, no word
        ascii_digits = (
            str(unicodedata.digit(c)) if 128 <= ord(c) < 0x10000 and unicodedata.category(c) == "Nd" else c
            for c in token
        )
        if word := "".join(ascii_digits).strip(EDGE_MARKS):
            words.append(word)
    return words


def datasketch_signature(text: str, *, size: int, num_perm: int = 128, seed: int = 1) -> np.ndarray:
    """The reference: datasketch fed the shingle strings of our normalized text's words, one by one."""
    words = reference_words(text)
    width = min(size, len(words))
    shingles = [" ".join(words[i : i + width]).encode() for i in range(len(words) - width + 1)] if words else []
    minhash = MinHash(num_perm=num_perm, seed=seed, hashfunc=shingle_hash)
    minhash.update_batch(shingles)
    values: np.ndarray = minhash.hashvalues
    return values


def near_copy(rng: random.Random, words: list[str], vocab: list[str]) -> list[str]:
    """A syndicated-style copy: some words replaced, the tail trimmed by up to 30%."""
    copy = [rng.choice(vocab) if rng.random() < rng.uniform(0, 0.08) else w for w in words]
    return copy[: int(len(copy) * rng.uniform(0.7, 1.0))]


@settings(max_examples=60, deadline=None)
@given(texts=st.lists(TEXTS, min_size=1, max_size=4), size=st.integers(1, 6), seed=st.integers(0, 2**32 - 1))
def test_signatures_are_bit_identical_to_datasketch(texts: list[str], size: int, seed: int) -> None:
    ours = signatures([shingle_hashes(t, size=size) for t in texts], num_perm=64, seed=seed)
    for text, row in zip(texts, ours, strict=True):
        assert np.array_equal(row, datasketch_signature(text, size=size, num_perm=64, seed=seed))


def test_a_document_larger_than_one_numpy_block_matches_datasketch() -> None:
    rng = random.Random(3)
    text = " ".join(rng.choice("abcdefghijklmnopqrstuvwxyz") * rng.randint(1, 4) for _ in range(12_000))
    ours = signatures([shingle_hashes(text, size=5), shingle_hashes("tiny", size=5)], num_perm=128, seed=1)
    assert np.array_equal(ours[0], datasketch_signature(text, size=5))
    assert np.array_equal(ours[1], datasketch_signature("tiny", size=5))


def test_empty_document_gets_datasketch_empty_signature() -> None:
    assert shingle_hashes("  \n ", size=5).size == 0
    sigs = signatures([np.empty(0, np.uint32)], num_perm=16, seed=1)
    assert np.array_equal(sigs[0], MinHash(num_perm=16, seed=1).hashvalues)
    assert (sigs == EMPTY_HASH).all()


def test_short_document_is_one_shingle_of_all_its_words() -> None:
    assert shingle_hashes("Three Short words", size=5).tolist() == [shingle_hash(b"three short words")]


def test_a_table_rendered_with_rules_shingles_as_the_same_table_in_plain_text() -> None:
    ruled = (
        "Standings after 36 races:\n| Pos. | Driver | Points |\n| 1 | Kyle Busch | 5040 |\n| 2 | Martin Truex | 5035 |"
    )
    plain = "Standings after 36 races:\nPos. Driver Points\n1 Kyle Busch 5040\n2 Martin Truex 5035"
    assert shingle_hashes(ruled).tolist() == shingle_hashes(plain).tolist()
    assert shingle_hashes("Rain • wind — and _ snow").tolist() == shingle_hashes("rain wind and snow").tolist()
    # the rules an older index was signed with keep every token, so that index goes on matching
    assert shingle_hashes(ruled, rules="script1").tolist() != shingle_hashes(plain, rules="script1").tolist()
    params = DedupParams(shingle_rules="script1")
    assert shingles(ruled, params)[1].tolist() == shingle_hashes(ruled, rules="script1").tolist()
    with pytest.raises(ValueError, match="shingle_rules='words9' is unknown; use one of script1, words2"):
        DedupParams(shingle_rules="words9")


def test_shingle_hashes_are_the_hashes_of_each_word_ngram() -> None:
    words = "a b c d e f g a b c".split()
    expected = {shingle_hash(" ".join(words[i : i + 3]).encode()) for i in range(len(words) - 2)}
    assert shingle_hashes(" ".join(words), size=3).tolist() == sorted(expected)


@given(st.text())
def test_normalize_text_is_idempotent(s: str) -> None:
    once = normalize_text(s)
    assert normalize_text(once) == once


@given(st.lists(st.sampled_from(["LONDON (Reuters) - ", "By Jo Roe\n", "“", "PARIS — ", "ǅ", "ᴬ", "\n", " x"])))
def test_normalize_text_is_idempotent_on_datelines_and_bylines(parts: list[str]) -> None:
    once = normalize_text("".join(parts))
    assert normalize_text(once) == once


@pytest.mark.parametrize(
    "text",
    [
        "LONDON (Reuters) - Prices rose on Monday.",
        "NEW YORK, Nov 24 (Reuters) — Prices rose on Monday.",
        "Gaza City (AFP) – Prices rose on Monday.",
        "WASHINGTON (AP) — Prices rose on Monday.",
        "(CNN) - Prices rose on Monday.",
        "SÃO PAULO — Prices rose on Monday.",
        "By Jane Doe and John Roe\n\nLONDON (Reuters) - Prices rose on Monday.",
        "BY JANE DOE\nPrices rose on Monday.",
    ],
)
def test_leading_datelines_and_bylines_are_ignored(text: str) -> None:
    assert normalize_text(text) == "prices rose on monday."


@pytest.mark.parametrize(
    ("text", "rest"),
    [
        ("МОСКВА, 14 мая (РИА Новости) - Движение по мосту закрыто.", "движение по мосту закрыто."),
        ("MADRID, 14 may (EFE).- El tráfico se cortó.", "el tráfico se cortó."),
        ("新华社上海5月14日电（记者王磊）上海地铁今天恢复运营。", "上海地铁今天恢复运营。"),
        ("ΑΘΗΝΑ (ΑΠΕ) - Η κυκλοφορία διακόπηκε.", "η κυκλοφορία διακόπηκε."),
    ],
)
def test_datelines_of_cyrillic_greek_spanish_and_chinese_wires_are_ignored(text: str, rest: str) -> None:
    # Kept under the rules before words3: a short brief with its agency's dateline missed its copy without.
    assert normalize_text(text) == rest
    assert normalize_text(text, "words2") != rest


def test_a_copy_in_another_house_style_of_punctuation_and_digits_shingles_the_same() -> None:
    # A space before the danda, Devanagari digits, French guillemets spaced or not: the same words.
    pairs = [
        ("दिल्ली में हवा की गुणवत्ता 480 से ऊपर रही। स्कूल बंद रहेंगे।", "दिल्ली में हवा की गुणवत्ता ४८० से ऊपर रही । स्कूल बंद रहेंगे ।"),
        ("Le ministre a dit « non » : la réforme attendra.", "Le ministre a dit «non»: la réforme attendra."),
    ]
    for a, b in pairs:
        assert np.array_equal(shingle_hashes(a), shingle_hashes(b))
        assert not np.array_equal(shingle_hashes(a, rules="words2"), shingle_hashes(b, rules="words2"))


@pytest.mark.parametrize(
    ("original", "copy"),
    [
        # Arabic: short vowels and shadda added, tatweel stretching a word, hamza dropped from alef, final ى for ي.
        (
            "قالت الوزارة إن الأسعار ارتفعت أيضا في المدن الكبرى",
            "قالَت الوزارةُ إنّ الأسعـــار ارتفعت أيضاً في المدن الكبرى",
        ),
        (
            "قالت الوزارة إن الأسعار ارتفعت في المدن الكبرى إلى حد",
            "قالت الوزارة ان الاسعار ارتفعت في المدن الكبرى الى حد",
        ),
        # Persian yeh and kaf written with the Arabic letters.
        ("کشور یک برنامه تازه دارد", "كشور يك برنامه تازه دارد"),
        # Vietnamese tone marks in the old and the new style.
        (
            "Uỷ ban nhân dân thành phố hoà giải, sức khoẻ người dân",
            "Ủy ban nhân dân thành phố hòa giải, sức khỏe người dân",
        ),
        # Russian ё written as е.
        ("Всё ещё идёт речь о её решении", "Все еще идет речь о ее решении"),
        # An em dash between words, and the same dash spaced.
        ("The minister—who spoke on Monday—said prices rose", "The minister – who spoke on Monday – said prices rose"),
    ],
)
def test_copies_that_differ_in_spelling_variants_shingle_the_same(original: str, copy: str) -> None:
    assert np.array_equal(shingle_hashes(original), shingle_hashes(copy))
    assert not np.array_equal(shingle_hashes(original, rules="words3"), shingle_hashes(copy, rules="words3"))


def test_spelling_folds_leave_other_letters_and_hyphens_alone() -> None:
    assert normalize_text("Le poème — re-élu, 1990-2000 ; الكتاب") == "le poème - re-élu, 1990-2000 ; الكتاب"


def test_thai_digits_shingle_as_ascii_digits() -> None:
    thai = "ราคาทองคำวันนี้ปรับขึ้น ๑๐๐ บาท ทองคำแท่งขายออกบาทละ ๔๑,๕๐๐ บาท"
    ascii_digits = "ราคาทองคำวันนี้ปรับขึ้น 100 บาท ทองคำแท่งขายออกบาทละ 41,500 บาท"
    params = DedupParams()
    assert np.array_equal(shingles(thai, params)[1], shingles(ascii_digits, params)[1])
    old = DedupParams(shingle_rules="words2")
    assert not np.array_equal(shingles(thai, old)[1], shingles(ascii_digits, old)[1])


def test_typography_case_and_whitespace_are_normalized() -> None:
    text = "  “Don’t”\u00a0said  the ﬁrst\u200b MINISTER –\tﬁnally\n"
    assert normalize_text(text) == '"don\'t" said the first minister - finally'


def test_a_sentence_starting_with_by_is_kept() -> None:
    assert normalize_text("By then, it was over.\nThe end.") == "by then, it was over. the end."


def test_minhash_estimates_jaccard_within_0_05_on_200_near_copies() -> None:
    rng = random.Random(20251125)
    vocab = [f"w{i}" for i in range(5_000)]
    errors = []
    for _ in range(200):
        words = [rng.choice(vocab) for _ in range(rng.randint(150, 700))]
        a, b = " ".join(words), " ".join(near_copy(rng, words, vocab))
        ha, hb = shingle_hashes(a, size=5), shingle_hashes(b, size=5)
        exact = len(np.intersect1d(ha, hb)) / len(np.union1d(ha, hb))
        sa, sb = signatures([ha, hb], num_perm=128, seed=1)
        errors.append(abs(estimate_jaccard(sa, sb) - exact))
    assert np.mean(errors) < 0.05


def test_band_keys_collide_exactly_like_minhashlsh_buckets() -> None:
    rng = random.Random(7)
    vocab = [f"w{i}" for i in range(2_000)]
    texts = []
    for _ in range(12):
        base = [rng.choice(vocab) for _ in range(200)]
        texts += [" ".join(base)] + [" ".join(near_copy(rng, base, vocab)) for _ in range(4)]
    for bands, rows in [(14, 9), (32, 4), (64, 2), (42, 3)]:
        sigs = signatures([shingle_hashes(t, size=3) for t in texts], num_perm=128, seed=1)
        keys = band_hashes(sigs, bands=bands, rows=rows)
        ours = {(i, j) for i, j in combinations(range(len(texts)), 2) if (keys[i] == keys[j]).any()}
        lsh = MinHashLSH(num_perm=128, params=(bands, rows))
        minhashes = [MinHash(num_perm=128, seed=1, hashvalues=s, scheme="affine32") for s in sigs]
        for i, minhash in enumerate(minhashes):
            lsh.insert(i, minhash)
        theirs = {(i, j) for i in range(len(texts)) for j in lsh.query(minhashes[i]) if i < j}
        assert ours == theirs
        assert 0 < len(ours) < len(texts) * (len(texts) - 1) // 2  # the data exercises both outcomes


@pytest.mark.parametrize("candidate_threshold", [0.15, 0.2, 0.3, 0.5, 0.7, 0.9])
def test_bands_and_rows_match_datasketch_optimizer(candidate_threshold: float) -> None:
    params = DedupParams(candidate_threshold=candidate_threshold, threshold=max(0.5, candidate_threshold))
    lsh = MinHashLSH(threshold=candidate_threshold, num_perm=params.num_perm)
    assert (params.bands, params.rows) == (lsh.b, lsh.r)


def test_default_params_use_51_bands_of_2_rows() -> None:
    assert (DedupParams().bands, DedupParams().rows) == (51, 2)


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"threshold": 1.2}, r"threshold=1.2 is outside \(0, 1\); pass a Jaccard similarity such as 0.5"),
        ({"num_perm": 0}, r"num_perm=0 must be an integer in \[2, 1024\]; 128 is the default"),
        ({"shingle_size": 0}, r"shingle_size=0 must be an integer in \[1, 32\]"),
        ({"seed": -1}, r"seed=-1 must be an integer"),
        (
            {"candidate_threshold": 0.95, "threshold": 0.95, "num_perm": 16},
            r"gives 1 LSH band .* raise num_perm",
        ),
        ({"candidate_threshold": 0.6, "threshold": 0.5}, r"candidate_threshold=0.6 is above threshold=0.5"),
    ],
)
def test_invalid_params_say_how_to_fix_them(kwargs: dict[str, float], message: str) -> None:
    with pytest.raises(ValueError, match=message):
        DedupParams(**kwargs)  # type: ignore[arg-type]


def test_trimmed_copy_is_a_duplicate_by_containment() -> None:
    params = DedupParams()
    assert params.is_duplicate(jaccard=0.3, containment=0.95, sizes=(300, 700))
    assert not params.is_duplicate(jaccard=0.1, containment=0.5, sizes=(300, 700))  # a follow-up
    assert not params.is_duplicate(jaccard=0.3, containment=1.0, sizes=(10, 700))
    assert not params.is_duplicate(jaccard=0.55, containment=0.8, sizes=(10, 700))
    assert params.is_duplicate(jaccard=0.9, containment=0.9, sizes=(10, 12))


def test_templated_briefs_about_different_events_are_not_duplicates() -> None:
    lyon = "Rail services between Lyon and the airport were suspended on {day} after a signal failure. "
    lyon += "Replacement buses ran from 9pm. The operator apologised for the disruption."
    a, b = (shingle_hashes(lyon.format(day=d)) for d in ("Sunday", "Monday"))
    sig_a, sig_b = signatures([a, b])
    params = DedupParams()
    jaccard = estimate_jaccard(sig_a, sig_b)
    assert jaccard > params.threshold  # the template alone would pass the long-text rule
    assert not params.is_duplicate(jaccard=jaccard, containment=containment(a, b), sizes=(len(a), len(b)))


def test_containment_is_the_share_of_the_smaller_set() -> None:
    small, large = np.array([1, 2, 3, 4], np.uint32), np.arange(3, 100, dtype=np.uint64)
    assert containment(small, large) == containment(large, small) == 0.5
    assert containment(np.empty(0, np.uint32), large) == 0.0


def test_estimate_jaccard_refuses_signatures_of_other_sizes() -> None:
    sigs64, sigs128 = signatures([np.array([1], np.uint32)], num_perm=64), signatures([], num_perm=128)
    assert sigs128.shape == (0, 128)
    with pytest.raises(ValueError, match="same DedupParams"):
        estimate_jaccard(sigs64[0], np.zeros(128, np.uint32))


@settings(max_examples=40, deadline=None)
@given(
    text=st.text(alphabet=st.sampled_from("中国的新闻社ーカナ。、「」 ไทยข่าว abc1２๕٣"), max_size=80),
    size=st.integers(1, 6),
)
def test_character_signatures_are_bit_identical_to_datasketch(text: str, size: int) -> None:
    # Rules words3: a Thai or Arabic-Indic digit is its ASCII digit.
    folded = (str(unicodedata.digit(c)) if unicodedata.category(c) == "Nd" else c for c in normalize_text(text))
    normalized = "".join(c for c in folded if unicodedata.category(c)[0] in "LMN")
    width = min(size, len(normalized))
    grams = [normalized[i : i + width].encode() for i in range(len(normalized) - width + 1)] if normalized else []
    minhash = MinHash(num_perm=64, seed=1, hashfunc=char_shingle_hash)
    minhash.update_batch(grams)
    ours = signatures([char_shingle_hashes(text, size=size)], num_perm=64, seed=1)[0]
    assert np.array_equal(ours, minhash.hashvalues)


@pytest.mark.parametrize(
    ("text", "scheme"),
    [
        ("The minister said on Monday that prices rose.", "word"),
        ("Премьер-министр заявил в понедельник, что цены выросли.", "word"),
        ("서울에서 대통령이 월요일에 말했다.", "word"),  # Hangul is written with spaces
        ("国家主席今天在北京会见了来访的总理。", "char"),
        ("東京都は月曜日、新しい計画を発表した。Tokyo Metropolitan Government", "char"),
        ("นายกรัฐมนตรีกล่าวว่า รัฐบาลจะเพิ่มงบประมาณ", "char"),
        ("The Xinhua agency (新华社) reported the figures on Monday after the meeting ended.", "word"),
    ],
)
def test_unspaced_scripts_are_shingled_by_characters(text: str, scheme: str) -> None:
    assert shingle_scheme(normalize_text(text)) == scheme
    assert shingles(text, DedupParams())[0] == scheme


def test_full_width_forms_and_punctuation_styles_give_the_same_character_shingles() -> None:
    a = "「ｶﾀｶﾅ」の会社はＡＢＣ１２３を発表した。"
    b = "『カタカナ』の会社は、ABC123を発表した!"
    assert np.array_equal(char_shingle_hashes(a), char_shingle_hashes(b))


def test_an_edited_copy_joins_by_jaccard_and_containment_together() -> None:
    params = DedupParams()
    assert params.is_duplicate(jaccard=0.38, containment=0.62, sizes=(120, 130))  # issue 17's edited copies
    assert not params.is_duplicate(jaccard=0.33, containment=0.5, sizes=(100, 100))  # quotes half a story
    assert not params.is_duplicate(jaccard=0.07, containment=0.18, sizes=(212, 400))  # same topic


def test_the_edited_copy_rule_needs_a_text_twice_the_short_size() -> None:
    # Two template briefs from a held-out newsroom world: a fire in Tampere on Thursday, one in Bilbao on
    # Wednesday, 30 shingles each. Just past the short-text rule, they met the edited-copy rule and were merged.
    params = DedupParams()
    tampere = (
        "A fire broke out at a warehouse in Tampere on Thursday, fire officials said. Crews were called at 6am and "
        "brought the blaze under control within two hours. No injuries were reported and the cause is under "
        "investigation."
    )
    bilbao = tampere.replace("Tampere", "Bilbao").replace("Thursday", "Wednesday").replace("6am", "noon")
    (_, a), (_, b) = shingles(tampere, params), shingles(bilbao, params)
    shared = len(np.intersect1d(a, b))
    jaccard, containment = shared / len(np.union1d(a, b)), shared / min(len(a), len(b))
    assert min(len(a), len(b)) >= params.min_shingles and 0.3 <= jaccard < 0.5 and 0.55 <= containment < 0.65
    assert not params.is_duplicate(jaccard=jaccard, containment=containment, sizes=(len(a), len(b)))
    assert not params.is_duplicate(jaccard=0.38, containment=0.62, sizes=(59, 70))
    assert params.is_duplicate(jaccard=0.38, containment=0.62, sizes=(60, 70))
    assert params.is_duplicate(jaccard=0.5, containment=0.6, sizes=(30, 30))  # the first rules hold at any size
    assert not params.is_duplicate(jaccard=0.38, containment=0.62, sizes=(110, 130), scheme="char")
    assert params.is_duplicate(jaccard=0.38, containment=0.62, sizes=(120, 130), scheme="char")


def test_short_text_rule_counts_characters_for_character_shingles() -> None:
    params = DedupParams()
    assert not params.is_duplicate(jaccard=0.6, containment=0.7, sizes=(45, 50), scheme="char")
    assert params.is_duplicate(jaccard=0.6, containment=0.7, sizes=(45, 50), scheme="word")

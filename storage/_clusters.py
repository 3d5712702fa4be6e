"""The in-memory half of a dedup step: articles of one chunk join clusters one at a time, in article-id order.

A new article is verified against a few representatives of each cluster its LSH buckets reach, never against
every member, and an LSH bucket remembers only a few members per cluster and a few clusters: 10,000 copies of
one story cost 10,000 small verifications and 9,999 stored edges, not 50 million pairs. A cluster of at most
REPRESENTATIVES members is verified member by member, exactly as before, so small clusters (the newsroom's
wire stories, 2-7 copies) are decided as they always were.

Pure: no database. storage/dedup.py loads the stored members and signatures this module asks for, and writes
what it decides (cluster ids, merges, the edges that explain each join).
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from functools import lru_cache
from itertools import chain

import numpy as np

from extractors.fingerprint import DedupParams, Scheme, estimate_jaccards, numbers_agree, numbers_of

# Per LSH bucket and cluster, the oldest members kept as candidates; per bucket, the oldest clusters kept.
# Natural text puts ~1 unrelated article in a bucket a new article hits at 1M stored (p ≈ 5e-5 per pair
# over 51 bands), so only a bucket flooded by one cluster (a wire story everywhere, a soft-404 page under
# thousands of URLs) or by a family of templated near-copies is ever cut.
BUCKET_MEMBERS = 8
BUCKET_CLUSTERS = 32
# Members of one cluster a new article is verified against: those sharing the most LSH bands with it
# (the best estimate of Jaccard before any is loaded), then the oldest; plus the canonical article of each
# stored cluster it reaches. Bounds verification per article at bands x BUCKET_CLUSTERS x (this + 1).
REPRESENTATIVES = 8

# article id -> (MinHash signature, sorted shingles, shingle scheme)
# An article's signature, shingle hashes, shingle scheme and text (whose numbers a match must agree on).
Fingerprint = tuple[np.ndarray, np.ndarray, Scheme, str]
Fingerprints = Mapping[int, Fingerprint]
StoredMember = tuple[int, int, int, int]  # (band, bucket, cluster_id, article_id) of an article signed earlier
Bucket = tuple[int, int]  # (band, bucket key)


@dataclass(frozen=True, slots=True)
class DupMatch:
    """A verified near-duplicate edge: `article_id` joined (or kept) the cluster of `matched_article_id`."""

    article_id: int
    matched_article_id: int
    jaccard: float
    containment: float


class ChunkLinker:
    """Union-find over cluster ids plus the chunk's view of the LSH buckets, grown as articles join.

    Cluster ids are article ids. A stored cluster (one that exists before the chunk) wins over one the chunk
    starts, then the smaller id: so when an article bridges clusters, the older id is kept.

    An article re-signed under its id (its text changed) stays in its cluster only if its new text matches a
    member of it; otherwise it leaves and is clustered as a new article would be, so the clusters follow the
    texts stored now, not the texts they once had. When the leaver's id named its old cluster, the new cluster
    it starts takes that id (as in a database built from the current texts), and the old cluster, if anything
    is left of it, needs another name: `vacated`.
    """

    def __init__(
        self,
        stored: Iterable[StoredMember],
        canonicals: Mapping[int, int],
        current: Mapping[int, int | None],
    ) -> None:
        """`stored` in ascending article id; `current`: chunk article -> the cluster it already has, if any."""
        self._parent: dict[int, int] = {}
        self._merged: set[int] = set()  # roots merged into another since the chunk began
        self._buckets: dict[Bucket, dict[int, list[int]]] = {}
        self._cluster_of_member: dict[int, int] = {}
        for band, bucket, cluster_id, article_id in stored:
            self._buckets.setdefault((band, bucket), {}).setdefault(cluster_id, []).append(article_id)
            self._cluster_of_member[article_id] = cluster_id
        self._canonicals = canonicals
        self._current = current
        self._existing = set(self._cluster_of_member.values()) | {c for c in current.values() if c is not None}
        # Node each chunk article hangs on in the union-find: its cluster, or the one it starts (see _own_node).
        self._node: dict[int, int] = {}
        self._left: dict[int, int] = {}  # re-signed article -> the cluster it left
        # A canonical that is itself re-signed in this chunk stands for its cluster's old text, which it may no
        # longer have: the chunk's articles reach it through the buckets it is remembered in, under its cluster now.
        self._canonical_of_member = {
            m: c
            for m, cluster_id in self._cluster_of_member.items()
            if (c := canonicals.get(cluster_id)) is not None and c not in current
        }
        # What each bucket asks to load: its stored members and their clusters' canonicals.
        self._stored_needs = {
            key: {m for members in entry.values() for m in members}
            | {c for cluster_id in entry if (c := canonicals.get(cluster_id)) is not None}
            for key, entry in self._buckets.items()
        }

    def stored_needs(self, buckets: Iterable[Bucket]) -> set[int]:
        """Stored articles whose fingerprints an article in these LSH buckets may be verified against."""
        return set().union(*(self._stored_needs.get(bucket, ()) for bucket in buckets))

    def link(
        self, article_id: int, buckets: Sequence[Bucket], fingerprints: Fingerprints, params: DedupParams
    ) -> list[DupMatch]:
        """Verify the article against its candidate clusters, join it, and return one edge per cluster it matched.

        `buckets`: the article's LSH buckets that another article (stored, or later in the chunk) shares; the
        others can neither give nor take a candidate.
        """
        representatives = self._representatives(article_id, buckets)
        candidates = sorted({m for members in representatives.values() for m in members})
        matched = {m.matched_article_id: m for m in verify(article_id, candidates, fingerprints, params)}
        edges, roots = [], []
        for root, members in representatives.items():
            passing = [matched[m] for m in members if m in matched]
            if passing:
                edges.append(max(passing, key=lambda m: (m.jaccard, m.containment, -m.matched_article_id)))
                roots.append(root)
        own = self._current.get(article_id)
        if own is not None and self._find(own) not in roots:
            self._left[article_id] = own
            own = None
        node = self._own_node(article_id) if own is None else own
        self._node[article_id] = node
        self._remember(article_id, buckets, self._union([node, *roots]))
        return edges

    def cluster_of(self, article_id: int, renamed: Mapping[int, int]) -> int:
        """The cluster id an article of the chunk ended under (after link); `renamed`: new ids of `vacated` ones."""
        return self._name(self._find(self._node[article_id]), renamed)

    def cluster_now(self, cluster_id: int, renamed: Mapping[int, int]) -> int:
        """The id that a cluster existing before the chunk goes on under (merged, renamed, or its own)."""
        return self._name(self._find(cluster_id), renamed)

    def left(self) -> dict[int, int]:
        """Re-signed article -> the cluster (its id before the chunk) that its new text matched no member of."""
        return dict(self._left)

    def vacated(self) -> dict[int, list[int]]:
        """Clusters named by an article that left them -> the chunk's articles still in them.

        Their stored members, and these, need another cluster id: the leaver's new cluster has taken theirs.
        """
        members: dict[int, list[int]] = {
            c: [] for c, node in self._node.items() if c in self._existing and self._find(c) == c != self._find(node)
        }
        for article_id, node in self._node.items():
            root = self._find(node)
            if root in members:
                members[root].append(article_id)
        return members

    def merges(self) -> list[tuple[int, int]]:
        """(kept, merged) for every cluster that existed before the chunk and was merged into another.

        `kept` is the id it was merged under in the chunk (a `vacated` one is renamed after).
        """
        return sorted((self._find(c), c) for c in self._existing if self._find(c) != c)

    def _own_node(self, article_id: int) -> int:
        """The union-find node of the cluster an article starts: its id. Nodes of stored clusters are their ids,
        so when the article's id still names the cluster it just left, its negation stands in; _name gives the new
        cluster the article's id all the same, and the old one is renamed (`vacated`)."""
        return -article_id if article_id in self._existing else article_id

    @staticmethod
    def _name(root: int, renamed: Mapping[int, int]) -> int:
        return -root if root < 0 else renamed.get(root, root)

    def _representatives(self, article_id: int, buckets: Iterable[Bucket]) -> dict[int, list[int]]:
        """Cluster -> the members to verify the article against."""
        parts: dict[int, list[list[int]]] = {}
        for bucket in buckets:
            for root, members in self._compacted(bucket).items():
                parts.setdefault(root, []).append(members)
        # Members are older than the article, except stored ones after an article whose text changed (re-signed
        # under its old id). Those count too: an updated wire story is usually its cluster's oldest member, and
        # it stays in the cluster only if its new text matches one of the copies stored after it.
        ranked: dict[int, list[int]] = {}
        for root, lists in parts.items():
            members = sorted(set(chain.from_iterable(lists)))
            if len(members) > REPRESENTATIVES:
                shared = Counter(chain.from_iterable(lists))
                members.sort(key=lambda m: (-shared[m], m))
                del members[REPRESENTATIVES:]
            canonicals = {c for m in members if (c := self._canonical_of_member.get(m)) is not None}
            # A canonical after the article may wait for its signature in a later chunk.
            members += sorted(c for c in canonicals - set(members) if c < article_id)
            if members:
                ranked[root] = members
        return ranked

    def _remember(self, article_id: int, buckets: Iterable[Bucket], root: int) -> None:
        for bucket in buckets:
            entry = self._compacted(bucket)
            members = entry.get(root)
            if members is None:
                if len(entry) < BUCKET_CLUSTERS:
                    entry[root] = [article_id]
                    self._buckets[bucket] = entry
            elif len(members) < BUCKET_MEMBERS:
                members.append(article_id)

    def _compacted(self, key: Bucket) -> dict[int, list[int]]:
        """The bucket's clusters under their current roots (merges since it was read fold lists together)."""
        entry = self._buckets.get(key)
        if entry is None:
            return {}
        if self._merged.isdisjoint(entry):
            return entry
        folded: dict[int, list[int]] = {}
        for node, members in entry.items():
            folded.setdefault(self._find(node), []).extend(members)
        for root, members in folded.items():
            folded[root] = sorted(members)[:BUCKET_MEMBERS]
        self._buckets[key] = folded
        return folded

    def _find(self, node: int) -> int:
        parent = self._parent
        root = node
        while (up := parent.get(root, root)) != root:
            root = up
        while node != root:  # path compression
            parent[node], node = root, parent.get(node, node)
        return root

    def _union(self, nodes: Sequence[int]) -> int:
        roots = {self._find(n) for n in nodes}
        keep = min(roots, key=lambda r: (r not in self._existing, abs(r)))
        for r in roots - {keep}:
            self._parent[r] = keep
            self._merged.add(r)
        return keep


# A copy joining a large cluster is verified against many of its members, and they against later copies: their
# numbers are read once (the texts are the fingerprints' own objects, whose hash Python keeps).
_numbers = lru_cache(maxsize=1024)(numbers_of)


def verify(
    article_id: int, candidates: Sequence[int], fingerprints: Fingerprints, params: DedupParams
) -> list[DupMatch]:
    """The candidates that an article matches by the rule of `params`, with their figures.

    The article is compared with all its candidates at once (one signature comparison and one binary search
    over their concatenated shingles), not pair by pair: numpy's per-call cost dominated at ~12 candidates
    an article (29k pairs took 0.7 s of the dedup step's 2.2 s in the benchmark world).
    """
    if not candidates:
        return []
    sig_a, sh_a, scheme, text_a = fingerprints[article_id]
    others = [fingerprints[c] for c in candidates]
    jaccards = estimate_jaccards(sig_a, [other[0] for other in others])
    common = _common_counts(sh_a, [other[1] for other in others])
    matches, numbers_a = [], None
    for old, (_, sh_b, scheme_b, text_b), jaccard, shared in zip(candidates, others, jaccards, common, strict=True):
        if scheme_b != scheme:
            continue  # word and character shingles of two texts say nothing about each other
        smaller = min(len(sh_a), len(sh_b))
        contained = int(shared) / smaller if smaller else 0.0
        sizes = (len(sh_a), len(sh_b))
        if not params.is_duplicate(jaccard=float(jaccard), containment=contained, sizes=sizes, scheme=scheme):
            continue
        # A template's story with other numbers is another story. Read only for the pairs that pass: ~97 % of
        # the candidates loaded against a large store do not.
        numbers_a = _numbers(text_a) if numbers_a is None else numbers_a
        if numbers_agree(numbers_a, _numbers(text_b)):
            matches.append(DupMatch(article_id, old, float(jaccard), contained))
    return matches


def _common_counts(hashes: np.ndarray, others: Sequence[np.ndarray]) -> np.ndarray:
    """How many of `hashes` each of `others` holds; all are sorted and unique (see dedup._load_signatures)."""
    lengths = np.array([len(o) for o in others], dtype=np.int64)
    if len(hashes) == 0 or not lengths.any():
        return np.zeros(len(others), dtype=np.int64)
    joined = np.concatenate(others)
    pos = np.minimum(np.searchsorted(hashes, joined), len(hashes) - 1)
    found = np.concatenate(([0], np.cumsum(hashes[pos] == joined)))
    ends = np.cumsum(lengths)
    counts: np.ndarray = found[ends] - found[ends - lengths]
    return counts

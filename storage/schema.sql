-- copydesk schema. Applied on every connect; every statement is idempotent.
-- Timestamps are TIMESTAMPTZ in UTC; ids are *_id.

CREATE SEQUENCE IF NOT EXISTS article_ids START 1;

CREATE TABLE IF NOT EXISTS runs (
    run_id       VARCHAR PRIMARY KEY,
    flow         VARCHAR NOT NULL DEFAULT 'ingest',  -- ingest (copydesk run) | backfill | ingest-warc | reextract
    started_at   TIMESTAMPTZ NOT NULL,
    finished_at  TIMESTAMPTZ,
    status       VARCHAR NOT NULL,           -- running | completed | failed | interrupted | abandoned
    sources      INTEGER,
    discovered   INTEGER,
    fetched      INTEGER,
    stored       INTEGER,
    new          INTEGER,
    updated      INTEGER,
    unchanged    INTEGER,
    skipped      INTEGER,
    duplicates   INTEGER,
    errors       INTEGER,
    params       JSON,
    error        VARCHAR,                    -- why a run failed, was interrupted or abandoned
    pid          INTEGER,                    -- the process that ran it, so a later run can tell a dead
    hostname     VARCHAR                     -- run (abandoned) from one still going
);
-- Added 2026-12 (copydesk 0.1 files have no such columns).
ALTER TABLE runs ADD COLUMN IF NOT EXISTS skipped INTEGER;
ALTER TABLE runs ADD COLUMN IF NOT EXISTS error VARCHAR;
ALTER TABLE runs ADD COLUMN IF NOT EXISTS pid INTEGER;
ALTER TABLE runs ADD COLUMN IF NOT EXISTS hostname VARCHAR;
-- Before 2026-12-05 every run was recorded as flow 'ingest'; ingest-warc and reextract runs named theirs in params.
UPDATE runs SET flow = params->>'flow' WHERE flow = 'ingest' AND params->>'flow' IN ('ingest-warc', 'reextract');

-- One row per canonical article URL.
CREATE TABLE IF NOT EXISTS articles (
    article_id     BIGINT PRIMARY KEY,
    url            VARCHAR NOT NULL UNIQUE,
    source         VARCHAR NOT NULL,
    title          VARCHAR,
    author         VARCHAR,                  -- authors joined with '; '
    authors        VARCHAR[],
    published_at   TIMESTAMPTZ,
    published_from VARCHAR,                  -- where published_at came from: page | feed | sitemap | guessed
    modified_at    TIMESTAMPTZ,
    language       VARCHAR,
    site_name      VARCHAR,
    description    VARCHAR,
    image_url      VARCHAR,
    is_accessible_for_free BOOLEAN,          -- the page's JSON-LD paywall markup; false: likely a teaser
    text           VARCHAR NOT NULL,
    captions       STRUCT(text VARCHAR, credit VARCHAR)[],
    related_links  STRUCT(title VARCHAR, url VARCHAR)[],
    gallery_titles VARCHAR[],
    extractor      VARCHAR,
    fetched_at     TIMESTAMPTZ NOT NULL,
    updated_at     TIMESTAMPTZ,
    content_hash   VARCHAR NOT NULL,
    etag           VARCHAR,
    last_modified  VARCHAR,
    cluster_id     BIGINT,                   -- NULL until the dedup step has seen the article
    is_canonical   BOOLEAN,
    first_run_id   VARCHAR NOT NULL,
    last_run_id    VARCHAR NOT NULL
);
-- Added 2026-12 (earlier files have no such columns; their rows keep NULL until re-fetched).
ALTER TABLE articles ADD COLUMN IF NOT EXISTS published_from VARCHAR;
ALTER TABLE articles ADD COLUMN IF NOT EXISTS is_accessible_for_free BOOLEAN;
-- The crawl or ingest run whose fetch gave the stored text (not a 304, not reextract): an archived page of an
-- earlier run is older than the text, and reextract leaves it. NULL in rows stored before the column existed.
ALTER TABLE articles ADD COLUMN IF NOT EXISTS text_run_id VARCHAR;
-- The address the text was fetched from, after redirects (url is the page's canonical where it names one); NULL in
-- rows stored before the column (added 2026-12).
ALTER TABLE articles ADD COLUMN IF NOT EXISTS page_url VARCHAR;
-- An article its address no longer serves (added 2026-12): set when a re-check of a URL that led to it answers
-- 404 or 410, or redirects to the site's front page or a section above it (gone_status: that answer's status),
-- or now leads to another stored article (a redirect or a new rel=canonical: gone_status 301, and url_aliases
-- maps the old URL to the new). Cleared when a fetch gives the article again. The row and its text stay.
ALTER TABLE articles ADD COLUMN IF NOT EXISTS gone_at TIMESTAMPTZ;
ALTER TABLE articles ADD COLUMN IF NOT EXISTS gone_status SMALLINT;

-- Other URLs that led to a stored article (tracking variants, redirects, non-canonical paths).
CREATE TABLE IF NOT EXISTS url_aliases (
    alias_url      VARCHAR PRIMARY KEY,
    url            VARCHAR NOT NULL,
    first_seen_at  TIMESTAMPTZ NOT NULL
);

-- Every HTTP attempt.
CREATE TABLE IF NOT EXISTS fetches (
    run_id       VARCHAR NOT NULL,
    url          VARCHAR NOT NULL,
    kind         VARCHAR NOT NULL,           -- article | feed | sitemap | robots | page
    started_at   TIMESTAMPTZ NOT NULL,
    status       INTEGER,
    error        VARCHAR,
    elapsed_ms   INTEGER,
    bytes        BIGINT,
    conditional  BOOLEAN,
    reason       VARCHAR                     -- why the URL was not fetched: crawl.fetch.Reason (NULL when it was)
);
-- Added 2026-12 (earlier files have no such column).
ALTER TABLE fetches ADD COLUMN IF NOT EXISTS reason VARCHAR;

-- Per-item failures of any stage other than the HTTP attempt itself.
CREATE TABLE IF NOT EXISTS errors (
    run_id       VARCHAR NOT NULL,
    stage        VARCHAR NOT NULL,           -- source | discover | fetch | extract | dedupe | load
    url          VARCHAR,
    error_type   VARCHAR NOT NULL,
    message      VARCHAR NOT NULL,
    occurred_at  TIMESTAMPTZ NOT NULL,
    text         VARCHAR                     -- what would have been stored (a page judged not an article)
);
ALTER TABLE errors ADD COLUMN IF NOT EXISTS text VARCHAR;

-- What we know about every URL we have requested: the incremental-crawl memory.
CREATE TABLE IF NOT EXISTS seen_urls (
    url            VARCHAR PRIMARY KEY,      -- canonical key of the discovered URL
    fetch_url      VARCHAR,                  -- the address last requested (keeps the path as published)
    kind           VARCHAR NOT NULL,
    source         VARCHAR,
    outcome        VARCHAR NOT NULL,         -- ok | not_modified | skipped | failed
    article_url    VARCHAR,                  -- the canonical article it led to, if any
    etag           VARCHAR,
    last_modified  VARCHAR,
    published_at   TIMESTAMPTZ,
    first_seen_at  TIMESTAMPTZ NOT NULL,
    last_checked_at TIMESTAMPTZ NOT NULL,
    last_run_id    VARCHAR NOT NULL,
    reason         VARCHAR                   -- why the last outcome was skipped or failed (fetches.reason values,
                                             -- not_an_article, extract, redirected_away: to the site's
                                             -- front page); NULL when ok
);
-- Added 2026-12 (earlier files have no such column).
ALTER TABLE seen_urls ADD COLUMN IF NOT EXISTS reason VARCHAR;
-- Whether a feed or news sitemap named the URL an article when it was last requested: a failed one is retried as
-- such after its listing dropped it (NULL in rows from before the column: retried as listed, as they were).
ALTER TABLE seen_urls ADD COLUMN IF NOT EXISTS listed BOOLEAN;

-- Every archived response: where its WARC record is (storage/archive.py). Written in the batch's transaction
-- after the record is on disk, so a row never points at a missing or partial record.
CREATE TABLE IF NOT EXISTS pages (
    url            VARCHAR NOT NULL,         -- the key the page is remembered under (seen_urls.url)
    fetch_url      VARCHAR NOT NULL,         -- the address requested
    target_url     VARCHAR NOT NULL,         -- the response's URL after redirects (WARC-Target-URI)
    source         VARCHAR,
    kind           VARCHAR NOT NULL,         -- article | feed | sitemap | page (a link page, archive_listings)
    listed         BOOLEAN NOT NULL,         -- listed by a feed or sitemap (extraction judges index pages by it)
    record_type    VARCHAR NOT NULL,         -- response | revisit (a 304 Not Modified)
    record_id      VARCHAR NOT NULL,         -- WARC-Record-ID
    warc_file      VARCHAR NOT NULL,         -- file name in the archive folder, or the absolute path of a file
                                             -- ingest-warc read (re-extraction reads it there)
    record_offset  BIGINT NOT NULL,          -- where the record's gzip member starts in the file
    record_length  BIGINT NOT NULL,          -- its bytes (OFFSET is a reserved word in SQL)
    payload_digest VARCHAR NOT NULL,         -- WARC-Payload-Digest (a revisit: the stored response's)
    status         INTEGER NOT NULL,
    fetched_at     TIMESTAMPTZ NOT NULL,
    run_id         VARCHAR NOT NULL
);

-- WARC files ingested by `copydesk ingest-warc`: how far each got, so a killed ingest resumes where it stopped.
-- Updated in each batch's transaction, with the batch's rows.
CREATE TABLE IF NOT EXISTS warc_files (
    path          VARCHAR PRIMARY KEY,       -- absolute path of the file
    size          BIGINT NOT NULL,
    done_offset   BIGINT NOT NULL,           -- every record before this byte is ingested
    records       BIGINT NOT NULL,
    pages         BIGINT NOT NULL,           -- HTML responses extracted
    skipped       JSON,                      -- records not extracted, by reason: {"http_status": 3, "type": 12}
    started_at    TIMESTAMPTZ NOT NULL,
    finished_at   TIMESTAMPTZ,               -- NULL while the file is partly ingested
    run_id        VARCHAR NOT NULL
);
-- Why the file could not be read past done_offset (NULL: no problem); the next ingest tries it again from there.
ALTER TABLE warc_files ADD COLUMN IF NOT EXISTS error VARCHAR;

-- MinHash signature of every clustered article (uint32 values packed little-endian).
CREATE TABLE IF NOT EXISTS signatures (
    article_id   BIGINT PRIMARY KEY,
    params       VARCHAR NOT NULL,           -- DedupParams key; signatures of other params are never compared
    minhash      BLOB NOT NULL,
    shingles     BLOB,                       -- NULL: recomputed from articles.text when a candidate is verified
    scheme       VARCHAR,                    -- 'word' or 'char' shingles (extractors.fingerprint.shingle_scheme)
    shingle_count INTEGER                    -- unique shingles; with estimated Jaccard it bounds containment
);
-- Added 2026-12 with script-aware shingling: rows written before it are word shingles (storage/dedup.py
-- relabels them, or asks for `copydesk rebuild-clusters` where Chinese, Japanese or Thai text needs re-signing).
ALTER TABLE signatures ADD COLUMN IF NOT EXISTS scheme VARCHAR;
-- Added 2026-12 (issue 20): stored shingle hashes were ~2.5 kB of the ~4 kB an article cost in the index, and
-- are recomputed from the text of the few candidates that are verified. Files written before keep their
-- minhash; their shingles become a count (the file's freed blocks are reused by later writes).
ALTER TABLE signatures ADD COLUMN IF NOT EXISTS shingle_count INTEGER;
ALTER TABLE signatures ALTER COLUMN shingles DROP NOT NULL;
UPDATE signatures SET shingle_count = octet_length(shingles) // 4, shingles = NULL WHERE shingles IS NOT NULL;

-- LSH band keys of articles signed since the last flush: articles sharing (band, bucket) are near-duplicate
-- candidates. Older keys live in sorted run files next to the database (storage/_bandruns.py).
CREATE TABLE IF NOT EXISTS lsh_bands (
    band        SMALLINT NOT NULL,
    bucket      BIGINT NOT NULL,
    article_id  BIGINT NOT NULL
);

-- The run files (`<db>.lsh/<name>/`) that hold the band keys flushed out of lsh_bands; a run directory with
-- no row here is an orphan, deleted by the next flush.
CREATE TABLE IF NOT EXISTS lsh_runs (
    name        VARCHAR PRIMARY KEY,
    articles    BIGINT NOT NULL,
    entries     BIGINT NOT NULL,
    created_at  TIMESTAMPTZ NOT NULL
);

-- A `rebuild-clusters` under way (storage/rebuild.py): one row from the transaction that emptied the index to
-- the one that signed its last article. Its progress is the `signatures` rows written since, committed chunk by
-- chunk; while the row is here, a run's dedup step refuses to match against the half-built index.
CREATE TABLE IF NOT EXISTS index_rebuilds (
    run_id      VARCHAR NOT NULL,           -- the rebuild's run: its dup_pairs and cluster_merges rows carry it
    settings    VARCHAR NOT NULL,           -- dedup parameters and canonical rule: a rerun with others starts over
    started_at  TIMESTAMPTZ NOT NULL
);

-- Why an article joined its cluster: one verified edge per joined article, to the representative it
-- matched (a member sharing its LSH buckets, or the canonical), plus one per further cluster it bridged.
-- Not every pair of copies: 10,000 copies of one story keep 9,999 rows (storage/dedup.py). Files written by
-- earlier versions hold every verified pair until `rebuild-clusters`; the views read both alike.
CREATE TABLE IF NOT EXISTS dup_pairs (
    article_id          BIGINT NOT NULL,
    matched_article_id  BIGINT NOT NULL,
    jaccard             DOUBLE NOT NULL,
    containment         DOUBLE NOT NULL,
    run_id              VARCHAR NOT NULL
);

CREATE TABLE IF NOT EXISTS cluster_merges (
    run_id            VARCHAR NOT NULL,
    kept_cluster_id   BIGINT NOT NULL,
    merged_cluster_id BIGINT NOT NULL,
    merged_at         TIMESTAMPTZ NOT NULL
);

CREATE OR REPLACE VIEW clusters AS
SELECT
    a.cluster_id,
    count(*) AS size,
    arg_min(a.url, a.article_id) FILTER (WHERE a.is_canonical) AS canonical_url,
    arg_min(a.title, a.article_id) FILTER (WHERE a.is_canonical) AS canonical_title,
    list(DISTINCT a.source ORDER BY a.source) AS sources,
    min(a.fetched_at) AS first_seen_at,
    max(a.fetched_at) AS last_seen_at
FROM articles a
WHERE a.cluster_id IS NOT NULL
GROUP BY a.cluster_id;

-- Each join: the member, the article it matched, the figures (a bridge shows one row per cluster it joined).
CREATE OR REPLACE VIEW syndication AS
SELECT
    a.cluster_id,
    a.url, a.source, a.title,
    m.url AS matched_url, m.source AS matched_source, m.title AS matched_title,
    p.jaccard, p.containment, p.run_id
FROM dup_pairs p
JOIN articles a ON a.article_id = p.article_id
JOIN articles m ON m.article_id = p.matched_article_id;

CREATE OR REPLACE VIEW unique_articles AS
SELECT * FROM articles WHERE is_canonical OR cluster_id IS NULL;

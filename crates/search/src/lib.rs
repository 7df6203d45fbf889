//! Vietnamese full-text search for the congso portal.
//!
//! An embedded [tantivy] index with an analyzer built on congso-vn
//! ([`analysis`]): every word is indexed folded (no tones or marks, đ→d) so
//! that "thu tuc cap giay phep xay dung" finds "Thủ tục cấp giấy phép xây
//! dựng", and, when it has diacritics, exact (tone-normalised), so a query
//! typed with diacritics ranks documents written the same way first.
//! Neighbouring syllables are indexed as bigrams, which match multi-syllable
//! words ("công nghệ thông tin") as phrases and rank words standing together
//! above scattered ones.
//!
//! On top: an editable abbreviation/synonym list ([`Synonyms`]: UBND, CNTT,
//! TP HCM…), typo tolerance and "did you mean" from the index's own
//! vocabulary, best bets ([`BestBets`]), facets (type, category, year), date
//! filters, highlighted snippets (escaped HTML) and paging.
//!
//! ```
//! use congso_search::{Document, Query, SearchIndex};
//!
//! let index = SearchIndex::open_in_ram()?;
//! index.upsert(&Document::new("dieu-47", "Điều 47. Giám đốc công nghệ thông tin", "…"))?;
//! index.commit()?;
//! let results = index.search(&Query::new("giam doc cntt"))?;
//! assert_eq!(results.hits[0].id, "dieu-47");
//! assert_eq!(results.hits[0].title_html, "Điều 47. <mark>Giám</mark> <mark>đốc</mark> \
//!     <mark>công</mark> <mark>nghệ</mark> <mark>thông</mark> <mark>tin</mark>");
//! # Ok::<(), congso_search::SearchError>(())
//! ```
//!
//! The index is safe to share between threads (`Arc<SearchIndex>`); searching
//! is CPU work, so async callers run it on a blocking thread.

pub mod analysis;
mod best_bets;
pub mod eval;
mod highlight;
mod index;
mod plan;
mod synonyms;
mod vocab;

#[cfg(feature = "bench")]
pub mod bench;

pub use best_bets::BestBets;
pub use index::{Options, SearchIndex};
pub use synonyms::{ListError, Synonyms, SHIPPED as SHIPPED_SYNONYMS};
pub use time::Date;

/// Longest document id, in bytes.
pub const MAX_ID_BYTES: usize = 256;
/// Longest title, in bytes.
pub const MAX_TITLE_BYTES: usize = 4 * 1024;
/// Longest body, in bytes.
pub const MAX_BODY_BYTES: usize = 8 * 1024 * 1024;
/// Longest URL, type or category, in bytes.
pub const MAX_FIELD_BYTES: usize = 2 * 1024;
/// Longer query text is cut (at a character) before it is planned.
pub const MAX_QUERY_BYTES: usize = 1024;
/// Words of a query beyond this many are ignored.
pub const MAX_QUERY_WORDS: usize = 24;
/// Most hits on one page.
pub const MAX_LIMIT: usize = 100;
/// Deepest first hit a page can ask for.
pub const MAX_OFFSET: usize = 10_000;
/// Most values of each facet returned.
pub const MAX_FACET_VALUES: usize = 50;

/// One searchable item: an article, a legal document, a service…
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct Document {
    /// Stable identifier; indexing a document with an existing id replaces it.
    pub id: String,
    pub title: String,
    /// Plain text (no markup): what snippets are cut from.
    pub body: String,
    /// Where the item is shown; returned with each hit.
    #[serde(default)]
    pub url: String,
    /// Content type, a facet ("tin-tuc", "van-ban", "dich-vu"…).
    #[serde(default)]
    pub kind: String,
    /// Category, a facet.
    #[serde(default)]
    pub category: String,
    /// Publication date: the year facet and the date filters.
    #[serde(default)]
    pub published: Option<Date>,
}

impl Document {
    /// A document with only an id, a title and a body.
    pub fn new(id: impl Into<String>, title: impl Into<String>, body: impl Into<String>) -> Self {
        Self {
            id: id.into(),
            title: title.into(),
            body: body.into(),
            url: String::new(),
            kind: String::new(),
            category: String::new(),
            published: None,
        }
    }
}

/// A search request. Every field has a safe default; out-of-range values are
/// clamped, never refused.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Query {
    /// What the person typed. Quotes make a phrase; other operators are
    /// treated as punctuation.
    pub text: String,
    /// Only these content types (any of them), if not empty.
    pub kinds: Vec<String>,
    /// Only these categories (any of them), if not empty.
    pub categories: Vec<String>,
    /// Only these publication years (any of them), if not empty.
    pub years: Vec<i32>,
    /// Only documents published on or after this day.
    pub published_from: Option<Date>,
    /// Only documents published on or before this day.
    pub published_to: Option<Date>,
    /// Hits to skip (paging), at most [`MAX_OFFSET`].
    pub offset: usize,
    /// Hits on this page, 1 to [`MAX_LIMIT`]; 0 means 10.
    pub limit: usize,
}

impl Query {
    /// The first ten hits for `text`, without filters.
    pub fn new(text: impl Into<String>) -> Self {
        Self {
            text: text.into(),
            limit: 10,
            ..Self::default()
        }
    }
}

/// The answer to a [`Query`].
#[derive(Clone, Debug, PartialEq, serde::Serialize)]
pub struct Results {
    /// Documents matching the query and filters (all pages).
    pub total: u64,
    /// Whether `total` and the facet counts are exact. On large indexes a
    /// query matching more than 50,000 documents gets estimates from a
    /// sample, as search engines report "about 120,000 results".
    pub total_exact: bool,
    pub hits: Vec<Hit>,
    /// Counts over all matching documents.
    pub facets: Facets,
    /// The query with misspelt words corrected, when some were.
    pub did_you_mean: Option<String>,
}

impl Default for Results {
    fn default() -> Self {
        Self {
            total: 0,
            total_exact: true,
            hits: Vec::new(),
            facets: Facets::default(),
            did_you_mean: None,
        }
    }
}

/// One result.
#[derive(Clone, Debug, PartialEq, serde::Serialize)]
pub struct Hit {
    pub id: String,
    /// The title as stored (plain text).
    pub title: String,
    /// The title, HTML-escaped, with matched words in `<mark>`.
    pub title_html: String,
    pub url: String,
    /// A passage of the body around the matched words, HTML-escaped, with
    /// matched words in `<mark>` and "…" where text was left out.
    pub snippet_html: String,
    pub score: f32,
    pub kind: String,
    pub category: String,
    pub published: Option<Date>,
    /// Placed by a best bet rather than by relevance.
    pub pinned: bool,
}

/// Facet counts, most frequent value first.
#[derive(Clone, Debug, Default, PartialEq, Eq, serde::Serialize)]
pub struct Facets {
    pub kinds: Vec<FacetCount>,
    pub categories: Vec<FacetCount>,
    /// Publication years, most recent first.
    pub years: Vec<FacetCount>,
}

#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize)]
pub struct FacetCount {
    pub value: String,
    pub count: u64,
}

/// What can go wrong. Queries never cause errors: only documents that break
/// the limits, and the index's storage, do.
#[derive(Debug, thiserror::Error)]
pub enum SearchError {
    #[error("document {id:?}: {reason}")]
    InvalidDocument { id: String, reason: String },
    #[error("the search index at {path} was built by another version of congso; rebuild it")]
    SchemaChanged { path: String },
    #[error("the search index at {path} is in use by another process")]
    Locked { path: String },
    #[error("search index at {path}: {source}")]
    Open {
        path: String,
        #[source]
        source: Box<dyn std::error::Error + Send + Sync>,
    },
    #[error("search index: {0}")]
    Index(#[from] tantivy::TantivyError),
}

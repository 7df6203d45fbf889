//! The index: schema, writing, and answering queries.

use std::collections::HashMap;
use std::ops::Bound;
use std::path::Path;
use std::sync::{Arc, Mutex, PoisonError, RwLock};

use tantivy::collector::{Collector, SegmentCollector, TopDocs};
use tantivy::columnar::{Column, StrColumn};
use tantivy::directory::MmapDirectory;
use tantivy::query::{
    BooleanQuery, BoostQuery, ConstScoreQuery, DisjunctionMaxQuery, Occur, Query as TantivyQuery,
    RangeQuery, TermQuery,
};
use tantivy::schema::{
    Field, IndexRecordOption, Schema, TextFieldIndexing, TextOptions, Value, FAST, INDEXED, STORED,
    STRING,
};
use tantivy::tokenizer::TextAnalyzer;
use tantivy::{
    DocAddress, Index, IndexReader, IndexWriter, ReloadPolicy, Score, Searcher, SegmentOrdinal,
    SegmentReader, TantivyDocument, Term,
};
use time::Date;

use crate::analysis::{bigram, pre_tokenized, words, Form, VietnameseTokenizer};
use crate::best_bets::BestBets;
use crate::highlight::{highlight_all, snippet};
use crate::plan::{plan, Alternative, Frequencies, Plan, Unit};
use crate::synonyms::Synonyms;
use crate::vocab::Vocabulary;
use crate::{
    Document, FacetCount, Facets, Hit, Query, Results, SearchError, MAX_BODY_BYTES,
    MAX_FACET_VALUES, MAX_FIELD_BYTES, MAX_ID_BYTES, MAX_LIMIT, MAX_OFFSET, MAX_TITLE_BYTES,
};

/// Extra weight of a word found in the title (on top of its weight in the text).
const TITLE_WEIGHT: Score = 2.0;
/// Weight of each bigram of a phrase alternative (a synonym's full form or a quoted phrase).
const PHRASE_WEIGHT: Score = 1.5;
/// Weight of neighbouring query words found next to each other.
const PROXIMITY_WEIGHT: Score = 1.0;
/// Weight of a word found with the diacritics it was typed with.
const EXACT_WEIGHT: Score = 0.6;
/// Score of the first pinned document; later ones get less, all above any
/// relevance score BM25 can give.
const PIN_SCORE: Score = 1.0e6;
/// Score a document gains for each unit of the query it matches, when a
/// query lets documents miss some units: a document missing a word must
/// make up for it with much better matches of the others (the word in the
/// title, the words standing together).
const COORDINATION_BONUS: Score = 12.0;
/// While fewer documents than this contain every unit of a query, documents
/// missing one more unit are let in (ranked lower, since they score less).
const RELAX_BELOW: usize = 10;

/// How the index writes.
#[derive(Clone, Debug)]
pub struct Options {
    /// Indexing threads (a node publishing items one at a time needs one).
    pub writer_threads: usize,
    /// Memory for buffering documents before they are written, all threads
    /// together; at least 15 MB per thread.
    pub writer_memory_bytes: usize,
}

impl Default for Options {
    fn default() -> Self {
        Self {
            writer_threads: 1,
            writer_memory_bytes: 48 * 1024 * 1024,
        }
    }
}

#[derive(Clone, Copy)]
struct Fields {
    id: Field,
    title: Field,
    body: Field,
    url: Field,
    kind: Field,
    category: Field,
    published: Field,
    year: Field,
    text_folded: Field,
    text_bigram: Field,
    text_exact: Field,
    title_folded: Field,
    title_bigram: Field,
}

fn schema() -> (Schema, Fields) {
    let mut builder = Schema::builder();
    let analysed = |form: Form| {
        TextOptions::default().set_indexing_options(
            TextFieldIndexing::default()
                .set_tokenizer(form.tokenizer_name())
                .set_index_option(IndexRecordOption::WithFreqs),
        )
    };
    let fields = Fields {
        id: builder.add_text_field("id", STRING | STORED),
        title: builder.add_text_field("title", STORED),
        body: builder.add_text_field("body", STORED),
        url: builder.add_text_field("url", STORED),
        kind: builder.add_text_field("kind", STRING | STORED | FAST),
        category: builder.add_text_field("category", STRING | STORED | FAST),
        // Days since 1970-01-01, so date filters are integer ranges.
        published: builder.add_i64_field("published", INDEXED | STORED | FAST),
        year: builder.add_i64_field("year", INDEXED | FAST),
        text_folded: builder.add_text_field("text_folded", analysed(Form::Folded)),
        text_bigram: builder.add_text_field("text_bigram", analysed(Form::Bigram)),
        text_exact: builder.add_text_field("text_exact", analysed(Form::Exact)),
        title_folded: builder.add_text_field("title_folded", analysed(Form::Folded)),
        title_bigram: builder.add_text_field("title_bigram", analysed(Form::Bigram)),
    };
    (builder.build(), fields)
}

fn register_tokenizers(index: &Index) {
    for form in [Form::Folded, Form::Exact, Form::Bigram] {
        index.tokenizers().register(
            form.tokenizer_name(),
            TextAnalyzer::builder(VietnameseTokenizer::new(form)).build(),
        );
    }
}

/// What a query runs against: one consistent view of the index and the
/// vocabulary computed from exactly that view.
struct Snapshot {
    searcher: Searcher,
    vocabulary: Vocabulary,
}

/// The agency-editable lists.
#[derive(Default)]
struct Lists {
    synonyms: Synonyms,
    best_bets: BestBets,
}

/// A Vietnamese full-text index on disk or in memory.
pub struct SearchIndex {
    fields: Fields,
    /// Threads analysing documents in [`SearchIndex::rebuild`].
    threads: usize,
    writer: Mutex<IndexWriter<TantivyDocument>>,
    reader: IndexReader,
    snapshot: RwLock<Arc<Snapshot>>,
    lists: RwLock<Arc<Lists>>,
}

fn days_since_epoch(date: Date) -> i64 {
    i64::from(date.to_julian_day()) - i64::from(UNIX_EPOCH_JULIAN_DAY)
}

const UNIX_EPOCH_JULIAN_DAY: i32 = 2_440_588;

fn date_from_days(days: i64) -> Option<Date> {
    let julian = i32::try_from(days + i64::from(UNIX_EPOCH_JULIAN_DAY)).ok()?;
    Date::from_julian_day(julian).ok()
}

impl SearchIndex {
    /// Opens the index in `dir`, creating the directory and an empty index
    /// if needed, with the shipped synonym list and no best bets.
    pub fn open(dir: &Path) -> Result<Self, SearchError> {
        Self::open_with(dir, Options::default())
    }

    /// [`SearchIndex::open`] with explicit writer options.
    pub fn open_with(dir: &Path, options: Options) -> Result<Self, SearchError> {
        let path = dir.display().to_string();
        let open_error = |source: Box<dyn std::error::Error + Send + Sync>| SearchError::Open {
            path: path.clone(),
            source,
        };
        std::fs::create_dir_all(dir).map_err(|e| open_error(Box::new(e)))?;
        let directory = MmapDirectory::open(dir).map_err(|e| open_error(Box::new(e)))?;
        let (schema, fields) = schema();
        let index = match Index::open_or_create(directory, schema) {
            Ok(index) => index,
            Err(tantivy::TantivyError::SchemaError(_)) => {
                return Err(SearchError::SchemaChanged { path })
            }
            Err(error) => return Err(open_error(Box::new(error))),
        };
        Self::from_index(index, fields, options, &path)
    }

    /// An index in memory, for tests and benchmarks.
    pub fn open_in_ram() -> Result<Self, SearchError> {
        let (schema, fields) = schema();
        Self::from_index(
            Index::create_in_ram(schema),
            fields,
            Options::default(),
            "memory",
        )
    }

    fn from_index(
        index: Index,
        fields: Fields,
        options: Options,
        path: &str,
    ) -> Result<Self, SearchError> {
        register_tokenizers(&index);
        let threads = options.writer_threads.max(1);
        let memory = options.writer_memory_bytes.max(threads * 15_000_000);
        let writer = match index.writer_with_num_threads(threads, memory) {
            Ok(writer) => writer,
            Err(tantivy::TantivyError::LockFailure(..)) => {
                return Err(SearchError::Locked {
                    path: path.to_owned(),
                })
            }
            Err(error) => return Err(error.into()),
        };
        let reader = index
            .reader_builder()
            .reload_policy(ReloadPolicy::Manual)
            .try_into()?;
        let snapshot = Self::snapshot_of(&reader, &fields)?;
        Ok(Self {
            fields,
            threads,
            writer: Mutex::new(writer),
            reader,
            snapshot: RwLock::new(Arc::new(snapshot)),
            lists: RwLock::new(Arc::new(Lists {
                synonyms: Synonyms::shipped(),
                best_bets: BestBets::empty(),
            })),
        })
    }

    fn snapshot_of(reader: &IndexReader, fields: &Fields) -> Result<Snapshot, SearchError> {
        let searcher = reader.searcher();
        let vocabulary = Vocabulary::build(&searcher, fields.text_folded, fields.text_exact)?;
        Ok(Snapshot {
            searcher,
            vocabulary,
        })
    }

    fn current(&self) -> Arc<Snapshot> {
        self.snapshot
            .read()
            .unwrap_or_else(PoisonError::into_inner)
            .clone()
    }

    /// Replaces the synonym list; the next query uses it.
    pub fn set_synonyms(&self, synonyms: Synonyms) {
        let mut lists = self.lists.write().unwrap_or_else(PoisonError::into_inner);
        *lists = Arc::new(Lists {
            synonyms,
            best_bets: lists.best_bets.clone(),
        });
    }

    /// Replaces the best bets; the next query uses them.
    pub fn set_best_bets(&self, best_bets: BestBets) {
        let mut lists = self.lists.write().unwrap_or_else(PoisonError::into_inner);
        *lists = Arc::new(Lists {
            synonyms: lists.synonyms.clone(),
            best_bets,
        });
    }

    fn lists(&self) -> Arc<Lists> {
        self.lists
            .read()
            .unwrap_or_else(PoisonError::into_inner)
            .clone()
    }

    fn to_tantivy(&self, document: &Document) -> Result<TantivyDocument, SearchError> {
        let invalid = |reason: &str| SearchError::InvalidDocument {
            id: crate::plan::truncate(&document.id, MAX_ID_BYTES).to_owned(),
            reason: reason.to_owned(),
        };
        if document.id.is_empty() {
            return Err(invalid("empty id"));
        }
        if document.id.len() > MAX_ID_BYTES {
            return Err(invalid("id longer than 256 bytes"));
        }
        if document.id.chars().any(char::is_control) {
            return Err(invalid("control character in the id"));
        }
        if document.title.len() > MAX_TITLE_BYTES {
            return Err(invalid("title longer than 4 KiB"));
        }
        if document.body.len() > MAX_BODY_BYTES {
            return Err(invalid("body longer than 8 MiB"));
        }
        for (name, value) in [
            ("url", &document.url),
            ("kind", &document.kind),
            ("category", &document.category),
        ] {
            if value.len() > MAX_FIELD_BYTES {
                return Err(invalid(&format!("{name} longer than 2 KiB")));
            }
            if value.chars().any(char::is_control) {
                return Err(invalid(&format!("control character in the {name}")));
            }
        }
        let f = &self.fields;
        let title = congso_vn::text::nfc(&document.title);
        let body = congso_vn::text::nfc(&document.body);
        let title_words = words(&title);
        let body_words = words(&body);
        let mut doc = TantivyDocument::default();
        doc.add_text(f.id, &document.id);
        doc.add_text(f.title, &title);
        // Only the beginning of the body is stored: snippets never look
        // further (see `highlight`), and the store stays small.
        doc.add_text(
            f.body,
            crate::plan::truncate(&body, crate::highlight::SNIPPET_SCAN_BYTES),
        );
        doc.add_text(f.url, &document.url);
        doc.add_text(f.kind, &document.kind);
        doc.add_text(f.category, &document.category);
        if let Some(date) = document.published {
            doc.add_i64(f.published, days_since_epoch(date));
            doc.add_i64(f.year, i64::from(date.year()));
        }
        for (text, found) in [(&title, &title_words), (&body, &body_words)] {
            doc.add_pre_tokenized_text(f.text_folded, pre_tokenized(text, found, Form::Folded));
            doc.add_pre_tokenized_text(f.text_bigram, pre_tokenized(text, found, Form::Bigram));
            doc.add_pre_tokenized_text(f.text_exact, pre_tokenized(text, found, Form::Exact));
        }
        doc.add_pre_tokenized_text(
            f.title_folded,
            pre_tokenized(&title, &title_words, Form::Folded),
        );
        doc.add_pre_tokenized_text(
            f.title_bigram,
            pre_tokenized(&title, &title_words, Form::Bigram),
        );
        Ok(doc)
    }

    fn writer(&self) -> std::sync::MutexGuard<'_, IndexWriter<TantivyDocument>> {
        self.writer.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// Adds `document`, replacing any document with the same id. Visible to
    /// searches after the next [`SearchIndex::commit`].
    pub fn upsert(&self, document: &Document) -> Result<(), SearchError> {
        let doc = self.to_tantivy(document)?;
        let writer = self.writer();
        writer.delete_term(Term::from_field_text(self.fields.id, &document.id));
        writer.add_document(doc)?;
        Ok(())
    }

    /// Removes the document with this id (nothing happens if there is none).
    /// Effective after the next [`SearchIndex::commit`].
    pub fn delete(&self, id: &str) -> Result<(), SearchError> {
        self.writer()
            .delete_term(Term::from_field_text(self.fields.id, id));
        Ok(())
    }

    /// Makes every change so far durable and visible to searches.
    pub fn commit(&self) -> Result<(), SearchError> {
        self.writer().commit()?;
        self.refresh()
    }

    /// Replaces the whole content of the index with `documents`, atomically:
    /// searches see the old content until the new one is committed, and if
    /// any document is refused the old content stays. Documents are analysed
    /// on [`Options::writer_threads`] threads.
    pub fn rebuild(
        &self,
        documents: impl IntoIterator<Item = Document, IntoIter: Send>,
    ) -> Result<u64, SearchError> {
        let mut writer = self.writer();
        let result = writer
            .delete_all_documents()
            .map_err(SearchError::from)
            .and_then(|_| self.add_all(&writer, documents))
            .and_then(|count| {
                writer.commit()?;
                Ok(count)
            });
        match result {
            Ok(count) => {
                drop(writer);
                self.refresh()?;
                Ok(count)
            }
            Err(error) => {
                writer.rollback()?;
                Err(error)
            }
        }
    }

    /// Analyses and adds `documents` on several threads; stops at the first
    /// refused document.
    fn add_all(
        &self,
        writer: &IndexWriter<TantivyDocument>,
        documents: impl IntoIterator<Item = Document, IntoIter: Send>,
    ) -> Result<u64, SearchError> {
        let source = Mutex::new(documents.into_iter());
        let failed = std::sync::atomic::AtomicBool::new(false);
        let next = || {
            if failed.load(std::sync::atomic::Ordering::Relaxed) {
                return None;
            }
            source.lock().unwrap_or_else(PoisonError::into_inner).next()
        };
        let work = || -> Result<u64, SearchError> {
            let mut count = 0u64;
            while let Some(document) = next() {
                let analysed = self.to_tantivy(&document).inspect_err(|_| {
                    failed.store(true, std::sync::atomic::Ordering::Relaxed);
                })?;
                writer.add_document(analysed)?;
                count += 1;
            }
            Ok(count)
        };
        std::thread::scope(|scope| {
            let helpers: Vec<_> = (1..self.threads).map(|_| scope.spawn(work)).collect();
            let mut total = work()?;
            for helper in helpers {
                total += helper.join().map_err(|_| {
                    SearchError::Index(tantivy::TantivyError::ErrorInThread(
                        "analysis thread panicked".to_owned(),
                    ))
                })??;
            }
            Ok(total)
        })
    }

    fn refresh(&self) -> Result<(), SearchError> {
        self.reader.reload()?;
        let snapshot = Self::snapshot_of(&self.reader, &self.fields)?;
        *self
            .snapshot
            .write()
            .unwrap_or_else(PoisonError::into_inner) = Arc::new(snapshot);
        Ok(())
    }

    /// Documents visible to searches.
    pub fn num_docs(&self) -> u64 {
        self.current().searcher.num_docs()
    }

    /// Distinct words the spelling correction knows.
    pub fn vocabulary_size(&self) -> usize {
        self.current().vocabulary.len()
    }

    /// Answers `query`. Errors come only from the index's storage: no query
    /// text or parameter makes this fail.
    pub fn search(&self, query: &Query) -> Result<Results, SearchError> {
        let snapshot = self.current();
        let lists = self.lists();
        let frequencies = SnapshotFrequencies {
            snapshot: &snapshot,
            fields: &self.fields,
        };
        let planned = plan(&query.text, &lists.synonyms, &frequencies);
        let pinned = lists.best_bets.pinned_for(&query.text);
        let searcher = &snapshot.searcher;
        let filters = self.filters(query);
        let limit = match query.limit {
            0 => 10,
            n => n.min(MAX_LIMIT),
        };
        let offset = query.offset.min(MAX_OFFSET);

        let page = Page { limit, offset };
        let organic = self.organic_query(&planned, &filters, searcher, page)?;
        let pins: Vec<(Occur, Box<dyn TantivyQuery>)> = pinned
            .iter()
            .enumerate()
            .map(|(rank, id)| {
                let term = Term::from_field_text(self.fields.id, id);
                let query: Box<dyn TantivyQuery> = Box::new(ConstScoreQuery::new(
                    Box::new(TermQuery::new(term, IndexRecordOption::Basic)),
                    PIN_SCORE * (pinned.len() - rank) as Score,
                ));
                (Occur::Should, query)
            })
            .collect();
        let (query_with_filters, counted) = match (organic, pins.is_empty()) {
            (None, true) => {
                return Ok(Results {
                    did_you_mean: planned.did_you_mean,
                    ..Results::default()
                })
            }
            (Some((organic, counted)), true) => (organic, counted),
            (organic, false) => {
                // Pinned documents count too, so count again.
                let mut clauses = pins;
                if let Some((organic, _)) = organic {
                    clauses.push((Occur::Should, organic));
                }
                let matching = with_filters(Box::new(BooleanQuery::new(clauses)), &filters);
                let counted = count_matches(searcher, &*matching, page)?;
                (matching, counted)
            }
        };
        let Counted { total, facets, top } = counted;
        let top = match top {
            Some(top) => top,
            None => searcher.search(
                &*query_with_filters,
                &TopDocs::with_limit(limit)
                    .and_offset(offset)
                    .order_by_score(),
            )?,
        };
        let mut hits = Vec::with_capacity(top.len());
        for (score, address) in top {
            hits.push(self.hit(searcher, address, score, &planned)?);
        }
        Ok(Results {
            total: total as u64,
            hits,
            facets,
            did_you_mean: planned.did_you_mean,
        })
    }

    fn filters(&self, query: &Query) -> Vec<Box<dyn TantivyQuery>> {
        let f = &self.fields;
        let mut filters: Vec<Box<dyn TantivyQuery>> = Vec::new();
        let any_of = |field: Field, values: &[String]| -> Box<dyn TantivyQuery> {
            Box::new(BooleanQuery::new(
                values
                    .iter()
                    .take(MAX_FACET_VALUES)
                    .map(|value| {
                        let term = Term::from_field_text(field, value);
                        let query: Box<dyn TantivyQuery> =
                            Box::new(TermQuery::new(term, IndexRecordOption::Basic));
                        (Occur::Should, query)
                    })
                    .collect(),
            ))
        };
        if !query.kinds.is_empty() {
            filters.push(any_of(f.kind, &query.kinds));
        }
        if !query.categories.is_empty() {
            filters.push(any_of(f.category, &query.categories));
        }
        if !query.years.is_empty() {
            filters.push(Box::new(BooleanQuery::new(
                query
                    .years
                    .iter()
                    .take(MAX_FACET_VALUES)
                    .map(|year| {
                        let term = Term::from_field_i64(f.year, i64::from(*year));
                        let query: Box<dyn TantivyQuery> =
                            Box::new(TermQuery::new(term, IndexRecordOption::Basic));
                        (Occur::Should, query)
                    })
                    .collect(),
            )));
        }
        if query.published_from.is_some() || query.published_to.is_some() {
            let bound = |date: Option<Date>| match date {
                Some(date) => {
                    Bound::Included(Term::from_field_i64(f.published, days_since_epoch(date)))
                }
                None => Bound::Unbounded,
            };
            filters.push(Box::new(RangeQuery::new(
                bound(query.published_from),
                bound(query.published_to),
            )));
        }
        filters
    }

    /// The relevance part of the query with its count and facets (with the
    /// filters), or `None` when nothing can match. Starts by requiring every
    /// unit (two thirds of a long query's) and lets in documents missing
    /// units while too few match.
    fn organic_query(
        &self,
        planned: &Plan,
        filters: &[Box<dyn TantivyQuery>],
        searcher: &Searcher,
        page: Page,
    ) -> Result<Option<Organic>, SearchError> {
        let units: Vec<Box<dyn TantivyQuery>> = planned
            .units
            .iter()
            .map(|unit| self.unit_query(unit))
            .collect();
        let count = units.len();
        if count == 0 {
            return Ok(None);
        }
        let boosts = self.boost_clauses(planned);
        let build = |required: usize| -> Box<dyn TantivyQuery> {
            let matching: Box<dyn TantivyQuery> = if count == 1 {
                units[0].box_clone()
            } else if required == count {
                Box::new(BooleanQuery::new(
                    units.iter().map(|u| (Occur::Must, u.box_clone())).collect(),
                ))
            } else {
                Box::new(BooleanQuery::with_minimum_required_clauses(
                    units
                        .iter()
                        .map(|u| (Occur::Should, Self::coordinated(&**u)))
                        .collect(),
                    required,
                ))
            };
            if boosts.is_empty() {
                return matching;
            }
            let mut clauses = vec![(Occur::Must, matching)];
            clauses.extend(boosts.iter().map(|b| (Occur::Should, b.box_clone())));
            Box::new(BooleanQuery::new(clauses))
        };
        // Fewer than half the units is not a match any more, however few
        // documents have more.
        let least = count.div_ceil(2);
        let mut required = initially_required(count);
        loop {
            let candidate = with_filters(build(required), filters);
            let counted = count_matches(searcher, &*candidate, page)?;
            if counted.total >= RELAX_BELOW || required <= least {
                return Ok(Some((candidate, counted)));
            }
            required -= 1;
        }
    }

    fn unit_query(&self, unit: &Unit) -> Box<dyn TantivyQuery> {
        let alternatives: Vec<Box<dyn TantivyQuery>> = unit
            .alternatives
            .iter()
            .map(|alternative| self.alternative_query(alternative))
            .collect();
        let matching: Box<dyn TantivyQuery> = if alternatives.len() == 1 {
            alternatives
                .into_iter()
                .next()
                .unwrap_or_else(|| Box::new(BooleanQuery::new(vec![])))
        } else {
            Box::new(DisjunctionMaxQuery::new(alternatives))
        };
        matching
    }

    /// A unit that also adds [`COORDINATION_BONUS`] to every document it
    /// matches, for queries that let documents miss some units.
    fn coordinated(unit: &dyn TantivyQuery) -> Box<dyn TantivyQuery> {
        Box::new(BooleanQuery::new(vec![
            (Occur::Should, unit.box_clone()),
            (
                Occur::Should,
                Box::new(ConstScoreQuery::new(unit.box_clone(), COORDINATION_BONUS)),
            ),
        ]))
    }

    fn alternative_query(&self, alternative: &Alternative) -> Box<dyn TantivyQuery> {
        let f = &self.fields;
        let weight = alternative.weight;
        match alternative.words.as_slice() {
            [word] => Box::new(BooleanQuery::new(vec![
                (Occur::Should, term(f.text_folded, word, weight)),
                (
                    Occur::Should,
                    term(f.title_folded, word, weight * TITLE_WEIGHT),
                ),
            ])),
            phrase => {
                let mut clauses = Vec::new();
                for pair in phrase.windows(2) {
                    let text = bigram(&pair[0], &pair[1]);
                    clauses.push((
                        Occur::Must,
                        term(f.text_bigram, &text, weight * PHRASE_WEIGHT),
                    ));
                    clauses.push((
                        Occur::Should,
                        term(f.title_bigram, &text, weight * PHRASE_WEIGHT * TITLE_WEIGHT),
                    ));
                }
                Box::new(BooleanQuery::new(clauses))
            }
        }
    }

    fn boost_clauses(&self, planned: &Plan) -> Vec<Box<dyn TantivyQuery>> {
        let f = &self.fields;
        let mut boosts = Vec::new();
        for pair in &planned.proximity {
            boosts.push(term(f.text_bigram, pair, PROXIMITY_WEIGHT));
            boosts.push(term(f.title_bigram, pair, PROXIMITY_WEIGHT * TITLE_WEIGHT));
        }
        for exact in &planned.exact {
            boosts.push(term(f.text_exact, exact, EXACT_WEIGHT));
        }
        boosts
    }

    fn hit(
        &self,
        searcher: &Searcher,
        address: DocAddress,
        score: Score,
        planned: &Plan,
    ) -> Result<Hit, SearchError> {
        let f = &self.fields;
        let doc: TantivyDocument = searcher.doc(address)?;
        let text = |field: Field| -> String {
            doc.get_first(field)
                .and_then(|value| value.as_str())
                .unwrap_or("")
                .to_owned()
        };
        let title = text(f.title);
        let body = text(f.body);
        let published = doc
            .get_first(f.published)
            .and_then(|value| value.as_i64())
            .and_then(date_from_days);
        Ok(Hit {
            id: text(f.id),
            title_html: highlight_all(&title, &planned.marked),
            snippet_html: snippet(&body, &planned.marked),
            title,
            url: text(f.url),
            score,
            kind: text(f.kind),
            category: text(f.category),
            published,
            pinned: score >= PIN_SCORE,
        })
    }
}

/// How many of a query's units a document needs at first. Short queries
/// need every word; long ones are sentences ("thoi gian thu viec toi da") in
/// which a third of the words may be missing from the best answer.
fn initially_required(units: usize) -> usize {
    if units <= 4 {
        units
    } else {
        (2 * units).div_ceil(3).max(units.saturating_sub(2))
    }
}

fn term(field: Field, text: &str, weight: Score) -> Box<dyn TantivyQuery> {
    let query = TermQuery::new(
        Term::from_field_text(field, text),
        IndexRecordOption::WithFreqs,
    );
    if (weight - 1.0).abs() < f32::EPSILON {
        Box::new(query)
    } else {
        Box::new(BoostQuery::new(Box::new(query), weight))
    }
}

fn with_filters(
    query: Box<dyn TantivyQuery>,
    filters: &[Box<dyn TantivyQuery>],
) -> Box<dyn TantivyQuery> {
    if filters.is_empty() {
        return query;
    }
    let mut clauses = vec![(Occur::Must, query)];
    for filter in filters {
        clauses.push((
            Occur::Must,
            Box::new(ConstScoreQuery::new(filter.box_clone(), 0.0)) as Box<dyn TantivyQuery>,
        ));
    }
    Box::new(BooleanQuery::new(clauses))
}

struct SnapshotFrequencies<'a> {
    snapshot: &'a Snapshot,
    fields: &'a Fields,
}

impl Frequencies for SnapshotFrequencies<'_> {
    fn word(&self, folded: &str) -> u64 {
        if Vocabulary::is_correctable(folded) {
            return u64::from(self.snapshot.vocabulary.frequency(folded));
        }
        self.snapshot
            .searcher
            .doc_freq(&Term::from_field_text(self.fields.text_folded, folded))
            .unwrap_or(0)
    }

    fn pair(&self, first: &str, second: &str) -> u64 {
        self.snapshot
            .searcher
            .doc_freq(&Term::from_field_text(
                self.fields.text_bigram,
                &bigram(first, second),
            ))
            .unwrap_or(0)
    }

    fn vocabulary(&self) -> &Vocabulary {
        &self.snapshot.vocabulary
    }

    fn documents(&self) -> u64 {
        self.snapshot.searcher.num_docs()
    }
}

/// Which hits a query asks for.
#[derive(Clone, Copy)]
struct Page {
    limit: usize,
    offset: usize,
}

/// How many documents match, their facet counts, and the page of hits when
/// it was collected in the same pass.
struct Counted {
    total: usize,
    facets: Facets,
    top: Option<Vec<(Score, DocAddress)>>,
}

/// The relevance query (with the filters) and what it matches.
type Organic = (Box<dyn TantivyQuery>, Counted);

/// Up to this many documents, one pass scores every match while counting
/// it, which costs less than a second pass. Beyond, counting skips scoring
/// and the page of hits comes from a second pass that skips documents that
/// cannot reach it (block-max WAND).
const ONE_PASS_MAX_DOCUMENTS: u64 = 100_000;

fn count_matches(
    searcher: &Searcher,
    query: &dyn TantivyQuery,
    page: Page,
) -> Result<Counted, SearchError> {
    if searcher.num_docs() <= ONE_PASS_MAX_DOCUMENTS {
        let top = TopDocs::with_limit(page.limit)
            .and_offset(page.offset)
            .order_by_score();
        let ((total, facets), top) = searcher.search(query, &(FacetCollector, top))?;
        Ok(Counted {
            total,
            facets,
            top: Some(top),
        })
    } else {
        let (total, facets) = searcher.search(query, &FacetCollector)?;
        Ok(Counted {
            total,
            facets,
            top: None,
        })
    }
}

/// Counts matching documents and their facet values without scoring them.
struct FacetCollector;

struct FacetSegment {
    total: usize,
    kinds: Option<StrColumn>,
    categories: Option<StrColumn>,
    years: Option<Column<i64>>,
    kind_counts: Vec<u64>,
    category_counts: Vec<u64>,
    year_counts: HashMap<i64, u64>,
}

#[derive(Default)]
struct FacetFruit {
    total: usize,
    kinds: HashMap<String, u64>,
    categories: HashMap<String, u64>,
    years: HashMap<i64, u64>,
}

impl Collector for FacetCollector {
    type Fruit = (usize, Facets);
    type Child = FacetSegment;

    fn for_segment(
        &self,
        _segment_local_id: SegmentOrdinal,
        segment: &SegmentReader,
    ) -> tantivy::Result<FacetSegment> {
        let fast = segment.fast_fields();
        let kinds = fast.str("kind")?;
        let categories = fast.str("category")?;
        let years = fast.i64("year").ok();
        Ok(FacetSegment {
            total: 0,
            kind_counts: vec![0; kinds.as_ref().map_or(0, |c| c.num_terms())],
            category_counts: vec![0; categories.as_ref().map_or(0, |c| c.num_terms())],
            kinds,
            categories,
            years,
            year_counts: HashMap::new(),
        })
    }

    fn requires_scoring(&self) -> bool {
        false
    }

    fn merge_fruits(&self, fruits: Vec<FacetFruit>) -> tantivy::Result<(usize, Facets)> {
        let mut merged = FacetFruit::default();
        for fruit in fruits {
            merged.total += fruit.total;
            for (value, count) in fruit.kinds {
                *merged.kinds.entry(value).or_default() += count;
            }
            for (value, count) in fruit.categories {
                *merged.categories.entry(value).or_default() += count;
            }
            for (value, count) in fruit.years {
                *merged.years.entry(value).or_default() += count;
            }
        }
        let ranked = |counts: HashMap<String, u64>| {
            let mut values: Vec<FacetCount> = counts
                .into_iter()
                .filter(|(value, _)| !value.is_empty())
                .map(|(value, count)| FacetCount { value, count })
                .collect();
            values.sort_by(|a, b| b.count.cmp(&a.count).then_with(|| a.value.cmp(&b.value)));
            values.truncate(MAX_FACET_VALUES);
            values
        };
        let mut years: Vec<(i64, u64)> = merged.years.into_iter().collect();
        years.sort_by_key(|&(year, _)| std::cmp::Reverse(year));
        years.truncate(MAX_FACET_VALUES);
        Ok((
            merged.total,
            Facets {
                kinds: ranked(merged.kinds),
                categories: ranked(merged.categories),
                years: years
                    .into_iter()
                    .map(|(year, count)| FacetCount {
                        value: year.to_string(),
                        count,
                    })
                    .collect(),
            },
        ))
    }
}

impl SegmentCollector for FacetSegment {
    type Fruit = FacetFruit;

    fn collect(&mut self, doc: u32, _score: Score) {
        self.total += 1;
        if let Some(kinds) = &self.kinds {
            for ord in kinds.term_ords(doc) {
                if let Some(count) = self.kind_counts.get_mut(ord as usize) {
                    *count += 1;
                }
            }
        }
        if let Some(categories) = &self.categories {
            for ord in categories.term_ords(doc) {
                if let Some(count) = self.category_counts.get_mut(ord as usize) {
                    *count += 1;
                }
            }
        }
        if let Some(year) = self.years.as_ref().and_then(|years| years.first(doc)) {
            *self.year_counts.entry(year).or_default() += 1;
        }
    }

    fn harvest(self) -> FacetFruit {
        let names = |column: &Option<StrColumn>, counts: Vec<u64>| {
            let mut named = HashMap::new();
            let Some(column) = column else {
                return named;
            };
            let mut value = String::new();
            for (ord, count) in counts.into_iter().enumerate() {
                if count == 0 {
                    continue;
                }
                value.clear();
                if column.ord_to_str(ord as u64, &mut value).unwrap_or(false) {
                    named.insert(value.clone(), count);
                }
            }
            named
        };
        FacetFruit {
            total: self.total,
            kinds: names(&self.kinds, self.kind_counts),
            categories: names(&self.categories, self.category_counts),
            years: self.year_counts,
        }
    }
}

//! The index: schema, writing, and answering queries.

use std::collections::{HashMap, HashSet};
use std::ops::Bound;
use std::path::Path;
use std::sync::{Arc, Mutex, PoisonError, RwLock};

use tantivy::collector::{Collector, SegmentCollector, TopDocs};
use tantivy::columnar::{Column, StrColumn};
use tantivy::directory::MmapDirectory;
use tantivy::query::{
    BooleanQuery, BoostQuery, ConstScoreQuery, EnableScoring, Occur, Query as TantivyQuery,
    RangeQuery, TermQuery,
};
use tantivy::schema::{
    Field, IndexRecordOption, Schema, TextFieldIndexing, TextOptions, Value, FAST, INDEXED, STORED,
    STRING,
};
use tantivy::tokenizer::TextAnalyzer;
use tantivy::DocSet;
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
    /// Up to this many documents, a query scores every match in the same
    /// pass that counts it; beyond, counting skips scoring and the hits come
    /// from a pruned pass. Both give the same hits; this only moves the
    /// point where one becomes cheaper than the other.
    pub one_pass_max_documents: u64,
    /// On indexes past `one_pass_max_documents`, queries that may match more
    /// documents than this get an estimated total and facet counts
    /// ([`crate::Results::total_exact`] is then false).
    pub exact_count_limit: u64,
}

impl Default for Options {
    fn default() -> Self {
        Self {
            writer_threads: 1,
            writer_memory_bytes: 48 * 1024 * 1024,
            one_pass_max_documents: 100_000,
            exact_count_limit: 50_000,
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
    one_pass_max_documents: u64,
    exact_count_limit: u64,
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
        Self::open_in_ram_with(Options::default())
    }

    /// [`SearchIndex::open_in_ram`] with explicit options.
    pub fn open_in_ram_with(options: Options) -> Result<Self, SearchError> {
        let (schema, fields) = schema();
        Self::from_index(Index::create_in_ram(schema), fields, options, "memory")
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
            one_pass_max_documents: options.one_pass_max_documents,
            exact_count_limit: options.exact_count_limit,
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
        // No background merge while rebuilding: the segments are merged
        // into one at the end (below), and a background merge holding one
        // of them would stop that.
        writer.set_merge_policy(Box::new(tantivy::merge_policy::NoMergePolicy));
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
                // A bulk load leaves one segment per indexing thread and
                // memory budget, and every query pays for each segment, so
                // they are merged into one.
                // A failed merge only costs speed, never the rebuild.
                let segments = writer.index().searchable_segment_ids()?;
                if segments.len() > 1 {
                    if let Err(error) = writer.merge(&segments).wait() {
                        tracing::warn!(%error, "merging the rebuilt index into one segment failed");
                    }
                }
                writer.set_merge_policy(Box::new(tantivy::merge_policy::LogMergePolicy::default()));
                drop(writer);
                self.refresh()?;
                Ok(count)
            }
            Err(error) => {
                writer.set_merge_policy(Box::new(tantivy::merge_policy::LogMergePolicy::default()));
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
        let searcher = &snapshot.searcher;
        let filters = self.filters(query);
        let limit = match query.limit {
            0 => 10,
            n => n.min(MAX_LIMIT),
        };
        let offset = query.offset.min(MAX_OFFSET);

        // Best bets come first; the relevance ranking follows without them.
        let pinned = self.pinned(searcher, lists.best_bets.pinned_for(&query.text), &filters)?;
        let wanted = offset + limit + pinned.len();
        let organic = self.organic(searcher, &planned, &filters, wanted)?;
        let (mut total, mut facets, total_exact, ranked) = match organic {
            Some(organic) => (
                organic.counted.total,
                organic.counted.facets,
                organic.counted.exact,
                organic.top,
            ),
            None => (0, Facets::default(), true, Vec::new()),
        };
        let organic_ids: HashSet<DocAddress> = ranked.iter().map(|(_, address)| *address).collect();
        for address in &pinned {
            if !organic_ids.contains(address) {
                total += 1;
                self.count_pinned_facets(searcher, *address, &mut facets)?;
            }
        }
        let pinned_set: HashSet<DocAddress> = pinned.iter().copied().collect();
        let combined = pinned
            .iter()
            .map(|address| (Score::INFINITY, *address, true))
            .chain(
                ranked
                    .into_iter()
                    .filter(|(_, address)| !pinned_set.contains(address))
                    .map(|(score, address)| (score, address, false)),
            );
        let mut hits = Vec::with_capacity(limit);
        for (score, address, is_pinned) in combined.skip(offset).take(limit) {
            let score = if is_pinned { 0.0 } else { score };
            hits.push(self.hit(searcher, address, score, is_pinned, &planned)?);
        }
        Ok(Results {
            total: total as u64,
            total_exact,
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

    /// The pinned documents that exist and pass the filters, in order.
    fn pinned(
        &self,
        searcher: &Searcher,
        ids: &[String],
        filters: &[Box<dyn TantivyQuery>],
    ) -> Result<Vec<DocAddress>, SearchError> {
        let mut found = Vec::new();
        for id in ids {
            let term = Term::from_field_text(self.fields.id, id);
            let query = with_filters(
                Box::new(TermQuery::new(term, IndexRecordOption::Basic)),
                filters,
            );
            let top = searcher.search(&*query, &TopDocs::with_limit(1).order_by_score())?;
            if let Some((_, address)) = top.first() {
                if !found.contains(address) {
                    found.push(*address);
                }
            }
        }
        Ok(found)
    }

    fn count_pinned_facets(
        &self,
        searcher: &Searcher,
        address: DocAddress,
        facets: &mut Facets,
    ) -> Result<(), SearchError> {
        let doc: TantivyDocument = searcher.doc(address)?;
        let value = |field: Field| {
            doc.get_first(field)
                .and_then(|v| v.as_str())
                .unwrap_or("")
                .to_owned()
        };
        bump(&mut facets.kinds, value(self.fields.kind));
        bump(&mut facets.categories, value(self.fields.category));
        if let Some(year) = doc.get_first(self.fields.year).and_then(|v| v.as_i64()) {
            bump(&mut facets.years, year.to_string());
        }
        Ok(())
    }

    /// The relevance results: how many documents match (with facets) and the
    /// best `wanted` of them, or `None` when nothing can match. Starts by
    /// requiring every unit (two thirds of a long query's) and lets in
    /// documents missing units while too few match.
    fn organic(
        &self,
        searcher: &Searcher,
        planned: &Plan,
        filters: &[Box<dyn TantivyQuery>],
        wanted: usize,
    ) -> Result<Option<Organic>, SearchError> {
        let count = planned.units.len();
        if count == 0 {
            return Ok(None);
        }
        let small = searcher.num_docs() <= self.one_pass_max_documents;
        // Fewer than half the units is not a match any more, however few
        // documents have more.
        let least = count.div_ceil(2);
        let mut required = initially_required(count);
        loop {
            let relaxed = required < count;
            if small {
                // One pass scores every match while counting it.
                let scoring = with_filters(self.scoring_query(planned, required), filters);
                let top = TopDocs::with_limit(wanted).order_by_score();
                let ((total, facets), top) = searcher.search(&*scoring, &(FacetCollector, top))?;
                if total >= RELAX_BELOW || required <= least {
                    return Ok(Some(Organic {
                        counted: Counted {
                            total,
                            facets,
                            exact: true,
                        },
                        top,
                    }));
                }
            } else {
                let matching = with_filters(self.matching_query(planned, required), filters);
                let counted = if bound(planned, required) <= self.exact_count_limit {
                    let (total, facets) = searcher.search(&*matching, &FacetCollector)?;
                    Counted {
                        total,
                        facets,
                        exact: true,
                    }
                } else {
                    count_sampled(searcher, &*matching)?
                };
                if counted.total >= RELAX_BELOW || required <= least {
                    let scoring = with_filters(self.scoring_query(planned, required), filters);
                    let pruned = if relaxed {
                        None
                    } else {
                        self.top_by_union(searcher, planned, &*scoring, wanted)?
                    };
                    let top = match pruned {
                        Some(top) => top,
                        None => searcher
                            .search(&*scoring, &TopDocs::with_limit(wanted).order_by_score())?,
                    };
                    return Ok(Some(Organic { counted, top }));
                }
            }
            required -= 1;
        }
    }

    /// Which documents match when `required` units must: no scoring, only
    /// the folded text and its bigrams.
    fn matching_query(&self, planned: &Plan, required: usize) -> Box<dyn TantivyQuery> {
        let f = &self.fields;
        let units: Vec<Box<dyn TantivyQuery>> = planned
            .units
            .iter()
            .map(|unit| {
                let alternatives: Vec<(Occur, Box<dyn TantivyQuery>)> = unit
                    .alternatives
                    .iter()
                    .map(|alternative| {
                        let query: Box<dyn TantivyQuery> = match alternative.words.as_slice() {
                            [word] => basic_term(f.text_folded, word),
                            phrase => Box::new(BooleanQuery::new(
                                phrase
                                    .windows(2)
                                    .map(|pair| {
                                        (
                                            Occur::Must,
                                            basic_term(f.text_bigram, &bigram(&pair[0], &pair[1])),
                                        )
                                    })
                                    .collect(),
                            )),
                        };
                        (Occur::Should, query)
                    })
                    .collect();
                Box::new(BooleanQuery::new(alternatives)) as Box<dyn TantivyQuery>
            })
            .collect();
        combine_units(units, required)
    }

    /// The query that ranks: each unit's alternatives in the text and the
    /// title, plus the proximity and exact-form boosts.
    fn scoring_query(&self, planned: &Plan, required: usize) -> Box<dyn TantivyQuery> {
        let relaxed = required < planned.units.len();
        let units: Vec<Box<dyn TantivyQuery>> = planned
            .units
            .iter()
            .map(|unit| {
                let unit = self.unit_query(unit);
                if relaxed {
                    Self::coordinated(&*unit)
                } else {
                    unit
                }
            })
            .collect();
        let matching = combine_units(units, required);
        let boosts = self.boost_clauses(planned);
        if boosts.is_empty() {
            return matching;
        }
        let mut clauses = vec![(Occur::Must, matching)];
        clauses.extend(boosts.into_iter().map(|b| (Occur::Should, b)));
        Box::new(BooleanQuery::new(clauses))
    }

    /// The terms [`SearchIndex::scoring_query`] scores, except the words in
    /// the folded text, as one flat union, which tantivy ranks with
    /// block-max WAND (skipping documents that cannot reach the top). The
    /// folded words are left out because every matching document has them
    /// all: they are the longest posting lists and add the least to tell
    /// documents apart, and their share of any score is bounded by
    /// [`SearchIndex::text_bound`].
    fn union_query(&self, planned: &Plan) -> Box<dyn TantivyQuery> {
        let f = &self.fields;
        let mut clauses: Vec<(Occur, Box<dyn TantivyQuery>)> = Vec::new();
        for unit in &planned.units {
            for alternative in &unit.alternatives {
                let weight = alternative.weight;
                match alternative.words.as_slice() {
                    [word] => {
                        clauses.push((
                            Occur::Should,
                            term(f.title_folded, word, weight * TITLE_WEIGHT),
                        ));
                    }
                    phrase => {
                        for pair in phrase.windows(2) {
                            let text = bigram(&pair[0], &pair[1]);
                            clauses.push((
                                Occur::Should,
                                term(f.text_bigram, &text, weight * PHRASE_WEIGHT),
                            ));
                            clauses.push((
                                Occur::Should,
                                term(f.title_bigram, &text, weight * PHRASE_WEIGHT * TITLE_WEIGHT),
                            ));
                        }
                    }
                }
            }
        }
        clauses.extend(
            self.boost_clauses(planned)
                .into_iter()
                .map(|b| (Occur::Should, b)),
        );
        Box::new(BooleanQuery::new(clauses))
    }

    /// The most the folded-text terms left out of
    /// [`SearchIndex::union_query`] can add to a document's score: BM25 of a
    /// term is below idf × (k1 + 1) = idf × 2.2, and a unit's alternatives
    /// add up. The idf is computed over every document slot, deleted ones
    /// included, which can only overestimate it.
    fn text_bound(&self, searcher: &Searcher, planned: &Plan) -> Result<Score, SearchError> {
        let slots: u64 = searcher
            .segment_readers()
            .iter()
            .map(|r| u64::from(r.max_doc()))
            .sum();
        let mut bound = 0.0f64;
        for unit in &planned.units {
            for alternative in &unit.alternatives {
                if let [word] = alternative.words.as_slice() {
                    let term = Term::from_field_text(self.fields.text_folded, word);
                    let frequency = searcher.doc_freq(&term)? as f64;
                    let idf = (1.0 + (slots as f64 - frequency + 0.5) / (frequency + 0.5)).ln();
                    bound += f64::from(alternative.weight) * idf * 2.2;
                }
            }
        }
        Ok((bound * 1.01 + 1e-4) as Score)
    }

    /// The best `wanted` documents that `scoring` matches, found from the
    /// top `k` of [`SearchIndex::union_query`]: those candidates are scored
    /// exactly, and if the `wanted`-th best of them scores at least the
    /// union's `k`-th score plus [`SearchIndex::text_bound`], no document
    /// outside the candidates can beat it, so the answer is exact. `k` grows
    /// until that holds; `None` after a few tries (very selective filters,
    /// or scores too close), and the caller scores exhaustively.
    fn top_by_union(
        &self,
        searcher: &Searcher,
        planned: &Plan,
        scoring: &dyn TantivyQuery,
        wanted: usize,
    ) -> Result<Option<Vec<(Score, DocAddress)>>, SearchError> {
        let union = self.union_query(planned);
        let bound = self.text_bound(searcher, planned)?;
        let weight = scoring.weight(EnableScoring::enabled_from_searcher(searcher))?;
        let mut k = (2 * wanted).max(32);
        for _ in 0..3 {
            let candidates = searcher.search(&*union, &TopDocs::with_limit(k).order_by_score())?;
            let exhausted = candidates.len() < k;
            let floor = if exhausted {
                0.0
            } else {
                candidates.last().map_or(0.0, |(score, _)| *score)
            };
            let mut by_segment: HashMap<SegmentOrdinal, Vec<u32>> = HashMap::new();
            for (_, address) in &candidates {
                by_segment
                    .entry(address.segment_ord)
                    .or_default()
                    .push(address.doc_id);
            }
            let mut scored: Vec<(Score, DocAddress)> = Vec::new();
            for (segment_ord, mut docs) in by_segment {
                docs.sort_unstable();
                let reader = searcher.segment_reader(segment_ord);
                let alive = reader.alive_bitset();
                let mut scorer = weight.scorer(reader, 1.0)?;
                for doc in docs {
                    let mut current = scorer.doc();
                    if current < doc {
                        current = scorer.seek(doc);
                    }
                    if current == doc && alive.is_none_or(|a| a.is_alive(doc)) {
                        scored.push((scorer.score(), DocAddress::new(segment_ord, doc)));
                    }
                }
            }
            scored.sort_by(|a, b| {
                b.0.total_cmp(&a.0)
                    .then_with(|| a.1.segment_ord.cmp(&b.1.segment_ord))
                    .then_with(|| a.1.doc_id.cmp(&b.1.doc_id))
            });
            let proven = scored
                .get(wanted.saturating_sub(1))
                .is_some_and(|(score, _)| *score >= floor + bound);
            if proven {
                scored.truncate(wanted);
                return Ok(Some(scored));
            }
            k *= 8;
        }
        Ok(None)
    }

    fn unit_query(&self, unit: &Unit) -> Box<dyn TantivyQuery> {
        let mut alternatives: Vec<Box<dyn TantivyQuery>> = unit
            .alternatives
            .iter()
            .map(|alternative| self.alternative_query(alternative))
            .collect();
        if alternatives.len() == 1 {
            alternatives
                .pop()
                .unwrap_or_else(|| Box::new(BooleanQuery::new(vec![])))
        } else {
            // Alternatives add up, like in the flat union the large-index
            // path ranks with, so both paths rank alike.
            Box::new(BooleanQuery::new(
                alternatives
                    .into_iter()
                    .map(|a| (Occur::Should, a))
                    .collect(),
            ))
        }
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
        pinned: bool,
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
            pinned,
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

/// How many documents match and their facet counts, exact or estimated.
struct Counted {
    total: usize,
    facets: Facets,
    exact: bool,
}

/// What matched, and the best of it.
struct Organic {
    counted: Counted,
    top: Vec<(Score, DocAddress)>,
}

/// An upper bound on how many documents match `required` units: each
/// unit's frequency is the sum of its alternatives', and a document with
/// `required` units has one of any `count - required + 1` of them.
fn bound(planned: &Plan, required: usize) -> u64 {
    let mut frequencies: Vec<u64> = planned.units.iter().map(|u| u.frequency).collect();
    frequencies.sort_unstable();
    let take = planned.units.len() + 1 - required.min(planned.units.len()).max(1);
    frequencies.iter().take(take).sum()
}

/// Units combined so that `required` of them must match.
fn combine_units(mut units: Vec<Box<dyn TantivyQuery>>, required: usize) -> Box<dyn TantivyQuery> {
    let count = units.len();
    if count == 1 {
        return units
            .pop()
            .unwrap_or_else(|| Box::new(BooleanQuery::new(vec![])));
    }
    if required >= count {
        return Box::new(BooleanQuery::new(
            units.into_iter().map(|u| (Occur::Must, u)).collect(),
        ));
    }
    Box::new(BooleanQuery::with_minimum_required_clauses(
        units.into_iter().map(|u| (Occur::Should, u)).collect(),
        required,
    ))
}

fn basic_term(field: Field, text: &str) -> Box<dyn TantivyQuery> {
    Box::new(TermQuery::new(
        Term::from_field_text(field, text),
        IndexRecordOption::Basic,
    ))
}

fn bump(values: &mut Vec<FacetCount>, value: String) {
    if value.is_empty() {
        return;
    }
    match values.iter_mut().find(|v| v.value == value) {
        Some(found) => found.count += 1,
        None => values.push(FacetCount { value, count: 1 }),
    }
}

/// Estimates the matches of `query` from evenly spread windows of document
/// ids (about 32,000 ids in all): exact within each window, scaled to the
/// index. Facet counts are scaled the same way.
fn count_sampled(searcher: &Searcher, query: &dyn TantivyQuery) -> Result<Counted, SearchError> {
    const WINDOWS: u64 = 128;
    const WINDOW: u32 = 256;
    let weight = query.weight(EnableScoring::disabled_from_searcher(searcher))?;
    let all: u64 = searcher
        .segment_readers()
        .iter()
        .map(|r| u64::from(r.max_doc()))
        .sum();
    let mut examined = 0u64;
    let mut fruits = Vec::new();
    for (ordinal, reader) in searcher.segment_readers().iter().enumerate() {
        let max_doc = reader.max_doc();
        let windows = (WINDOWS * u64::from(max_doc) / all.max(1)).max(1);
        let stride = u32::try_from(u64::from(max_doc) / windows)
            .unwrap_or(u32::MAX)
            .max(WINDOW);
        let mut segment = FacetCollector.for_segment(ordinal as SegmentOrdinal, reader)?;
        let mut scorer = weight.scorer(reader, 1.0)?;
        let alive = reader.alive_bitset();
        let mut start = 0u32;
        while start < max_doc {
            let end = start.saturating_add(WINDOW).min(max_doc);
            let mut doc = scorer.doc();
            if doc < start {
                doc = scorer.seek(start);
            }
            while doc < end {
                if alive.is_none_or(|a| a.is_alive(doc)) {
                    segment.collect(doc, 0.0);
                }
                doc = scorer.advance();
            }
            examined += u64::from(end - start);
            start = start.saturating_add(stride);
        }
        fruits.push(segment.harvest());
    }
    let (sampled, mut facets) = FacetCollector.merge_fruits(fruits)?;
    let scale = all as f64 / examined.max(1) as f64;
    let scaled = |count: u64| (count as f64 * scale).round() as u64;
    for values in [&mut facets.kinds, &mut facets.categories, &mut facets.years] {
        for value in values.iter_mut() {
            value.count = scaled(value.count);
        }
    }
    Ok(Counted {
        total: scaled(sampled as u64) as usize,
        facets,
        exact: examined >= all,
    })
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

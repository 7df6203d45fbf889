//! The Vietnamese analyzer: words, their folded and exact forms, bigrams.
//!
//! Vietnamese writes one syllable per space-separated word, so a "word" here
//! is a syllable. Each one has two search forms, both computed by congso-vn:
//!
//! - the **folded** form ([`congso_vn::text::fold`]): lower case, no tones, no
//!   vowel marks, đ→d. Every query matches on it, so "chu ky" finds "chữ ký".
//! - the **exact** form ([`congso_vn::text::match_key`]): NFC, canonical tone
//!   placement, lower case. It only ranks: a query typed with diacritics
//!   scores higher on documents that carry the same ones.
//!
//! Multi-syllable words ("công nghệ thông tin") are matched through folded
//! **bigrams** of neighbouring syllables, which needs no positions in the index
//! and is cheaper than phrase queries. Bigrams do not cross sentence
//! punctuation, so "… thông tin. Công …" gives no "tin cong" bigram.
//!
//! The same code produces the tokens the index stores (through
//! [`pre_tokenized`]) and the tokenizers registered with tantivy, and the query
//! side reuses [`words`], so index and query can never disagree.

use congso_vn::text::{fold_into, match_key};
use tantivy::tokenizer::{PreTokenizedString, Token, TokenStream, Tokenizer};

/// Words longer than this (in bytes) are not indexed: they are not words a
/// person types (base64, long identifiers), and a bound keeps terms small.
pub(crate) const MAX_WORD_BYTES: usize = 64;

/// One word of a text, with its position in that text.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Word {
    /// Byte offset of the first character in the analysed text.
    pub start: usize,
    /// Byte offset just past the last character.
    pub end: usize,
    /// The folded search form (see the module documentation).
    pub folded: String,
    /// Whether sentence punctuation separates this word from the previous
    /// one, so that the two do not form a bigram.
    pub break_before: bool,
}

impl Word {
    /// The word as written, taken from the text it was found in.
    pub fn text<'a>(&self, source: &'a str) -> &'a str {
        source.get(self.start..self.end).unwrap_or("")
    }

    /// The exact (tone-normalised, lower-case) form, or `None` when it is the
    /// same as the folded form, which is the case for every word written
    /// without Vietnamese diacritics.
    pub fn exact(&self, source: &str) -> Option<String> {
        let written = self.text(source);
        if written.is_ascii() {
            return None;
        }
        let exact = match_key(written);
        (exact != self.folded).then_some(exact)
    }
}

/// Scripts written without spaces between words: each character is a word
/// of its own, so that bigrams still match runs of such text.
fn is_unspaced_script(c: char) -> bool {
    matches!(c as u32,
        0x0E00..=0x0EFF       // Thai, Lao
        | 0x1000..=0x109F     // Myanmar
        | 0x1780..=0x17FF     // Khmer
        | 0x3040..=0x30FF     // Hiragana, Katakana
        | 0x3400..=0x4DBF     // CJK extension A
        | 0x4E00..=0x9FFF     // CJK unified ideographs
        | 0xF900..=0xFAFF     // CJK compatibility ideographs
        | 0x20000..=0x3134F // CJK extensions B to G
    )
}

/// Punctuation that ends a phrase: bigrams do not cross it.
fn is_phrase_break(c: char) -> bool {
    matches!(
        c,
        '.' | ','
            | ';'
            | ':'
            | '!'
            | '?'
            | '('
            | ')'
            | '['
            | ']'
            | '{'
            | '}'
            | '"'
            | '“'
            | '”'
            | '«'
            | '»'
            | '|'
            | '\n'
            | '\r'
            | '\t'
            | '…'
    ) || c.is_control()
}

fn is_word_char(c: char) -> bool {
    // Fast paths for ASCII and the Latin blocks Vietnamese is written in;
    // the general Unicode tables only for other scripts.
    match c as u32 {
        0..=0x7F => c.is_ascii_alphanumeric(),
        0xC0..=0x24F => c != '×' && c != '÷',
        0x1EA0..=0x1EF9 => true,
        _ => c.is_alphanumeric() || is_combining(c),
    }
}

/// Combining marks (U+0300–U+036F and the other general-purpose blocks)
/// belong to the word they follow, so decomposed input is not split.
fn is_combining(c: char) -> bool {
    matches!(c as u32, 0x0300..=0x036F | 0x1AB0..=0x1AFF | 0x1DC0..=0x1DFF | 0x20D0..=0x20FF | 0xFE20..=0xFE2F)
}

/// Splits `text` into words and computes their folded forms.
///
/// `text` should be NFC (stored text always is); other forms still give the
/// same folded forms, because folding drops combining marks.
pub fn words(text: &str) -> Vec<Word> {
    let mut out = Vec::new();
    for_each_word(text, |word| out.push(word));
    out
}

/// [`words`] without collecting, for callers that look at each word once.
pub fn for_each_word(text: &str, mut sink: impl FnMut(Word)) {
    for_each_word_borrowed(text, |start, end, folded, break_before| {
        sink(Word {
            start,
            end,
            folded: folded.to_owned(),
            break_before,
        })
    });
}

/// The words of `text` as (start, end, folded form, break before), with the
/// folded form borrowed from one reused buffer: the loop allocates nothing,
/// which matters when highlighting scans long bodies for every hit.
pub fn for_each_word_borrowed(text: &str, sink: impl FnMut(usize, usize, &str, bool)) {
    for_each_word_where(text, |_| true, sink);
}

/// [`for_each_word_borrowed`] that only folds the words `wanted` accepts
/// (given the word as written); the others reach `sink` with an empty
/// folded form. Highlighting uses it to skip folding words that cannot be a
/// query word (wrong length or first letter).
pub(crate) fn for_each_word_where(
    text: &str,
    mut wanted: impl FnMut(&str) -> bool,
    mut sink: impl FnMut(usize, usize, &str, bool),
) {
    let mut pending_break = false;
    let mut start: Option<usize> = None;
    let mut folded = String::new();
    let mut emit = |start: usize, end: usize, pending_break: &mut bool, folded: &mut String| {
        let length = end - start;
        let Some(written) = text.get(start..end) else {
            return;
        };
        if length > MAX_WORD_BYTES {
            // Too long to be a word: skip it, and do not join its neighbours.
            *pending_break = true;
            return;
        }
        folded.clear();
        if !wanted(written) {
            sink(start, end, "", std::mem::take(pending_break));
            return;
        }
        fold_into(written, folded);
        normalise_number(folded);
        if folded.is_empty() {
            return;
        }
        sink(start, end, folded, std::mem::take(pending_break));
    };
    for (offset, c) in text.char_indices() {
        if is_word_char(c) {
            if is_unspaced_script(c) {
                if let Some(begun) = start.take() {
                    emit(begun, offset, &mut pending_break, &mut folded);
                }
                emit(
                    offset,
                    offset + c.len_utf8(),
                    &mut pending_break,
                    &mut folded,
                );
            } else if start.is_none() {
                start = Some(offset);
            }
        } else {
            if let Some(begun) = start.take() {
                emit(begun, offset, &mut pending_break, &mut folded);
            }
            if is_phrase_break(c) {
                pending_break = true;
            }
        }
    }
    if let Some(begun) = start {
        emit(begun, text.len(), &mut pending_break, &mut folded);
    }
}

/// "07" and "7" are the same number in a query ("07 ngày làm việc"), so
/// all-digit words lose their leading zeros.
fn normalise_number(folded: &mut String) {
    if folded.len() > 1 && folded.bytes().all(|b| b.is_ascii_digit()) {
        let zeros = folded.bytes().take_while(|&b| b == b'0').count();
        let keep_from = zeros.min(folded.len() - 1);
        folded.drain(..keep_from);
    }
}

/// The bigram term of two neighbouring folded words.
pub fn bigram(first: &str, second: &str) -> String {
    let mut term = String::with_capacity(first.len() + second.len() + 1);
    term.push_str(first);
    term.push(' ');
    term.push_str(second);
    term
}

/// Which tokens an analyzer produces.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Form {
    /// One token per word: its folded form.
    Folded,
    /// One token per word that has Vietnamese diacritics: its exact form.
    Exact,
    /// One token per pair of neighbouring words: "cong nghe".
    Bigram,
}

impl Form {
    /// The name the analyzer is registered under with tantivy. The version
    /// suffix changes whenever the tokens change, so an index built by an
    /// older analyzer is detected and rebuilt rather than silently mismatched.
    pub fn tokenizer_name(self) -> &'static str {
        match self {
            Form::Folded => "vi_folded_v1",
            Form::Exact => "vi_exact_v1",
            Form::Bigram => "vi_bigram_v1",
        }
    }
}

/// The tokens of `text` in one form.
pub fn tokens(text: &str, form: Form) -> Vec<Token> {
    tokens_of_words(text, &words(text), form)
}

/// The tokens of already segmented words, so a document is segmented once
/// and gives the tokens of every field.
pub fn tokens_of_words(text: &str, words: &[Word], form: Form) -> Vec<Token> {
    let mut out = Vec::with_capacity(words.len());
    match form {
        Form::Folded => {
            for word in words {
                out.push(token(out.len(), word.start, word.end, word.folded.clone()));
            }
        }
        Form::Exact => {
            for word in words {
                if let Some(exact) = word.exact(text) {
                    out.push(token(out.len(), word.start, word.end, exact));
                }
            }
        }
        Form::Bigram => {
            for pair in words.windows(2) {
                let [first, second] = pair else { continue };
                if second.break_before {
                    continue;
                }
                out.push(token(
                    out.len(),
                    first.start,
                    second.end,
                    bigram(&first.folded, &second.folded),
                ));
            }
        }
    }
    out
}

fn token(position: usize, start: usize, end: usize, text: String) -> Token {
    Token {
        offset_from: start,
        offset_to: end,
        position,
        text,
        position_length: 1,
    }
}

/// `text` with its tokens in one form, ready for the index.
pub fn pre_tokenized(text: &str, words: &[Word], form: Form) -> PreTokenizedString {
    PreTokenizedString {
        text: text.to_owned(),
        tokens: tokens_of_words(text, words, form),
    }
}

/// The analyzer as a tantivy tokenizer, registered for each indexed field so
/// that the schema describes itself and plain text values index correctly.
#[derive(Clone, Debug)]
pub struct VietnameseTokenizer {
    form: Form,
}

impl VietnameseTokenizer {
    pub fn new(form: Form) -> Self {
        Self { form }
    }
}

/// The tokens of one text, handed out one at a time.
pub struct VecTokenStream {
    tokens: Vec<Token>,
    next: usize,
    current: Token,
}

impl TokenStream for VecTokenStream {
    fn advance(&mut self) -> bool {
        match self.tokens.get_mut(self.next) {
            Some(token) => {
                self.current = std::mem::take(token);
                self.next += 1;
                true
            }
            None => false,
        }
    }

    fn token(&self) -> &Token {
        &self.current
    }

    fn token_mut(&mut self) -> &mut Token {
        &mut self.current
    }
}

impl Tokenizer for VietnameseTokenizer {
    type TokenStream<'a> = VecTokenStream;

    fn token_stream<'a>(&'a mut self, text: &'a str) -> VecTokenStream {
        VecTokenStream {
            tokens: tokens(text, self.form),
            next: 0,
            current: Token::default(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn check(input: &str, form: Form, expected: &[&str]) {
        let actual: Vec<String> = tokens(input, form).into_iter().map(|t| t.text).collect();
        assert_eq!(actual, expected, "{form:?} tokens of {input:?}");
    }

    #[test]
    fn folded_forms() {
        check(
            "Cộng hòa Xã hội Chủ nghĩa Việt Nam",
            Form::Folded,
            &["cong", "hoa", "xa", "hoi", "chu", "nghia", "viet", "nam"],
        );
        check("Đường ĐÊ", Form::Folded, &["duong", "de"]);
        // Decomposed input folds the same as composed input.
        check("Nghi\u{0323} đi\u{0323}nh", Form::Folded, &["nghi", "dinh"]);
        check(
            "07 ngày, 0 đồng, 2007",
            Form::Folded,
            &["7", "ngay", "0", "dong", "2007"],
        );
        check("64/2007/NĐ-CP", Form::Folded, &["64", "2007", "nd", "cp"]);
        check("UBND tỉnh", Form::Folded, &["ubnd", "tinh"]);
        check("", Form::Folded, &[]);
        check(
            "<script>alert(1)</script>",
            Form::Folded,
            &["script", "alert", "1", "script"],
        );
        check("中文 ok", Form::Folded, &["中", "文", "ok"]);
        check("مرحبا", Form::Folded, &["مرحبا"]);
        check("😀 x", Form::Folded, &["x"]);
    }

    #[test]
    fn exact_forms_only_for_words_with_diacritics() {
        check("Hoà bình và ok", Form::Exact, &["hòa", "bình", "và"]);
        check("thuỷ THỦY", Form::Exact, &["thủy", "thủy"]);
        check("ascii only", Form::Exact, &[]);
    }

    #[test]
    fn bigrams_stop_at_sentence_punctuation() {
        check(
            "công nghệ thông tin. Công",
            Form::Bigram,
            &["cong nghe", "nghe thong", "thong tin"],
        );
        check(
            "Sở Thông tin - Truyền thông",
            Form::Bigram,
            &["so thong", "thong tin", "tin truyen", "truyen thong"],
        );
        check("một", Form::Bigram, &[]);
    }

    #[test]
    fn offsets_point_into_the_text() {
        let text = "Điều 3. Giải thích";
        let found = words(text);
        let written: Vec<&str> = found.iter().map(|w| w.text(text)).collect();
        assert_eq!(written, ["Điều", "3", "Giải", "thích"]);
        assert!(found[2].break_before);
        assert!(!found[3].break_before);
    }

    #[test]
    fn overlong_words_are_skipped() {
        let long = "a".repeat(MAX_WORD_BYTES + 1);
        check(&format!("x {long} y"), Form::Folded, &["x", "y"]);
        check(&format!("x {long} y"), Form::Bigram, &[]);
    }

    #[test]
    fn tokenizer_matches_pre_tokenized() {
        let text = "Giám đốc Sở Thông tin và Truyền thông, TP.HCM";
        for form in [Form::Folded, Form::Exact, Form::Bigram] {
            let mut tokenizer = VietnameseTokenizer::new(form);
            let mut stream = tokenizer.token_stream(text);
            let mut streamed = Vec::new();
            while let Some(token) = stream.next() {
                streamed.push(token.clone());
            }
            assert_eq!(streamed, pre_tokenized(text, &words(text), form).tokens);
        }
    }
}

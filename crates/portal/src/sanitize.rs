//! Editors' HTML, cleaned with an allow-list before it is stored, and the
//! plain text the search index gets.

use std::collections::HashSet;
use std::sync::OnceLock;

/// Tags an editor may use: text structure, lists, tables, links, images.
const TAGS: &[&str] = &[
    "a",
    "abbr",
    "b",
    "blockquote",
    "br",
    "caption",
    "code",
    "dd",
    "del",
    "dl",
    "dt",
    "em",
    "figcaption",
    "figure",
    "h2",
    "h3",
    "h4",
    "h5",
    "h6",
    "hr",
    "i",
    "img",
    "li",
    "ol",
    "p",
    "pre",
    "s",
    "small",
    "strong",
    "sub",
    "sup",
    "table",
    "tbody",
    "td",
    "tfoot",
    "th",
    "thead",
    "tr",
    "u",
    "ul",
];

fn cleaner() -> &'static ammonia::Builder<'static> {
    static CLEANER: OnceLock<ammonia::Builder<'static>> = OnceLock::new();
    CLEANER.get_or_init(|| {
        let mut builder = ammonia::Builder::empty();
        builder
            .tags(TAGS.iter().copied().collect::<HashSet<_>>())
            .add_tag_attributes("a", ["href", "title"])
            .add_tag_attributes("img", ["src", "alt", "width", "height"])
            .add_tag_attributes("td", ["colspan", "rowspan"])
            .add_tag_attributes("th", ["colspan", "rowspan", "scope"])
            .add_tag_attributes("abbr", ["title"])
            .url_schemes(["http", "https", "mailto", "tel"].into_iter().collect())
            .url_relative(ammonia::UrlRelative::PassThrough)
            .link_rel(Some("noopener noreferrer"))
            .clean_content_tags(["script", "style"].into_iter().collect())
            .strip_comments(true);
        builder
    })
}

/// Keeps only allow-listed tags and attributes: scripts, styles, event
/// handlers, `javascript:` URLs and unknown elements are removed.
pub fn clean_html(html: &str) -> String {
    cleaner().clean(html).to_string()
}

/// The text of (already cleaned) HTML, for the search index and summaries:
/// tags dropped, block ends turned into spaces, entities decoded.
pub fn html_to_text(html: &str) -> String {
    let mut text = String::with_capacity(html.len());
    let mut rest = html;
    while let Some(open) = rest.find('<') {
        text.push_str(&rest[..open]);
        match rest[open..].find('>') {
            Some(close) => {
                text.push(' ');
                rest = &rest[open + close + 1..];
            }
            None => {
                rest = "";
            }
        }
    }
    text.push_str(rest);
    let decoded = decode_entities(&text);
    decoded.split_whitespace().collect::<Vec<_>>().join(" ")
}

fn decode_entities(text: &str) -> String {
    if !text.contains('&') {
        return text.to_owned();
    }
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    while let Some(amp) = rest.find('&') {
        out.push_str(&rest[..amp]);
        let after = &rest[amp + 1..];
        let end = after.find(';').filter(|end| *end <= 10);
        let decoded = end.and_then(|end| {
            let name = &after[..end];
            let c = match name {
                "amp" => Some('&'),
                "lt" => Some('<'),
                "gt" => Some('>'),
                "quot" => Some('"'),
                "apos" => Some('\''),
                "nbsp" => Some(' '),
                _ => name
                    .strip_prefix("#x")
                    .and_then(|hex| u32::from_str_radix(hex, 16).ok())
                    .or_else(|| name.strip_prefix('#').and_then(|dec| dec.parse().ok()))
                    .and_then(char::from_u32),
            };
            c.map(|c| (c, end))
        });
        match decoded {
            Some((c, end)) => {
                out.push(c);
                rest = &after[end + 1..];
            }
            None => {
                out.push('&');
                rest = after;
            }
        }
    }
    out.push_str(rest);
    out
}

/// Plain text typed by someone, as HTML paragraphs (blank lines separate
/// paragraphs), escaped.
pub fn text_to_html(text: &str) -> String {
    text.split("\n\n")
        .map(str::trim)
        .filter(|paragraph| !paragraph.is_empty())
        .map(|paragraph| format!("<p>{}</p>", escape(paragraph).replace('\n', "<br>")))
        .collect()
}

/// HTML-escapes text.
pub fn escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            _ => out.push(c),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn check(input: &str, expected: &str) {
        assert_eq!(clean_html(input), expected, "{input}");
    }

    #[test]
    fn hostile_markup_is_removed() {
        check(
            "<p>Xin chào<script>alert(1)</script></p>",
            "<p>Xin chào</p>",
        );
        check(
            r#"<a href="javascript:alert(1)" onclick="x()">liên kết</a>"#,
            r#"<a rel="noopener noreferrer">liên kết</a>"#,
        );
        check(r#"<img src=x onerror="alert(1)">"#, r#"<img src="x">"#);
        check(
            "<style>body{}</style><p style=\"color:red\">a</p>",
            "<p>a</p>",
        );
        check("<iframe src=\"https://evil\"></iframe><p>b</p>", "<p>b</p>");
        check("<svg><script>alert(1)</script></svg>", "");
        check("<!-- secret --><p>c</p>", "<p>c</p>");
    }

    #[test]
    fn editors_markup_is_kept() {
        check(
            r#"<h2>Điều 1</h2><p><strong>Phạm vi</strong> <a href="https://chinhphu.vn/">xem</a></p>"#,
            r#"<h2>Điều 1</h2><p><strong>Phạm vi</strong> <a href="https://chinhphu.vn/" rel="noopener noreferrer">xem</a></p>"#,
        );
        check("<ul><li>một</li></ul>", "<ul><li>một</li></ul>");
    }

    #[test]
    fn text_is_extracted_and_entities_decoded() {
        assert_eq!(
            html_to_text("<h2>Điều&nbsp;1</h2><p>A &amp; B &lt;C&gt; &#272;&#x110;</p>"),
            "Điều 1 A & B <C> ĐĐ"
        );
        assert_eq!(html_to_text("a<b"), "a");
        assert_eq!(html_to_text("&bogus; &"), "&bogus; &");
    }

    #[test]
    fn plain_text_becomes_escaped_paragraphs() {
        assert_eq!(
            text_to_html("Dòng <1>\ndòng 2\n\nĐoạn 2"),
            "<p>Dòng &lt;1&gt;<br>dòng 2</p><p>Đoạn 2</p>"
        );
    }
}

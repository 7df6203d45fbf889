//! Behaviour of the search engine, one property per test.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use congso_search::{BestBets, Date, Document, Query, Results, SearchError, SearchIndex, Synonyms};
use proptest::prelude::*;
use time::Month;

fn doc(id: &str, title: &str, body: &str) -> Document {
    Document::new(id, title, body)
}

fn dated(id: &str, title: &str, kind: &str, category: &str, year: i32, month: u8) -> Document {
    Document {
        url: format!("/{id}"),
        kind: kind.to_owned(),
        category: category.to_owned(),
        published: Some(
            Date::from_calendar_date(year, Month::try_from(month).unwrap(), 1).unwrap(),
        ),
        ..doc(id, title, "")
    }
}

fn index_of(documents: &[Document]) -> SearchIndex {
    let index = SearchIndex::open_in_ram().unwrap();
    index.rebuild(documents.iter().cloned()).unwrap();
    index
}

fn ids(results: &Results) -> Vec<&str> {
    results.hits.iter().map(|hit| hit.id.as_str()).collect()
}

/// The ranked ids for `text` start with `expected`.
fn check(index: &SearchIndex, text: &str, expected: &[&str]) {
    let results = index.search(&Query::new(text)).unwrap();
    let found = ids(&results);
    assert!(
        found.len() >= expected.len() && found[..expected.len()] == *expected,
        "{text:?} ranked {found:?}, expected to start with {expected:?}"
    );
}

/// Nothing at all is found for `text`.
fn check_none(index: &SearchIndex, text: &str) {
    let results = index.search(&Query::new(text)).unwrap();
    assert_eq!(results.total, 0, "{text:?} found {:?}", ids(&results));
    assert!(results.hits.is_empty());
}

fn portal() -> SearchIndex {
    index_of(&[
        doc(
            "gpxd",
            "Thủ tục cấp giấy phép xây dựng nhà ở riêng lẻ",
            "Hồ sơ đề nghị cấp giấy phép xây dựng gồm đơn và bản vẽ thiết kế.",
        ),
        doc(
            "cntt",
            "Giám đốc Sở Thông tin và Truyền thông",
            "Sở phụ trách ứng dụng CNTT trong cơ quan nhà nước của tỉnh.",
        ),
        doc(
            "cong-nghe",
            "Chiến lược công nghệ thông tin",
            "Phát triển công nghệ thông tin và truyền thông đến năm 2030.",
        ),
        doc(
            "scattered",
            "Thông báo tuyển dụng",
            "Cần người có công, hiểu nghệ thuật, thông thạo tin học văn phòng.",
        ),
        doc(
            "ubnd",
            "Lịch tiếp công dân của Ủy ban nhân dân tỉnh",
            "Chủ tịch tiếp công dân vào thứ Năm hằng tuần.",
        ),
        doc(
            "hcm",
            "Hợp tác với TP.HCM",
            "Thỏa thuận hợp tác phát triển vùng với Thành phố Hồ Chí Minh.",
        ),
        doc(
            "ban-lam-viec",
            "Bàn làm việc mới cho bộ phận một cửa",
            "Mua sắm bàn ghế.",
        ),
        doc("ban-sao", "Cấp bản sao từ sổ gốc", "Chứng thực bản sao."),
        doc("hoa-binh", "Hoà bình và hợp tác", "Văn bản về hoà bình."),
    ])
}

#[test]
fn queries_without_diacritics_find_text_with_them() {
    let index = portal();
    check(&index, "thu tuc cap giay phep xay dung", &["gpxd"]);
    check(&index, "THỦ TỤC CẤP GIẤY PHÉP XÂY DỰNG", &["gpxd"]);
    check(&index, "giam doc so thong tin", &["cntt"]);
    check(&index, "lich tiep cong dan", &["ubnd"]);
    // Decomposed (NFD) input matches like composed input.
    check(&index, "gia\u{301}m đô\u{302}\u{301}c", &["cntt"]);
}

#[test]
fn diacritics_rank_exact_matches_first() {
    let index = portal();
    check(&index, "bàn", &["ban-lam-viec"]);
    check(&index, "bản", &["ban-sao"]);
    let both = index.search(&Query::new("ban")).unwrap();
    assert!(
        ids(&both).contains(&"ban-lam-viec") && ids(&both).contains(&"ban-sao"),
        "{:?}",
        ids(&both)
    );
    // Tone placement does not matter: "hòa" and "hoà" are the same word.
    check(&index, "hòa bình", &["hoa-binh"]);
}

#[test]
fn multi_syllable_words_rank_as_phrases() {
    let index = portal();
    // Both documents contain the four syllables; only these two have them
    // together, and the scattered one comes after them.
    let results = index.search(&Query::new("cong nghe thong tin")).unwrap();
    let found = ids(&results);
    let scattered = found.iter().position(|id| *id == "scattered");
    let phrase = found.iter().position(|id| *id == "cong-nghe").unwrap();
    assert!(scattered.is_none_or(|s| s > phrase), "{found:?}");
    // A quoted phrase only matches the words together.
    let quoted = index
        .search(&Query::new("\"cong nghe thong tin\""))
        .unwrap();
    assert!(!ids(&quoted).contains(&"scattered"), "{:?}", ids(&quoted));
    assert!(ids(&quoted).contains(&"cong-nghe"));
}

#[test]
fn abbreviations_expand_both_ways() {
    let index = portal();
    check(&index, "ubnd", &["ubnd"]);
    check(&index, "uy ban nhan dan", &["ubnd"]);
    let results = index.search(&Query::new("cntt")).unwrap();
    let found = ids(&results);
    assert!(
        found.contains(&"cntt") && found.contains(&"cong-nghe"),
        "{found:?}"
    );
    assert!(!found.contains(&"scattered"), "{found:?}");
    check(&index, "ung dung cong nghe thong tin", &["cntt"]);
    check(&index, "tphcm", &["hcm"]);
    check(&index, "tp hcm", &["hcm"]);
    check(&index, "thanh pho ho chi minh", &["hcm"]);
}

#[test]
fn synonym_lists_are_editable() {
    let index = portal();
    check_none(&index, "bmc");
    index.set_synonyms(Synonyms::parse("BMC, bộ phận một cửa").unwrap());
    check(&index, "bmc", &["ban-lam-viec"]);
    // The shipped list is replaced, not extended.
    check_none(&index, "ubnd");
}

#[test]
fn typos_are_tolerated_and_corrected() {
    let index = portal();
    let results = index.search(&Query::new("giay phep xay dugn")).unwrap();
    assert_eq!(ids(&results).first(), Some(&"gpxd"));
    assert_eq!(results.did_you_mean.as_deref(), Some("giay phep xay dung"));
    let results = index.search(&Query::new("giấy phép xây dựgn")).unwrap();
    assert_eq!(results.did_you_mean.as_deref(), Some("giấy phép xây dựng"));
    let results = index.search(&Query::new("giay phep xay dung")).unwrap();
    assert_eq!(results.did_you_mean, None);
    // "tuyen dnug" → "tuyen dung".
    check(&index, "thong bao tuyen dnug", &["scattered"]);
}

#[test]
fn best_bets_pin_documents_first() {
    let index = portal();
    index.set_best_bets(BestBets::parse("giấy phép => ban-sao, gpxd\n").unwrap());
    let results = index.search(&Query::new("Giay Phep")).unwrap();
    assert_eq!(ids(&results)[..2], ["ban-sao", "gpxd"]);
    assert!(results.hits[0].pinned && results.hits[1].pinned);
    // Only the exact query is pinned.
    let results = index.search(&Query::new("giay phep xay dung")).unwrap();
    assert!(!results.hits.iter().any(|hit| hit.pinned));
    // A pinned id that does not exist is skipped.
    index.set_best_bets(BestBets::parse("giấy phép => missing, gpxd\n").unwrap());
    check(&index, "giay phep", &["gpxd"]);
}

#[test]
fn facets_filters_and_dates() {
    let index = index_of(&[
        dated(
            "a",
            "Kế hoạch ứng dụng CNTT năm 2023",
            "van-ban",
            "ke-hoach",
            2023,
            1,
        ),
        dated(
            "b",
            "Kế hoạch chuyển đổi số",
            "van-ban",
            "ke-hoach",
            2024,
            6,
        ),
        dated(
            "c",
            "Tin: triển khai kế hoạch",
            "tin-tuc",
            "hoat-dong",
            2024,
            9,
        ),
        dated("d", "Kế hoạch năm 2025", "tin-tuc", "hoat-dong", 2025, 2),
        doc("e", "Kế hoạch không có ngày", ""),
    ]);
    let all = index.search(&Query::new("ke hoach")).unwrap();
    assert_eq!(all.total, 5);
    let facet = |values: &[congso_search::FacetCount]| -> Vec<(String, u64)> {
        values.iter().map(|f| (f.value.clone(), f.count)).collect()
    };
    assert_eq!(
        facet(&all.facets.kinds),
        [("tin-tuc".to_owned(), 2), ("van-ban".to_owned(), 2)]
    );
    assert_eq!(
        facet(&all.facets.years),
        [
            ("2025".to_owned(), 1),
            ("2024".to_owned(), 2),
            ("2023".to_owned(), 1)
        ]
    );

    let by_kind = index
        .search(&Query {
            kinds: vec!["tin-tuc".into()],
            ..Query::new("ke hoach")
        })
        .unwrap();
    assert_eq!(by_kind.total, 2);
    assert_eq!(
        facet(&by_kind.facets.categories),
        [("hoat-dong".to_owned(), 2)]
    );

    let by_year = index
        .search(&Query {
            years: vec![2024],
            ..Query::new("ke hoach")
        })
        .unwrap();
    let mut found = ids(&by_year);
    found.sort_unstable();
    assert_eq!(found, ["b", "c"]);

    let day = |y, m, d| Date::from_calendar_date(y, Month::try_from(m).unwrap(), d).unwrap();
    let range = Query {
        published_from: Some(day(2024, 6, 1)),
        published_to: Some(day(2025, 1, 31)),
        ..Query::new("ke hoach")
    };
    let mut found = ids(&index.search(&range).unwrap())
        .into_iter()
        .map(str::to_owned)
        .collect::<Vec<_>>();
    found.sort_unstable();
    assert_eq!(found, ["b", "c"]);
    let hit = &index.search(&Query::new("chuyen doi so")).unwrap().hits[0];
    assert_eq!(
        (hit.kind.as_str(), hit.category.as_str(), hit.url.as_str()),
        ("van-ban", "ke-hoach", "/b")
    );
    assert_eq!(hit.published, Some(day(2024, 6, 1)));
}

#[test]
fn paging_walks_every_hit_once() {
    let documents: Vec<Document> = (0..25)
        .map(|i| {
            doc(
                &format!("d{i:02}"),
                &format!("Thông báo số {i}"),
                "thông báo",
            )
        })
        .collect();
    let index = index_of(&documents);
    let mut seen = Vec::new();
    for page in 0..4 {
        let results = index
            .search(&Query {
                offset: page * 10,
                limit: 10,
                ..Query::new("thong bao")
            })
            .unwrap();
        assert_eq!(results.total, 25);
        seen.extend(results.hits.into_iter().map(|hit| hit.id));
    }
    seen.sort();
    seen.dedup();
    assert_eq!(seen.len(), 25);
    let clamped = index
        .search(&Query {
            limit: 100_000,
            ..Query::new("thong bao")
        })
        .unwrap();
    assert_eq!(clamped.hits.len(), 25);
    let deep = index
        .search(&Query {
            offset: usize::MAX,
            ..Query::new("thong bao")
        })
        .unwrap();
    assert!(deep.hits.is_empty());
}

#[test]
fn highlighting_marks_words_and_escapes_markup() {
    let index = index_of(&[doc(
        "x",
        "Chữ ký <b>điện tử</b> & \"số\"",
        "Mở đầu. <script>alert('chữ ký')</script> Chữ ký điện tử có giá trị pháp lý như chữ ký tay.",
    )]);
    let hit = &index.search(&Query::new("chu ky dien tu")).unwrap().hits[0];
    assert_eq!(
        hit.title_html,
        "<mark>Chữ</mark> <mark>ký</mark> &lt;b&gt;<mark>điện</mark> <mark>tử</mark>&lt;/b&gt; &amp; &quot;số&quot;"
    );
    assert!(
        hit.snippet_html
            .contains("&lt;script&gt;alert(&#39;<mark>chữ</mark> <mark>ký</mark>&#39;)"),
        "{}",
        hit.snippet_html
    );
    assert!(hit
        .snippet_html
        .contains("<mark>Chữ</mark> <mark>ký</mark> <mark>điện</mark> <mark>tử</mark> có giá trị"));
    assert_eq!(hit.title, "Chữ ký <b>điện tử</b> & \"số\"");
}

#[test]
fn upsert_replaces_and_delete_removes() {
    let index = SearchIndex::open_in_ram().unwrap();
    index.upsert(&doc("a", "Thông báo cũ", "")).unwrap();
    check_none(&index, "thong bao");
    index.commit().unwrap();
    check(&index, "thong bao cu", &["a"]);
    index.upsert(&doc("a", "Thông báo mới", "")).unwrap();
    index.commit().unwrap();
    check_none(&index, "cu");
    check(&index, "thong bao moi", &["a"]);
    assert_eq!(index.num_docs(), 1);
    index.delete("a").unwrap();
    index.delete("never-existed").unwrap();
    index.commit().unwrap();
    check_none(&index, "thong bao");
    assert_eq!(index.num_docs(), 0);
}

#[test]
fn rebuild_is_all_or_nothing() {
    let index = index_of(&[doc("old", "Văn bản cũ", "")]);
    let refused = index.rebuild(vec![doc("new", "Văn bản mới", ""), doc("", "no id", "")]);
    assert!(
        matches!(refused, Err(SearchError::InvalidDocument { .. })),
        "{refused:?}"
    );
    check(&index, "van ban cu", &["old"]);
    assert_eq!(
        index.rebuild(vec![doc("new", "Văn bản mới", "")]).unwrap(),
        1
    );
    check_none(&index, "cu");
    check(&index, "van ban moi", &["new"]);
}

#[test]
fn documents_outside_the_limits_are_refused() {
    let index = SearchIndex::open_in_ram().unwrap();
    let cases = [
        (doc("", "t", "b"), "empty id"),
        (doc(&"x".repeat(257), "t", "b"), "id longer than 256 bytes"),
        (doc("a\u{0}b", "t", "b"), "control character in the id"),
        (doc("a", &"t".repeat(5000), "b"), "title longer than 4 KiB"),
        (
            doc("a", "t", &"b".repeat(9 * 1024 * 1024)),
            "body longer than 8 MiB",
        ),
        (
            Document {
                kind: "a\nb".into(),
                ..doc("a", "t", "b")
            },
            "control character in the kind",
        ),
    ];
    for (document, expected) in cases {
        match index.upsert(&document) {
            Err(SearchError::InvalidDocument { reason, .. }) => assert_eq!(reason, expected),
            other => panic!("{expected}: {other:?}"),
        }
    }
}

#[test]
fn the_index_persists_and_is_locked_while_open() {
    let dir = tempfile::tempdir().unwrap();
    {
        let index = SearchIndex::open(dir.path()).unwrap();
        index
            .upsert(&doc("a", "Lưu trữ văn bản điện tử", ""))
            .unwrap();
        index.commit().unwrap();
        assert!(matches!(
            SearchIndex::open(dir.path()),
            Err(SearchError::Locked { .. })
        ));
    }
    let reopened = SearchIndex::open(dir.path()).unwrap();
    check(&reopened, "luu tru van ban", &["a"]);
    assert!(reopened.vocabulary_size() > 0);
}

const BAD_QUERIES: &[&str] = &[
    "",
    "   ",
    "\"",
    "\"\"\"\"",
    "\"unterminated phrase",
    "AND OR NOT",
    "title:foo OR body:(bar AND -baz) +x ~2 ^3 * ? [1 TO 5] {a TO b} \\",
    "\u{0}\u{1}\u{7f}\u{1b}[31m",
    "'; DROP TABLE documents; --",
    "<script>alert(1)</script>",
    "\" OR 1=1 --",
    "中华人民共和国",
    "مرحبا بالعالم",
    "😀😀😀 🇻🇳",
    "\u{202e}giay phep",
    "a\u{0301}\u{0301}\u{0301}\u{0301}",
    "%00%27",
    "ế́̃̉",
];

#[test]
fn bad_queries_get_safe_bounded_answers() {
    let index = portal();
    let long = "giấy phép xây dựng ".repeat(600);
    let operators = "(((\"***))) AND NOT -+~^ ".repeat(500);
    let control: String = (0u8..32).map(char::from).cycle().take(10_240).collect();
    let mut queries: Vec<String> = BAD_QUERIES.iter().map(|q| q.to_string()).collect();
    queries.extend([long, operators, control]);
    for text in &queries {
        let results = index.search(&Query::new(text.as_str())).unwrap();
        assert_safe(&results);
    }
    // The 10 KB query is cut, not refused, and still finds what it is about.
    check(&index, &"giấy phép xây dựng ".repeat(600), &["gpxd"]);
}

/// Results are bounded and their HTML holds no markup but `<mark>`.
fn assert_safe(results: &Results) {
    assert!(results.hits.len() <= congso_search::MAX_LIMIT);
    assert!(results.total >= results.hits.len() as u64);
    for hit in &results.hits {
        for html in [&hit.title_html, &hit.snippet_html] {
            let stripped = html.replace("<mark>", "").replace("</mark>", "");
            assert!(!stripped.contains('<') && !stripped.contains('>'), "{html}");
            assert!(!stripped.chars().any(char::is_control), "{html:?}");
        }
    }
    if let Some(suggestion) = &results.did_you_mean {
        assert!(suggestion.len() <= 4 * congso_search::MAX_QUERY_BYTES);
    }
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 256, ..ProptestConfig::default() })]

    #[test]
    fn any_query_text_is_answered_safely(text in any::<String>()) {
        let index = shared_portal();
        let results = index.search(&Query::new(text)).unwrap();
        assert_safe(&results);
    }

    #[test]
    fn operator_soup_is_answered_safely(text in "[\"()*:+\\-~^!&|\\\\ a-zđăâêôơưáàảãạ0-9\u{300}-\u{36f}]{0,200}") {
        let index = shared_portal();
        let results = index.search(&Query::new(text)).unwrap();
        assert_safe(&results);
    }

}

proptest! {
    // Each case builds an index, so fewer of them.
    #![proptest_config(ProptestConfig { cases: 48, ..ProptestConfig::default() })]

    #[test]
    fn any_indexed_text_is_highlighted_safely(title in any::<String>(), body in any::<String>()) {
        let index = SearchIndex::open_in_ram().unwrap();
        index.rebuild([doc("x", &title, &body)]).unwrap();
        let words: String = title.split_whitespace().take(3).collect::<Vec<_>>().join(" ");
        let results = index.search(&Query::new(words)).unwrap();
        assert_safe(&results);
    }
}

fn shared_portal() -> &'static SearchIndex {
    static PORTAL: std::sync::OnceLock<SearchIndex> = std::sync::OnceLock::new();
    PORTAL.get_or_init(portal)
}

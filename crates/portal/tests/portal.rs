//! The portal service on both databases: workflow and roles, revisions,
//! scheduling, retention, indexing, import and export, hostile content.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::sync::Arc;
use std::time::Duration;

use congso_core::access::{Role, RoleSet};
use congso_portal::{status, Acting, ItemInput, NewCategory, Portal, PortalError, Schedule};
use congso_search::{Query, SearchIndex};
use congso_store::conformance;
use congso_store::ledger::{Ledger, LedgerOptions};
use congso_store::Db;

const DAY: i64 = 86_400 * 1_000_000;

async fn portal(db: Db) -> (Portal, Ledger) {
    let ledger = Ledger::open(
        db.clone(),
        [7; 32],
        "congso/portal-test".to_owned(),
        LedgerOptions {
            batch_max: 64,
            checkpoint_interval: Duration::from_secs(3600),
        },
    )
    .await
    .unwrap();
    let index = Arc::new(SearchIndex::open_in_ram().unwrap());
    let portal = Portal::new(db, ledger.clone(), index);
    portal
        .ensure_categories(&[
            NewCategory {
                slug: "tin-tuc".into(),
                kind: "news".into(),
                name: "Tin tức".into(),
                name_en: "News".into(),
                retention_days: Some(30),
                position: 1,
            },
            NewCategory {
                slug: "van-ban".into(),
                kind: "legal".into(),
                name: "Văn bản".into(),
                name_en: "Legal documents".into(),
                retention_days: None,
                position: 2,
            },
        ])
        .await
        .unwrap();
    (portal, ledger)
}

fn editor() -> Acting {
    Acting::user("editor", RoleSet::single(Role::Specialist), "127.0.0.1")
}

fn leader() -> Acting {
    Acting::user("leader", RoleSet::single(Role::Leader), "127.0.0.1")
}

fn article(title: &str, body: &str) -> ItemInput {
    ItemInput {
        category: "tin-tuc".into(),
        title: title.into(),
        body_html: body.into(),
        ..ItemInput::default()
    }
}

async fn hits(portal: &Portal, text: &str) -> Vec<String> {
    portal
        .search(Query::new(text))
        .await
        .unwrap()
        .hits
        .into_iter()
        .map(|hit| hit.id)
        .collect()
}

async fn ledger_actions(ledger: &Ledger) -> Vec<String> {
    let entries = congso_store::ledger::entries_from(ledger.db(), 0, 1000)
        .await
        .unwrap();
    entries.into_iter().map(|entry| entry.action).collect()
}

conformance!(workflow_roles_revisions_and_index, |db: Db| async move {
    let (portal, ledger) = portal(db).await;
    let id = portal
        .create(
            &editor(),
            &article("Hội nghị chuyển đổi số", "<p>Sở tổ chức hội nghị</p>"),
        )
        .await
        .unwrap();
    // A leader cannot write, an editor cannot publish, a citizen cannot do either.
    let citizen = Acting::user("dan", RoleSet::single(Role::Citizen), "1.2.3.4");
    assert!(matches!(
        portal.create(&citizen, &article("x", "y")).await,
        Err(PortalError::Forbidden)
    ));
    assert!(matches!(
        portal.publish(&editor(), id, Schedule::default()).await,
        Err(PortalError::Forbidden)
    ));
    // Publishing needs review first.
    assert!(matches!(
        portal.publish(&leader(), id, Schedule::default()).await,
        Err(PortalError::Conflict(_))
    ));
    let revision = portal
        .update(
            &editor(),
            id,
            Some(1),
            &article(
                "Hội nghị chuyển đổi số năm 2026",
                "<p>Sở tổ chức hội nghị lớn</p>",
            ),
        )
        .await
        .unwrap();
    assert_eq!(revision, 2);
    // A stale revision is refused instead of overwriting.
    assert!(matches!(
        portal
            .update(&editor(), id, Some(1), &article("a", "b"))
            .await,
        Err(PortalError::Conflict(_))
    ));
    assert!(
        hits(&portal, "chuyen doi so").await.is_empty(),
        "drafts are not public"
    );
    portal.submit(&editor(), id).await.unwrap();
    assert_eq!(
        portal
            .publish(&leader(), id, Schedule::default())
            .await
            .unwrap(),
        status::PUBLISHED
    );
    assert_eq!(
        hits(&portal, "chuyen doi so").await,
        vec![format!("item-{id}")]
    );
    assert!(portal.public_item(id).await.unwrap().is_some());
    // Editors cannot change live content; leaders can, and the index follows.
    assert!(matches!(
        portal
            .update(&editor(), id, None, &article("Đổi", "x"))
            .await,
        Err(PortalError::Forbidden)
    ));
    portal
        .update(
            &leader(),
            id,
            None,
            &article("Hội thảo an toàn thông tin", "<p>nội dung</p>"),
        )
        .await
        .unwrap();
    assert_eq!(
        hits(&portal, "an toan thong tin").await,
        vec![format!("item-{id}")]
    );
    assert!(hits(&portal, "chuyen doi so").await.is_empty());
    let revisions = portal.revisions(id).await.unwrap();
    assert_eq!(revisions.len(), 3);
    assert_eq!(revisions[0].title, "Hội nghị chuyển đổi số");
    portal.unpublish(&leader(), id).await.unwrap();
    assert!(hits(&portal, "an toan thong tin").await.is_empty());
    assert!(portal.public_item(id).await.unwrap().is_none());
    assert_eq!(portal.item(id).await.unwrap().status, status::UNPUBLISHED);
    let actions = ledger_actions(&ledger).await;
    for expected in [
        "portal.item_saved",
        "portal.item_submitted",
        "portal.item_published",
        "portal.item_unpublished",
    ] {
        assert!(
            actions.iter().any(|action| action == expected),
            "{expected}: {actions:?}"
        );
    }
    ledger.shutdown().await.unwrap();
});

conformance!(scheduling_and_retention, |db: Db| async move {
    let (portal, ledger) = portal(db).await;
    let now = congso_store::now().micros();
    let later = portal
        .create(
            &editor(),
            &article("Thông báo lịch tiếp công dân", "<p>lịch</p>"),
        )
        .await
        .unwrap();
    portal.submit(&editor(), later).await.unwrap();
    let status = portal
        .publish(
            &leader(),
            later,
            Schedule {
                publish_at: Some(now + DAY),
                unpublish_at: Some(now + 2 * DAY),
            },
        )
        .await
        .unwrap();
    assert_eq!(status, status::SCHEDULED);
    assert!(hits(&portal, "tiep cong dan").await.is_empty());
    let report = portal.run_due(now).await.unwrap();
    assert!(report.published.is_empty());
    let report = portal.run_due(now + DAY + 1).await.unwrap();
    assert_eq!(report.published, vec![later]);
    assert_eq!(hits(&portal, "tiep cong dan").await.len(), 1);
    let report = portal.run_due(now + 2 * DAY + 1).await.unwrap();
    assert_eq!(report.unpublished, vec![later]);
    assert!(hits(&portal, "tiep cong dan").await.is_empty());

    // Retention: news stays online 30 days, legal documents without limit.
    let news = portal
        .create(
            &editor(),
            &article("Tin ngắn về cải cách hành chính", "<p>tin</p>"),
        )
        .await
        .unwrap();
    let law = portal
        .create(
            &editor(),
            &ItemInput {
                category: "van-ban".into(),
                ..article("Nghị định về cải cách hành chính", "<p>luật</p>")
            },
        )
        .await
        .unwrap();
    for id in [news, law] {
        portal.submit(&editor(), id).await.unwrap();
        portal
            .publish(&leader(), id, Schedule::default())
            .await
            .unwrap();
    }
    assert_eq!(hits(&portal, "cai cach hanh chinh").await.len(), 2);
    let item = portal.item(news).await.unwrap();
    assert_eq!(item.expires_at, Some(item.published_at.unwrap() + 30 * DAY));
    let report = portal.run_due(now + 31 * DAY).await.unwrap();
    assert_eq!(report.expired, vec![news]);
    assert_eq!(
        hits(&portal, "cai cach hanh chinh").await,
        vec![format!("item-{law}")]
    );
    assert_eq!(portal.item(news).await.unwrap().status, status::EXPIRED);
    // The job is idempotent.
    assert_eq!(
        portal.run_due(now + 31 * DAY).await.unwrap(),
        Default::default()
    );
    assert!(ledger_actions(&ledger)
        .await
        .iter()
        .any(|a| a == "portal.item_expired"));
    ledger.shutdown().await.unwrap();
});

conformance!(hostile_content_is_cleaned, |db: Db| async move {
    let (portal, ledger) = portal(db).await;
    let id = portal
        .create(
            &editor(),
            &article(
                "<script>alert(1)</script> Tiêu đề\u{0}\u{7}",
                r#"<p onclick="x()">Nội dung<script>alert(2)</script><a href="javascript:alert(3)">a</a></p>"#,
            ),
        )
        .await
        .unwrap();
    let item = portal.item(id).await.unwrap();
    assert_eq!(
        item.title, "<script>alert(1)</script> Tiêu đề",
        "titles are text, escaped when shown"
    );
    assert!(
        !item.body_html.contains("script")
            && !item.body_html.contains("onclick")
            && !item.body_html.contains("javascript")
    );
    assert!(matches!(
        portal.create(&editor(), &article("", "x")).await,
        Err(PortalError::Invalid(_))
    ));
    assert!(matches!(
        portal
            .create(
                &editor(),
                &ItemInput {
                    category: "khong-co".into(),
                    ..article("a", "b")
                }
            )
            .await,
        Err(PortalError::Invalid(_))
    ));
    ledger.shutdown().await.unwrap();
});

conformance!(
    import_is_idempotent_and_reports_bad_lines,
    |db: Db| async move {
        let (portal, ledger) = portal(db).await;
        let operator = Acting::operator("root");
        let file = concat!(
            r#"{"id":"old-1","title":"Quyết định ban hành quy chế","body":"<p>Quy chế làm việc</p>","category":"van-ban","published":"2020-05-04","metadata":{"number":"12/QĐ-STTTT"}}"#,
            "\n",
            r#"{"id":"old-2","title":"Tin cũ","body":"Dòng 1\n\nDòng 2","format":"text","category":"tin-tuc","published":"2019-01-01"}"#,
            "\n",
            "not json\n",
            r#"{"id":"old-3","title":"","body":"x","category":"tin-tuc"}"#,
            "\n",
            r#"{"id":"old-4","title":"a","body":"x","category":"khong-co"}"#,
            "\n",
            r#"{"id":"old-5","title":"a","body":"x","category":"tin-tuc","published":"hôm qua"}"#,
            "\n",
            r#"{"title":"a","body":"x","category":"tin-tuc","extra":1}"#,
            "\n",
            "\n",
        );
        let report = portal
            .import_jsonl(&operator, file.as_bytes())
            .await
            .unwrap();
        assert_eq!(
            (report.created, report.updated, report.unchanged),
            (2, 0, 0)
        );
        let lines: Vec<usize> = report.errors.iter().map(|(line, _)| *line).collect();
        assert_eq!(lines, vec![3, 4, 5, 6, 7], "{:?}", report.errors);
        // The legal document is public; the 2019 news item is past its 30 days.
        assert_eq!(hits(&portal, "quy che lam viec").await.len(), 1);
        assert!(hits(&portal, "tin cu").await.is_empty());
        let again = portal
            .import_jsonl(&operator, file.as_bytes())
            .await
            .unwrap();
        assert_eq!((again.created, again.updated, again.unchanged), (0, 0, 2));
        let changed = file.replace("Quy chế làm việc", "Quy chế làm việc sửa đổi");
        let third = portal
            .import_jsonl(&operator, changed.as_bytes())
            .await
            .unwrap();
        assert_eq!((third.created, third.updated, third.unchanged), (0, 1, 1));
        assert_eq!(hits(&portal, "sua doi").await.len(), 1);
        let mut out = Vec::new();
        assert_eq!(portal.export_jsonl(&mut out).await.unwrap(), 2);
        let text = String::from_utf8(out).unwrap();
        assert!(text.contains(r#""id":"old-1""#) && text.contains(r#""number":"12/QĐ-STTTT""#));
        // Someone without the publish right cannot import.
        assert!(matches!(
            portal.import_jsonl(&editor(), file.as_bytes()).await,
            Err(PortalError::Forbidden)
        ));
        // A full rebuild gives the same public content.
        assert_eq!(portal.reindex().await.unwrap(), 1);
        assert_eq!(hits(&portal, "quy che").await.len(), 1);
        ledger.shutdown().await.unwrap();
    }
);

conformance!(
    saved_search_lists_reach_every_replica,
    |db: Db| async move {
        use congso_portal::search_lists::ListKind;
        let (first, ledger) = portal(db.clone()).await;
        let id = first
            .create(
                &editor(),
                &article("Cấp giấy phép xây dựng", "<p>Thủ tục cấp phép.</p>"),
            )
            .await
            .unwrap();
        first.submit(&editor(), id).await.unwrap();
        first
            .publish(&leader(), id, Schedule::default())
            .await
            .unwrap();
        // A second replica on the same database, with its own index.
        let second = Portal::new(
            db.clone(),
            ledger.clone(),
            Arc::new(SearchIndex::open_in_ram().unwrap()),
        );
        second.reindex().await.unwrap();
        assert!(
            !second.load_search_lists().await.unwrap(),
            "nothing saved yet"
        );
        assert!(hits(&second, "gpxdno").await.is_empty());

        // Editors may not change the lists; a bad list is refused whole.
        assert!(matches!(
            first
                .save_search_list(&editor(), ListKind::Synonyms, "GPXDNO, giấy phép xây dựng")
                .await,
            Err(PortalError::Forbidden)
        ));
        let refused = first
            .save_search_list(&leader(), ListKind::Synonyms, "ok, fine\n, \n")
            .await
            .unwrap_err()
            .to_string();
        assert!(refused.contains("line 2"), "{refused}");
        assert!(first.search_lists().await.unwrap().synonyms_saved.is_none());

        let generation = second.generation();
        first
            .save_search_list(
                &leader(),
                ListKind::Synonyms,
                "GPXDNO, giấy phép xây dựng\n",
            )
            .await
            .unwrap();
        first
            .save_search_list(&leader(), ListKind::BestBets, "thu tuc => /noi-dung/999\n")
            .await
            .unwrap();
        assert_eq!(
            hits(&first, "gpxdno").await,
            vec![congso_portal::index_id(id)]
        );
        // The other replica applies them on its next pass, once.
        assert!(second.load_search_lists().await.unwrap());
        assert!(
            second.generation() > generation,
            "its page cache is refreshed"
        );
        assert!(!second.load_search_lists().await.unwrap());
        assert_eq!(
            hits(&second, "gpxdno").await,
            vec![congso_portal::index_id(id)]
        );
        let lists = second.search_lists().await.unwrap();
        assert_eq!(lists.best_bets, "thu tuc => /noi-dung/999\n");
        assert_eq!(lists.synonyms_saved.unwrap().1, "user:leader");
        // A replica whose clock is behind saves a list stamped earlier than
        // the one in force: it is still picked up.
        congso_store::portal::save_search_list(
            &db,
            &congso_store::portal::SearchList {
                name: "synonyms".into(),
                body: "XDNOCU, giấy phép xây dựng\n".into(),
                updated_at: 1,
                updated_by: "user:leader".into(),
            },
        )
        .await
        .unwrap();
        assert!(first.load_search_lists().await.unwrap());
        assert_eq!(
            hits(&first, "xdnocu").await,
            vec![congso_portal::index_id(id)]
        );
        assert!(hits(&first, "gpxdno").await.is_empty());
        let actions = ledger_actions(&ledger).await;
        assert_eq!(
            actions
                .iter()
                .filter(|action| *action == "portal.search_list_saved")
                .count(),
            2
        );
        ledger.shutdown().await.unwrap();
    }
);

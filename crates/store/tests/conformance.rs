//! The storage conformance suite: every test runs on SQLite, and on
//! PostgreSQL when `CONGSO_TEST_DATABASE_URL` is set (CI sets it).
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::time::Duration;

use congso_core::access::{AccountKind, Role, RoleSet};
use congso_core::audit::{Actor, AuditAction};
use congso_core::time::Timestamp;
use congso_ledger::note::Ed25519Signer;
use congso_store::accounts::{self, NewOrganization, NewSession, NewUser, SessionStage};
use congso_store::conformance;
use congso_store::ledger::{self, Ledger, LedgerOptions, NewEntry};
use congso_store::secrets::{self, MasterKey};
use congso_store::{Db, StoreError};

fn staff(username: &str, roles: &[Role]) -> NewUser {
    NewUser {
        username: username.to_owned(),
        display_name: format!("Nguyễn Văn {username}"),
        email: Some(format!("{username}@example.gov.vn")),
        kind: AccountKind::Staff,
        organization_id: None,
        unit_id: None,
        position: Some("Chuyên viên".to_owned()),
        roles: roles.iter().copied().collect(),
        password_hash: "$argon2id$not-a-real-hash".to_owned(),
        must_change_password: false,
    }
}

const SEED: [u8; 32] = [7u8; 32];

async fn open_ledger(db: &Db) -> Ledger {
    Ledger::open(
        db.clone(),
        SEED,
        "congso/test-node".to_owned(),
        LedgerOptions {
            batch_max: 512,
            checkpoint_interval: Duration::from_secs(3600),
        },
    )
    .await
    .expect("ledger opens")
}

fn verifier() -> congso_ledger::note::Ed25519Verifier {
    Ed25519Signer::from_seed("congso/test-node", SEED)
        .unwrap()
        .verifier()
}

fn entry(n: usize) -> NewEntry {
    NewEntry::new(
        &Actor::User(format!("user{n}")),
        AuditAction::LoginSuccess,
        format!("user:{n}"),
    )
    .source("127.0.0.1")
    .details(serde_json::json!({ "n": n }))
}

conformance!(migrations_are_idempotent, |db: Db| async move {
    assert!(db.is_ready().await);
    db.migrate().await.unwrap();
    assert_eq!(
        db.applied_migration().await.unwrap(),
        Some(Db::latest_known_migration())
    );
});

conformance!(organizations, |db: Db| async move {
    let agency = accounts::create_organization(
        &db,
        &NewOrganization {
            kind: "agency".into(),
            organ_code: Some("000.21.32.H06".into()),
            name: "Sở Thông tin và Truyền thông".into(),
            ..Default::default()
        },
    )
    .await
    .unwrap();
    accounts::create_organization(
        &db,
        &NewOrganization {
            parent_id: Some(agency),
            kind: "unit".into(),
            name: "Văn phòng Sở".into(),
            short_name: Some("VP".into()),
            ..Default::default()
        },
    )
    .await
    .unwrap();
    let duplicate = accounts::create_organization(
        &db,
        &NewOrganization {
            kind: "agency".into(),
            organ_code: Some("000.21.32.H06".into()),
            name: "Trùng mã".into(),
            ..Default::default()
        },
    )
    .await;
    assert!(
        matches!(duplicate, Err(StoreError::Conflict(_))),
        "{duplicate:?}"
    );
    let bad_kind = accounts::create_organization(
        &db,
        &NewOrganization {
            kind: "ministry".into(),
            name: "X".into(),
            ..Default::default()
        },
    )
    .await;
    assert!(matches!(bad_kind, Err(StoreError::Invalid(_))));
    let home = accounts::home_agency(&db).await.unwrap().unwrap();
    assert_eq!(home.name, "Sở Thông tin và Truyền thông");
    assert_eq!(accounts::list_organizations(&db).await.unwrap().len(), 2);
});

conformance!(users_and_roles, |db: Db| async move {
    let id = accounts::create_user(&db, &staff("Lan.NT", &[Role::Clerk, Role::Leader]))
        .await
        .unwrap();
    let found = accounts::find_credentials(&db, "LAN.nt")
        .await
        .unwrap()
        .unwrap();
    assert_eq!(found.user.id, id);
    assert_eq!(found.user.username, "lan.nt");
    assert_eq!(found.user.display_name, "Nguyễn Văn Lan.NT");
    assert!(found.user.roles.contains(Role::Clerk) && found.user.roles.contains(Role::Leader));
    assert!(!found.user.has_totp);

    let duplicate = accounts::create_user(&db, &staff("lan.nt", &[Role::Clerk])).await;
    assert!(
        matches!(duplicate, Err(StoreError::Conflict(_))),
        "{duplicate:?}"
    );
    let bad_name = accounts::create_user(&db, &staff("a b", &[Role::Clerk])).await;
    assert!(matches!(bad_name, Err(StoreError::Invalid(_))));
    let citizen_role = accounts::create_user(&db, &staff("mixed", &[Role::Citizen])).await;
    assert!(matches!(citizen_role, Err(StoreError::Invalid(_))));
    // A failed insert left nothing behind.
    assert!(accounts::find_credentials(&db, "mixed")
        .await
        .unwrap()
        .is_none());

    accounts::set_roles(&db, id, RoleSet::single(Role::Administrator))
        .await
        .unwrap();
    let user = accounts::get_user(&db, id).await.unwrap().unwrap();
    assert_eq!(user.roles, RoleSet::single(Role::Administrator));
    assert!(accounts::set_roles(&db, id, RoleSet::single(Role::Citizen))
        .await
        .is_err());
    assert_eq!(
        accounts::get_user(&db, id).await.unwrap().unwrap().roles,
        RoleSet::single(Role::Administrator),
        "a refused role change changes nothing"
    );

    accounts::set_totp_secret(&db, id, Some(b"sealed"))
        .await
        .unwrap();
    assert!(accounts::get_user(&db, id).await.unwrap().unwrap().has_totp);
    assert!(accounts::claim_totp_step(&db, id, 100).await.unwrap());
    assert!(
        !accounts::claim_totp_step(&db, id, 100).await.unwrap(),
        "replayed step"
    );
    assert!(
        !accounts::claim_totp_step(&db, id, 99).await.unwrap(),
        "older step"
    );
    assert!(accounts::claim_totp_step(&db, id, 101).await.unwrap());

    let users = accounts::list_users(&db).await.unwrap();
    assert_eq!(users.len(), 1);
    assert_eq!(users[0].roles, RoleSet::single(Role::Administrator));
});

conformance!(sessions, |db: Db| async move {
    let id = accounts::create_user(&db, &staff("hoa.lt", &[Role::Clerk]))
        .await
        .unwrap();
    let now = congso_store::now();
    let session = |hash: &'static [u8]| NewSession {
        id_hash: hash,
        user_id: id,
        stage: SessionStage::SecondFactor,
        expires_at: now.plus_seconds(600),
        ip: "10.0.0.1",
        user_agent: "test",
    };
    accounts::create_session(&db, &session(b"one"))
        .await
        .unwrap();
    accounts::create_session(&db, &session(b"two"))
        .await
        .unwrap();
    let got = accounts::get_session(&db, b"one", now)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(got.stage, SessionStage::SecondFactor);
    assert!(accounts::get_session(&db, b"one", now.plus_seconds(601))
        .await
        .unwrap()
        .is_none());

    assert!(
        accounts::promote_session(&db, b"one", b"one-full", SessionStage::Full)
            .await
            .unwrap()
    );
    assert!(accounts::get_session(&db, b"one", now)
        .await
        .unwrap()
        .is_none());
    let promoted = accounts::get_session(&db, b"one-full", now)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(promoted.stage, SessionStage::Full);

    accounts::touch_session(&db, b"one-full", now, now.plus_seconds(1200))
        .await
        .unwrap();
    assert!(
        accounts::get_session(&db, b"one-full", now.plus_seconds(900))
            .await
            .unwrap()
            .is_some()
    );

    accounts::delete_user_sessions(&db, id, Some(b"one-full"))
        .await
        .unwrap();
    assert!(accounts::get_session(&db, b"two", now)
        .await
        .unwrap()
        .is_none());
    assert!(accounts::get_session(&db, b"one-full", now)
        .await
        .unwrap()
        .is_some());

    accounts::set_password(&db, id, "$argon2id$new", false)
        .await
        .unwrap();
    assert!(
        accounts::get_session(&db, b"one-full", now)
            .await
            .unwrap()
            .is_none(),
        "a password change ends every session"
    );
    accounts::create_session(&db, &session(b"three"))
        .await
        .unwrap();
    accounts::set_disabled(&db, id, true).await.unwrap();
    assert!(accounts::get_session(&db, b"three", now)
        .await
        .unwrap()
        .is_none());
    assert!(accounts::get_user(&db, id).await.unwrap().unwrap().disabled);

    accounts::create_session(
        &db,
        &NewSession {
            expires_at: now.plus_seconds(-1),
            ..session(b"old")
        },
    )
    .await
    .unwrap();
    assert!(accounts::purge_expired(&db, now).await.unwrap() >= 1);
});

conformance!(login_throttle, |db: Db| async move {
    let now = Timestamp::from_unix_seconds(1_800_000_000);
    assert!(accounts::throttle(&db, "ghost").await.unwrap().is_none());
    for attempt in 1..=4 {
        let state = accounts::record_login_failure(&db, "ghost", now, 5, 900)
            .await
            .unwrap();
        assert_eq!(state.failures, attempt);
        assert_eq!(state.locked_until, None);
    }
    let locked = accounts::record_login_failure(&db, "ghost", now, 5, 900)
        .await
        .unwrap();
    assert_eq!(locked.failures, 5);
    assert_eq!(locked.locked_until, Some(now.plus_seconds(900).micros()));
    accounts::clear_login_failures(&db, "ghost").await.unwrap();
    assert!(accounts::throttle(&db, "ghost").await.unwrap().is_none());
});

conformance!(csrf_nonces_and_reset_tokens, |db: Db| async move {
    let now = congso_store::now();
    assert!(
        accounts::consume_csrf_nonce(&db, b"nonce-1", now.plus_seconds(60))
            .await
            .unwrap()
    );
    assert!(
        !accounts::consume_csrf_nonce(&db, b"nonce-1", now.plus_seconds(60))
            .await
            .unwrap()
    );

    let id = accounts::create_user(&db, &staff("reset.me", &[Role::Specialist]))
        .await
        .unwrap();
    accounts::create_password_reset(&db, b"token", id, now.plus_seconds(60))
        .await
        .unwrap();
    assert_eq!(
        accounts::peek_password_reset(&db, b"token", now)
            .await
            .unwrap(),
        Some(id)
    );
    assert_eq!(
        accounts::consume_password_reset(&db, b"token", now)
            .await
            .unwrap(),
        Some(id)
    );
    assert_eq!(
        accounts::consume_password_reset(&db, b"token", now)
            .await
            .unwrap(),
        None
    );
    accounts::create_password_reset(&db, b"late", id, now.plus_seconds(60))
        .await
        .unwrap();
    assert_eq!(
        accounts::consume_password_reset(&db, b"late", now.plus_seconds(61))
            .await
            .unwrap(),
        None
    );
});

conformance!(sealed_node_secrets, |db: Db| async move {
    let key = MasterKey::generate();
    let sealer = key.sealer();
    let first = secrets::node_secret(&db, &sealer, "test", || vec![1, 2, 3])
        .await
        .unwrap();
    let again = secrets::node_secret(&db, &sealer, "test", || vec![9, 9, 9])
        .await
        .unwrap();
    assert_eq!(first, vec![1, 2, 3]);
    assert_eq!(again, first, "a secret is generated once");
    let wrong = MasterKey::generate().sealer();
    assert!(secrets::node_secret(&db, &wrong, "test", Vec::new)
        .await
        .is_err());
    assert_eq!(secrets::meta_init(&db, "node_id", "a").await.unwrap(), "a");
    assert_eq!(secrets::meta_init(&db, "node_id", "b").await.unwrap(), "a");
});

conformance!(ledger_appends_proves_and_verifies, |db: Db| async move {
    let ledger = open_ledger(&db).await;
    let receipt = ledger.append(entry(0)).await.unwrap();
    assert_eq!(receipt.seq, 0);
    let receipts = ledger
        .append_all((1..10).map(entry).collect())
        .await
        .unwrap();
    assert_eq!(
        receipts.iter().map(|r| r.seq).collect::<Vec<_>>(),
        (1..10).collect::<Vec<_>>()
    );
    assert_eq!(ledger.size(), 10);

    let checkpoint = ledger.checkpoint().await.unwrap();
    assert_eq!(checkpoint.tree_size, 10);
    let opened =
        congso_ledger::note::open(checkpoint.signed_note.as_bytes(), &[&verifier()]).unwrap();
    assert!(opened.text().starts_with("congso/test-node\n10\n"));

    for receipt in std::iter::once(receipt).chain(receipts) {
        let proof = ledger.inclusion_proof(receipt.seq, 10).unwrap();
        congso_ledger::verify_inclusion(
            receipt.seq,
            10,
            &receipt.leaf_hash,
            &proof,
            &checkpoint.root_hash,
        )
        .unwrap();
    }
    let old_root = ledger.root_at(4).unwrap();
    let proof = ledger.consistency_proof(4, 10).unwrap();
    congso_ledger::verify_consistency(4, 10, &old_root, &checkpoint.root_hash, &proof).unwrap();

    let stored = ledger::entry(&db, 3).await.unwrap().unwrap();
    assert_eq!(stored.actor, "user:user3");
    assert_eq!(stored.details, r#"{"n":3}"#);
    let report = ledger::verify(&db, &verifier()).await.unwrap();
    assert!(report.ok(), "{:?}", report.problems);
    assert_eq!(
        (report.entries, report.checkpoints, report.uncovered_entries),
        (10, 1, 0)
    );
    ledger.shutdown().await.unwrap();
    assert!(matches!(
        ledger.append(entry(99)).await,
        Err(StoreError::LedgerClosed)
    ));
});

conformance!(
    ledger_concurrent_appends_and_second_writer,
    |db: Db| async move {
        let ledger = open_ledger(&db).await;
        // A second handle on the same database stands in for the CLI or another
        // replica appending at the same time.
        let other = open_ledger(&db).await;
        let mut tasks = Vec::new();
        for task in 0..20 {
            let ledger = if task % 2 == 0 {
                ledger.clone()
            } else {
                other.clone()
            };
            tasks.push(tokio::spawn(async move {
                let mut seqs = Vec::new();
                for n in 0..25 {
                    seqs.push(ledger.append(entry(task * 100 + n)).await.unwrap().seq);
                }
                seqs
            }));
        }
        let mut all = Vec::new();
        for task in tasks {
            all.extend(task.await.unwrap());
        }
        all.sort_unstable();
        assert_eq!(all, (0..500).collect::<Vec<_>>(), "no gaps, no duplicates");
        ledger.checkpoint().await.unwrap();
        other.checkpoint().await.unwrap();
        assert_eq!(
            ledger.root(),
            other.root(),
            "both writers see the same tree"
        );
        let report = ledger::verify(&db, &verifier()).await.unwrap();
        assert!(report.ok(), "{:?}", report.problems);
        assert_eq!(report.entries, 500);
        ledger.shutdown().await.unwrap();
        other.shutdown().await.unwrap();
    }
);

/// Builds a ledger of 20 entries with a checkpoint, then runs `tamper`
/// directly against the database and returns what `verify` reports.
async fn tampered(db: &Db, tamper: &[&str], node_must_refuse: bool) -> Vec<String> {
    let ledger = open_ledger(db).await;
    ledger
        .append_all((0..20).map(entry).collect())
        .await
        .unwrap();
    ledger.checkpoint().await.unwrap();
    ledger.shutdown().await.unwrap();
    let clean = ledger::verify(db, &verifier()).await.unwrap();
    assert!(clean.ok(), "{:?}", clean.problems);
    for sql in tamper {
        raw_execute(db, sql).await;
    }
    let report = ledger::verify(db, &verifier()).await.unwrap();
    // When the stored structure no longer reproduces the latest checkpoint
    // (rows missing, leaf hashes rewritten), the node refuses to start rather
    // than sign over a rewritten history. Content edits that leave the stored
    // leaf hashes alone are found by `verify`, which recomputes every leaf;
    // start-up does not, to stay fast.
    let reopened = Ledger::open(
        db.clone(),
        SEED,
        "congso/test-node".into(),
        LedgerOptions::default(),
    )
    .await;
    if node_must_refuse {
        assert!(
            reopened.is_err(),
            "the node refuses to start on a tampered ledger"
        );
    } else if let Ok(ledger) = reopened {
        ledger.shutdown().await.unwrap();
    }
    report.problems
}

async fn raw_execute(db: &Db, sql: &str) {
    congso_store::testing_raw_execute(db, sql).await.unwrap();
}

conformance!(ledger_detects_an_altered_row, |db: Db| async move {
    let problems = tampered(
        &db,
        &["UPDATE ledger_entries SET actor = 'user:someone-else' WHERE seq = 7"],
        false,
    )
    .await;
    assert!(
        problems
            .iter()
            .any(|p| p.contains("entry 7") && p.contains("altered")),
        "{problems:?}"
    );
    assert!(
        problems.iter().any(|p| p.contains("checkpoint at size 20")),
        "{problems:?}"
    );
});

conformance!(ledger_detects_a_rewritten_leaf_hash, |db: Db| async move {
    let problems = tampered(&db, &["UPDATE ledger_entries SET leaf_hash = (SELECT leaf_hash FROM ledger_entries WHERE seq = 3) WHERE seq = 7"], true).await;
    assert!(
        problems
            .iter()
            .any(|p| p.contains("entry 7") && p.contains("altered")),
        "{problems:?}"
    );
});

conformance!(ledger_detects_a_deleted_row, |db: Db| async move {
    let problems = tampered(&db, &["DELETE FROM ledger_entries WHERE seq = 5"], true).await;
    assert!(
        problems.iter().any(|p| p.contains("entry 5 is missing")),
        "{problems:?}"
    );
    assert!(
        problems.iter().any(|p| p.contains("checkpoint at size 20")),
        "{problems:?}"
    );
});

conformance!(ledger_detects_a_deleted_tail, |db: Db| async move {
    let problems = tampered(&db, &["DELETE FROM ledger_entries WHERE seq >= 18"], true).await;
    assert!(
        problems.iter().any(|p| p.contains("covers more entries")),
        "{problems:?}"
    );
});

conformance!(ledger_detects_reordered_rows, |db: Db| async move {
    // Swap the contents of rows 2 and 9, keeping each row's own leaf hash
    // consistent with its new content position by moving whole rows.
    let problems = tampered(
        &db,
        &[
            "UPDATE ledger_entries SET seq = -1 WHERE seq = 2",
            "UPDATE ledger_entries SET seq = 2 WHERE seq = 9",
            "UPDATE ledger_entries SET seq = 9 WHERE seq = -1",
        ],
        true,
    )
    .await;
    assert!(
        problems.iter().any(|p| p.contains("entry 2")),
        "{problems:?}"
    );
    assert!(
        problems.iter().any(|p| p.contains("checkpoint at size 20")),
        "{problems:?}"
    );
});

conformance!(ledger_detects_an_inserted_row, |db: Db| async move {
    // Shift entries 10.. up by one and insert a forged entry at 10 whose
    // leaf hash is consistent with its content.
    let problems = tampered(
        &db,
        &[
            "UPDATE ledger_entries SET seq = seq + 1000 WHERE seq >= 10",
            "UPDATE ledger_entries SET seq = seq - 999 WHERE seq >= 1000",
            "INSERT INTO ledger_entries (seq, recorded_at, actor, action, target, source, data_hash, details, leaf_hash) \
             SELECT 10, recorded_at, actor, action, target, source, data_hash, details, leaf_hash FROM ledger_entries WHERE seq = 9",
        ],
        true,
    )
    .await;
    assert!(
        problems.iter().any(|p| p.contains("checkpoint at size 20")),
        "{problems:?}"
    );
});

/// A full disk during an append: the batch fails as a whole, callers hear
/// so, nothing already recorded is lost, and appends resume once space is
/// back. SQLite's `max_page_count` stands in for the full disk.
#[tokio::test]
async fn sqlite_full_disk_on_append_loses_nothing() {
    let test_db = congso_store::testing::TestDb::sqlite().await.unwrap();
    let db = test_db.db.clone();
    let ledger = open_ledger(&db).await;
    ledger
        .append_all((0..10).map(entry).collect())
        .await
        .unwrap();
    ledger.checkpoint().await.unwrap();
    let root_before = ledger.root();
    congso_store::testing_raw_execute(&db, "PRAGMA max_page_count = 1")
        .await
        .unwrap();
    let big: Vec<NewEntry> = (0..2000)
        .map(|n| entry(n).details(serde_json::json!({ "padding": "x".repeat(500), "n": n })))
        .collect();
    let failed = ledger.append_all(big).await;
    assert!(failed.is_err(), "the append must fail on a full disk");
    assert_eq!(ledger.size(), 10, "nothing half-appended");
    assert_eq!(ledger.root(), root_before);
    congso_store::testing_raw_execute(&db, "PRAGMA max_page_count = 1073741823")
        .await
        .unwrap();
    let receipt = ledger.append(entry(10)).await.unwrap();
    assert_eq!(receipt.seq, 10, "the failed batch left no gap");
    ledger.shutdown().await.unwrap();
    let report = ledger::verify(&db, &verifier()).await.unwrap();
    assert!(report.ok(), "{:?}", report.problems);
    assert_eq!(report.entries, 11);
    test_db.cleanup().await;
}

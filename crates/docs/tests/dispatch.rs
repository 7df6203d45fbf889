//! Electronic dispatch as a workflow step, on SQLite and PostgreSQL: what
//! the documents service hands its dispatcher, and what it shows per
//! recipient. The dispatcher here is a recording one standing in for the
//! federation (the real one runs in `crates/congso/tests/federation.rs`,
//! with three node processes): it keeps what it was given, refuses on
//! demand, and answers deliveries from what it keeps.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use std::collections::{BTreeMap, BTreeSet};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};

use common::{outgoing, to_signed, Node};
use congso_docs::dispatch::{BoxFuture, Dispatcher, Reach, Transport};
use congso_docs::model::Party;
use congso_docs::service::TransitionRequest;
use congso_docs::DocsError;
use congso_store::{conformance, Db};

fn step(name: &str) -> TransitionRequest {
    TransitionRequest {
        transition: name.into(),
        ..Default::default()
    }
}

/// (document, recipient, revocation) → the package handed over.
type Sent = BTreeMap<(i64, String, bool), Vec<u8>>;

#[derive(Default)]
struct Recording {
    members: Mutex<BTreeSet<String>>,
    sent: Mutex<Sent>,
    fail: AtomicBool,
}

impl Dispatcher for Recording {
    fn reachable(&self, organ_code: &str) -> bool {
        self.members.lock().unwrap().contains(organ_code)
    }

    fn send<'a>(
        &'a self,
        document_id: i64,
        recipient: &'a str,
        revocation: bool,
        package: &'a std::path::Path,
    ) -> BoxFuture<'a, Result<bool, String>> {
        Box::pin(async move {
            if self.fail.load(Ordering::SeqCst) {
                return Err("outbox unavailable".to_owned());
            }
            let bytes = std::fs::read(package).map_err(|error| error.to_string())?;
            let mut sent = self.sent.lock().unwrap();
            let key = (document_id, recipient.to_owned(), revocation);
            if sent.contains_key(&key) {
                return Ok(false);
            }
            sent.insert(key, bytes);
            Ok(true)
        })
    }

    fn transport<'a>(
        &'a self,
        document_id: i64,
        recipient: &'a str,
        revocation: bool,
    ) -> BoxFuture<'a, Result<Option<Transport>, String>> {
        Box::pin(async move {
            let sent = self.sent.lock().unwrap();
            Ok(sent
                .get(&(document_id, recipient.to_owned(), revocation))
                .map(|_| Transport {
                    message_id: format!("{document_id}-{recipient}-{revocation}"),
                    state: "queued".to_owned(),
                    attempts: 0,
                    queued_at: 1,
                    next_attempt_at: Some(1),
                    last_error: None,
                    sent_at: None,
                    received_at: None,
                    receipt_at: None,
                    receipt: None,
                    receipt_signature: None,
                }))
        })
    }
}

conformance!(
    dispatch_step_sends_to_members_once_and_recall_sends_the_revocation,
    |db: Db| async move {
        let node = Node::new(db.clone()).await;
        let service = &node.service;
        let mut metadata = outgoing("cong-van", "V/v triển khai liên thông văn bản");
        // G22 is a member; H41 has an organ code but is not; H26 is us;
        // G22 again is listed once.
        metadata.recipients.push(Party {
            organ_code: Some("000.00.00.H41".into()),
            name: "UBND tỉnh Nghệ An".into(),
        });
        metadata.recipients.push(Party {
            organ_code: Some("000.00.00.H26".into()),
            name: "Lưu: VT".into(),
        });
        metadata.recipients.push(Party {
            organ_code: Some("000.00.00.G22".into()),
            name: "Văn phòng Chính phủ (bản 2)".into(),
        });
        let id = service
            .create_draft(&node.specialist, metadata)
            .await
            .unwrap();
        to_signed(&node, id).await;
        service
            .transition(&node.clerk, id, step("issue"))
            .await
            .unwrap();

        // Without a dispatcher the step is taken and nothing is sent.
        assert!(!service.has_dispatcher());
        let before = service.deliveries(&node.clerk, id).await.unwrap();
        assert!(before
            .iter()
            .filter(|recipient| recipient.organ_code.is_some())
            .all(|recipient| matches!(recipient.reach, Reach::NoFederation | Reach::Ourselves)));

        let recording = Arc::new(Recording {
            members: Mutex::new(["000.00.00.G22".to_owned()].into()),
            ..Default::default()
        });
        recording.fail.store(true, Ordering::SeqCst);
        assert!(service.set_dispatcher(recording.clone()));
        assert!(service.has_dispatcher());

        // The outbox fails: the step stands, the failure is reported.
        let done = service
            .transition(&node.clerk, id, step("dispatch"))
            .await
            .unwrap();
        assert_eq!(done.state, "dispatched");
        let sending = done.sending.expect("a node in a federation sends");
        assert!(sending.error.unwrap().contains("outbox unavailable"));
        assert!(recording.sent.lock().unwrap().is_empty());

        // Sending again finishes the job, for the member only.
        recording.fail.store(false, Ordering::SeqCst);
        // Not a clerk: refused.
        let by_specialist = service.send_electronically(&node.specialist, id).await;
        assert!(
            matches!(by_specialist, Err(DocsError::Forbidden(_))),
            "{by_specialist:?}"
        );
        let sending = service.send_electronically(&node.clerk, id).await.unwrap();
        let outcomes: Vec<(&str, &str)> = sending
            .sent
            .iter()
            .map(|sent| (sent.organ_code.as_str(), sent.outcome.as_str()))
            .collect();
        assert_eq!(
            outcomes,
            [("000.00.00.G22", "queued"), ("000.00.00.H41", "not_member")]
        );
        {
            let sent = recording.sent.lock().unwrap();
            assert_eq!(sent.len(), 1);
            let package =
                String::from_utf8(sent[&(id, "000.00.00.G22".to_owned(), false)].clone()).unwrap();
            assert!(package.contains("http://www.mic.gov.vn/TBT/QCVN_102_2016"));
            assert!(package.contains("V/v triển khai liên thông văn bản"));
        }
        // Again: nothing new.
        let again = service.send_electronically(&node.clerk, id).await.unwrap();
        assert_eq!(again.sent[0].outcome, "already");
        assert_eq!(recording.sent.lock().unwrap().len(), 1);

        let deliveries = service.deliveries(&node.clerk, id).await.unwrap();
        let reach: Vec<(Option<&str>, Reach, bool)> = deliveries
            .iter()
            .map(|recipient| {
                (
                    recipient.organ_code.as_deref(),
                    recipient.reach,
                    recipient.document.is_some(),
                )
            })
            .collect();
        assert_eq!(
            reach,
            [
                (Some("000.00.00.G22"), Reach::Member, true),
                (None, Reach::NoOrganCode, false),
                (Some("000.00.00.H41"), Reach::NotMember, false),
                (Some("000.00.00.H26"), Reach::Ourselves, false),
            ]
        );

        // H41 joins the federation after the dispatch: it never had the
        // document, so it gets no revocation either.
        recording
            .members
            .lock()
            .unwrap()
            .insert("000.00.00.H41".to_owned());
        // Recalling it sends the revocation (edXML business type 1) to the
        // member, by itself.
        service
            .recall(&node.leader, id, "Ban hành nhầm")
            .await
            .unwrap();
        {
            let sent = recording.sent.lock().unwrap();
            let revocation =
                String::from_utf8(sent[&(id, "000.00.00.G22".to_owned(), true)].clone()).unwrap();
            assert!(
                revocation.contains("<edXML:BussinessDocType>1</edXML:BussinessDocType>"),
                "{revocation}"
            );
        }
        assert!(!recording.sent.lock().unwrap().contains_key(&(
            id,
            "000.00.00.H41".to_owned(),
            true
        )));
        let deliveries = service.deliveries(&node.clerk, id).await.unwrap();
        assert!(deliveries[0].revocation.is_some());
        let resent = service.send_electronically(&node.clerk, id).await.unwrap();
        let outcomes: Vec<&str> = resent
            .sent
            .iter()
            .map(|sent| sent.outcome.as_str())
            .collect();
        assert_eq!(outcomes, ["already", "never_sent"]);

        // A draft cannot be sent.
        let draft = service
            .create_draft(&node.specialist, outgoing("cong-van", "Bản nháp"))
            .await
            .unwrap();
        let refused = service.send_electronically(&node.clerk, draft).await;
        assert!(
            matches!(refused, Err(DocsError::Workflow(_))),
            "{refused:?}"
        );
        node.ledger.shutdown().await.unwrap();
    }
);

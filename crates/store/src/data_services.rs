//! Data services between agencies at rest (Decree 64 Art. 7): the services
//! this node provides with their declared schemas, the dataset behind each
//! (the declarative backend: records looked up by key), access grants per
//! agency, and the log of every call on both sides (`data_service_calls`,
//! one row per call and side).
//!
//! Only SQL lives here: schemas are checked, requests verified and ledger
//! entries appended by `congso-federation`'s `data_service` module.

use serde::Serialize;

use crate::db::Db;
use crate::error::{Result, StoreError};

/// A data service this node provides.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, sqlx::FromRow)]
pub struct ServiceRow {
    pub code: String,
    pub name: String,
    pub description: String,
    /// JSON Schema of the input (canonical JSON).
    pub input_schema: String,
    /// JSON Schema of the output (canonical JSON).
    pub output_schema: String,
    /// JSON array of the input fields records are looked up by.
    pub key_fields: String,
    /// `active` or `withdrawn`.
    pub status: String,
    pub revision: i64,
    pub published_at: i64,
    pub updated_at: i64,
    /// Records in the loaded dataset.
    pub records: i64,
    #[serde(skip)]
    pub dataset_sha256: Option<Vec<u8>>,
    pub loaded_at: Option<i64>,
}

/// What the operator publishes (created or replaced by code).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewService {
    pub code: String,
    pub name: String,
    pub description: String,
    pub input_schema: String,
    pub output_schema: String,
    pub key_fields: String,
}

const SERVICE_COLUMNS: &str = "code, name, description, input_schema, output_schema, key_fields, \
     status, revision, published_at, updated_at, records, dataset_sha256, loaded_at";

/// Creates or replaces a service; returns the stored row. The revision is
/// one more than the highest revision of any service of this node, so the
/// announcement of the service list only ever goes up.
pub async fn publish(db: &Db, service: &NewService, now: i64) -> Result<ServiceRow> {
    let select = format!("SELECT {SERVICE_COLUMNS} FROM data_services WHERE code = $1");
    Ok(in_tx!(db, |tx| {
        let highest: Option<i64> = sqlx::query_scalar("SELECT MAX(revision) FROM data_services")
            .fetch_one(&mut *tx)
            .await?;
        sqlx::query(
            "INSERT INTO data_services (code, name, description, input_schema, output_schema, \
             key_fields, status, revision, published_at, updated_at) \
             VALUES ($1, $2, $3, $4, $5, $6, 'active', $7, $8, $8) \
             ON CONFLICT (code) DO UPDATE SET name = excluded.name, \
             description = excluded.description, input_schema = excluded.input_schema, \
             output_schema = excluded.output_schema, key_fields = excluded.key_fields, \
             status = 'active', revision = excluded.revision, updated_at = excluded.updated_at",
        )
        .bind(&service.code)
        .bind(&service.name)
        .bind(&service.description)
        .bind(&service.input_schema)
        .bind(&service.output_schema)
        .bind(&service.key_fields)
        .bind(highest.unwrap_or(0) + 1)
        .bind(now)
        .execute(&mut *tx)
        .await?;
        sqlx::query_as::<_, ServiceRow>(&select)
            .bind(&service.code)
            .fetch_one(&mut *tx)
            .await?
    }))
}

/// One service, active or withdrawn.
pub async fn service(db: &Db, code: &str) -> Result<Option<ServiceRow>> {
    let sql = format!("SELECT {SERVICE_COLUMNS} FROM data_services WHERE code = $1");
    Ok(on_db!(db, |pool| {
        sqlx::query_as(&sql).bind(code).fetch_optional(pool).await?
    }))
}

/// Every service of this node, by code.
pub async fn services(db: &Db) -> Result<Vec<ServiceRow>> {
    let sql = format!("SELECT {SERVICE_COLUMNS} FROM data_services ORDER BY code");
    Ok(on_db!(db, |pool| {
        sqlx::query_as(&sql).fetch_all(pool).await?
    }))
}

/// Replaces a service's dataset with `records` (lookup key, record JSON)
/// in one transaction: either the whole dataset is loaded or nothing
/// changes. Keys must be distinct.
pub async fn load_records(
    db: &Db,
    code: &str,
    records: &[(String, String)],
    dataset_sha256: &[u8; 32],
    now: i64,
) -> Result<()> {
    in_tx!(db, |tx| {
        let exists: Option<String> =
            sqlx::query_scalar("SELECT code FROM data_services WHERE code = $1")
                .bind(code)
                .fetch_optional(&mut *tx)
                .await?;
        if exists.is_none() {
            return Err(StoreError::not_found(format!("data service {code}")));
        }
        sqlx::query("DELETE FROM data_service_records WHERE service_code = $1")
            .bind(code)
            .execute(&mut *tx)
            .await?;
        for (index, (key, record)) in records.iter().enumerate() {
            let inserted = sqlx::query(
                "INSERT INTO data_service_records (service_code, lookup_key, record) \
                 VALUES ($1, $2, $3) ON CONFLICT (service_code, lookup_key) DO NOTHING",
            )
            .bind(code)
            .bind(key)
            .bind(record)
            .execute(&mut *tx)
            .await?
            .rows_affected();
            if inserted == 0 {
                return Err(StoreError::Invalid(format!(
                    "record {} repeats the key {key} of an earlier record",
                    index + 1
                )));
            }
        }
        sqlx::query(
            "UPDATE data_services SET records = $1, dataset_sha256 = $2, loaded_at = $3 \
             WHERE code = $4",
        )
        .bind(i64::try_from(records.len()).unwrap_or(i64::MAX))
        .bind(dataset_sha256.to_vec())
        .bind(now)
        .bind(code)
        .execute(&mut *tx)
        .await?;
    });
    Ok(())
}

/// The record stored under `key`, if any.
pub async fn lookup(db: &Db, code: &str, key: &str) -> Result<Option<String>> {
    Ok(on_db!(db, |pool| {
        sqlx::query_scalar(
            "SELECT record FROM data_service_records WHERE service_code = $1 AND lookup_key = $2",
        )
        .bind(code)
        .bind(key)
        .fetch_optional(pool)
        .await?
    }))
}

// -------------------------------------------------------------------- grants

/// An agency's access to a service.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, sqlx::FromRow)]
pub struct GrantRow {
    pub service_code: String,
    pub organ_code: String,
    pub granted_at: i64,
    pub granted_by: String,
    pub revoked_at: Option<i64>,
    pub revoked_by: Option<String>,
}

impl GrantRow {
    pub fn is_active(&self) -> bool {
        self.revoked_at.is_none()
    }
}

/// Grants `organ_code` access to a service (again, if it was revoked).
/// Returns false if it already had access.
pub async fn grant(db: &Db, code: &str, organ_code: &str, by: &str, now: i64) -> Result<bool> {
    Ok(in_tx!(db, |tx| {
        let exists: Option<String> =
            sqlx::query_scalar("SELECT code FROM data_services WHERE code = $1")
                .bind(code)
                .fetch_optional(&mut *tx)
                .await?;
        if exists.is_none() {
            return Err(StoreError::not_found(format!("data service {code}")));
        }
        let current: Option<Option<i64>> = sqlx::query_scalar(
            "SELECT revoked_at FROM data_service_grants \
             WHERE service_code = $1 AND organ_code = $2",
        )
        .bind(code)
        .bind(organ_code)
        .fetch_optional(&mut *tx)
        .await?;
        match current {
            Some(None) => false,
            _ => {
                sqlx::query(
                    "INSERT INTO data_service_grants (service_code, organ_code, granted_at, \
                     granted_by) VALUES ($1, $2, $3, $4) \
                     ON CONFLICT (service_code, organ_code) DO UPDATE SET \
                     granted_at = excluded.granted_at, granted_by = excluded.granted_by, \
                     revoked_at = NULL, revoked_by = NULL",
                )
                .bind(code)
                .bind(organ_code)
                .bind(now)
                .bind(by)
                .execute(&mut *tx)
                .await?;
                true
            }
        }
    }))
}

/// Revokes `organ_code`'s access. Returns false if it had none.
pub async fn revoke(db: &Db, code: &str, organ_code: &str, by: &str, now: i64) -> Result<bool> {
    let changed = on_write!(db, |pool| {
        sqlx::query(
            "UPDATE data_service_grants SET revoked_at = $1, revoked_by = $2 \
             WHERE service_code = $3 AND organ_code = $4 AND revoked_at IS NULL",
        )
        .bind(now)
        .bind(by)
        .bind(code)
        .bind(organ_code)
        .execute(pool)
        .await?
        .rows_affected()
    });
    Ok(changed > 0)
}

/// Whether `organ_code` may call the service now.
pub async fn is_granted(db: &Db, code: &str, organ_code: &str) -> Result<bool> {
    let found: Option<i64> = on_db!(db, |pool| {
        sqlx::query_scalar(
            "SELECT granted_at FROM data_service_grants \
             WHERE service_code = $1 AND organ_code = $2 AND revoked_at IS NULL",
        )
        .bind(code)
        .bind(organ_code)
        .fetch_optional(pool)
        .await?
    });
    Ok(found.is_some())
}

/// Every grant, current and revoked, by service and agency.
pub async fn grants(db: &Db) -> Result<Vec<GrantRow>> {
    Ok(on_db!(db, |pool| {
        sqlx::query_as(
            "SELECT service_code, organ_code, granted_at, granted_by, revoked_at, revoked_by \
             FROM data_service_grants ORDER BY service_code, organ_code",
        )
        .fetch_all(pool)
        .await?
    }))
}

// --------------------------------------------------------------------- calls

/// Which end of a call a log row is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Side {
    Caller,
    Provider,
}

impl Side {
    pub fn as_str(self) -> &'static str {
        match self {
            Side::Caller => "caller",
            Side::Provider => "provider",
        }
    }
}

/// One logged call.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, sqlx::FromRow)]
pub struct CallRow {
    pub seq: i64,
    pub side: String,
    pub request_id: String,
    pub service_code: String,
    pub provider: String,
    pub caller_org: String,
    pub caller_user_id: String,
    pub caller_user_name: String,
    pub purpose: String,
    /// `pending` (caller side, before the answer), `ok`, or a refusal code.
    pub outcome: String,
    /// Why a call was refused (never personal data from the record).
    pub detail: String,
    #[serde(serialize_with = "hex_bytes")]
    pub request_sha256: Vec<u8>,
    #[serde(serialize_with = "hex_option")]
    pub response_sha256: Option<Vec<u8>>,
    pub requested_at: i64,
    pub answered_at: Option<i64>,
    pub logged_at: i64,
    #[serde(skip)]
    pub response: Option<Vec<u8>>,
    #[serde(skip)]
    pub response_signature: Option<Vec<u8>>,
    pub ledger_seq: Option<i64>,
}

fn hex_bytes<S: serde::Serializer>(bytes: &[u8], serializer: S) -> Result<S::Ok, S::Error> {
    serializer.serialize_str(&hex::encode(bytes))
}

fn hex_option<S: serde::Serializer>(
    bytes: &Option<Vec<u8>>,
    serializer: S,
) -> Result<S::Ok, S::Error> {
    match bytes {
        Some(bytes) => serializer.serialize_str(&hex::encode(bytes)),
        None => serializer.serialize_none(),
    }
}

/// A call to log.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewCall {
    pub side: Side,
    pub request_id: String,
    pub service_code: String,
    pub provider: String,
    pub caller_org: String,
    pub caller_user_id: String,
    pub caller_user_name: String,
    pub purpose: String,
    pub outcome: String,
    pub detail: String,
    pub request_sha256: [u8; 32],
    pub response_sha256: Option<[u8; 32]>,
    pub requested_at: i64,
    pub answered_at: Option<i64>,
    pub logged_at: i64,
    pub response: Option<Vec<u8>>,
    pub response_signature: Option<Vec<u8>>,
    pub ledger_seq: Option<i64>,
}

const CALL_COLUMNS: &str = "seq, side, request_id, service_code, provider, caller_org, \
     caller_user_id, caller_user_name, purpose, outcome, detail, request_sha256, \
     response_sha256, requested_at, answered_at, logged_at, response, response_signature, \
     ledger_seq";

/// What logging a call did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Logged {
    /// A new row, with its position.
    New(i64),
    /// This side already logged this caller's request id: the row logged
    /// the first time (a provider answers with its stored response).
    Duplicate(Box<CallRow>),
}

/// Logs a call once per (side, caller, request id).
pub async fn log_call(db: &Db, call: &NewCall) -> Result<Logged> {
    let select = format!(
        "SELECT {CALL_COLUMNS} FROM data_service_calls \
         WHERE side = $1 AND caller_org = $2 AND request_id = $3"
    );
    Ok(in_tx!(db, |tx| {
        let inserted: Option<i64> = sqlx::query_scalar(
            "INSERT INTO data_service_calls (side, request_id, service_code, provider, \
             caller_org, caller_user_id, caller_user_name, purpose, outcome, detail, \
             request_sha256, response_sha256, requested_at, answered_at, logged_at, response, \
             response_signature, ledger_seq) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, \
             $11, $12, $13, $14, $15, $16, $17, $18) \
             ON CONFLICT (side, caller_org, request_id) DO NOTHING RETURNING seq",
        )
        .bind(call.side.as_str())
        .bind(&call.request_id)
        .bind(&call.service_code)
        .bind(&call.provider)
        .bind(&call.caller_org)
        .bind(&call.caller_user_id)
        .bind(&call.caller_user_name)
        .bind(&call.purpose)
        .bind(&call.outcome)
        .bind(&call.detail)
        .bind(call.request_sha256.to_vec())
        .bind(call.response_sha256.map(|hash| hash.to_vec()))
        .bind(call.requested_at)
        .bind(call.answered_at)
        .bind(call.logged_at)
        .bind(&call.response)
        .bind(&call.response_signature)
        .bind(call.ledger_seq)
        .fetch_optional(&mut *tx)
        .await?;
        match inserted {
            Some(seq) => Logged::New(seq),
            None => {
                let row = sqlx::query_as::<_, CallRow>(&select)
                    .bind(call.side.as_str())
                    .bind(&call.caller_org)
                    .bind(&call.request_id)
                    .fetch_one(&mut *tx)
                    .await?;
                Logged::Duplicate(Box::new(row))
            }
        }
    }))
}

/// What the answer to a call was, written onto a row logged before it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CallOutcome {
    pub outcome: String,
    pub detail: String,
    pub response_sha256: Option<[u8; 32]>,
    pub answered_at: Option<i64>,
    pub response: Option<Vec<u8>>,
    pub response_signature: Option<Vec<u8>>,
}

/// Records the answer of a logged call (the latest answer wins: a caller
/// repeating a request id after `service_down` gets the provider's answer).
pub async fn complete_call(db: &Db, seq: i64, outcome: &CallOutcome) -> Result<()> {
    let changed = on_write!(db, |pool| {
        sqlx::query(
            "UPDATE data_service_calls SET outcome = $1, detail = $2, response_sha256 = $3, \
             answered_at = $4, response = $5, response_signature = $6 \
             WHERE seq = $7",
        )
        .bind(&outcome.outcome)
        .bind(&outcome.detail)
        .bind(outcome.response_sha256.map(|hash| hash.to_vec()))
        .bind(outcome.answered_at)
        .bind(&outcome.response)
        .bind(&outcome.response_signature)
        .bind(seq)
        .execute(pool)
        .await?
        .rows_affected()
    });
    if changed == 0 {
        return Err(StoreError::not_found(format!("data service call {seq}")));
    }
    Ok(())
}

/// Notes the ledger entry that recorded a call.
pub async fn set_call_ledger_seq(db: &Db, seq: i64, ledger_seq: i64) -> Result<()> {
    on_write!(db, |pool| {
        sqlx::query("UPDATE data_service_calls SET ledger_seq = $1 WHERE seq = $2")
            .bind(ledger_seq)
            .bind(seq)
            .execute(pool)
            .await?;
    });
    Ok(())
}

/// The row a side logged for a caller's request id.
pub async fn call(
    db: &Db,
    side: Side,
    caller_org: &str,
    request_id: &str,
) -> Result<Option<CallRow>> {
    let sql = format!(
        "SELECT {CALL_COLUMNS} FROM data_service_calls \
         WHERE side = $1 AND caller_org = $2 AND request_id = $3"
    );
    Ok(on_write!(db, |pool| {
        sqlx::query_as(&sql)
            .bind(side.as_str())
            .bind(caller_org)
            .bind(request_id)
            .fetch_optional(pool)
            .await?
    }))
}

/// Logged calls after position `after_seq`, oldest first.
pub async fn calls_page(db: &Db, after_seq: i64, limit: u32) -> Result<Vec<CallRow>> {
    let sql = format!(
        "SELECT {CALL_COLUMNS} FROM data_service_calls WHERE seq > $1 ORDER BY seq LIMIT $2"
    );
    Ok(on_db!(db, |pool| {
        sqlx::query_as(&sql)
            .bind(after_seq)
            .bind(i64::from(limit))
            .fetch_all(pool)
            .await?
    }))
}

/// The newest logged calls, newest first: all of them, or only those a
/// user of this node made (`caller_user_id`, caller side).
pub async fn recent_calls(
    db: &Db,
    caller_user_id: Option<&str>,
    limit: u32,
) -> Result<Vec<CallRow>> {
    let sql = format!(
        "SELECT {CALL_COLUMNS} FROM data_service_calls \
         WHERE (CAST($1 AS TEXT) IS NULL OR (side = 'caller' AND caller_user_id = $1)) \
         ORDER BY seq DESC LIMIT $2"
    );
    Ok(on_db!(db, |pool| {
        sqlx::query_as(&sql)
            .bind(caller_user_id)
            .bind(i64::from(limit))
            .fetch_all(pool)
            .await?
    }))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::conformance;

    fn new_service(code: &str) -> NewService {
        NewService {
            code: code.into(),
            name: "Tra cứu cư trú".into(),
            description: "Tra cứu nơi thường trú theo số CCCD".into(),
            input_schema: r#"{"type":"object"}"#.into(),
            output_schema: r#"{"type":"object"}"#.into(),
            key_fields: r#"["cccd"]"#.into(),
        }
    }

    fn new_call(side: Side, request_id: &str, outcome: &str) -> NewCall {
        NewCall {
            side,
            request_id: request_id.into(),
            service_code: "ho-tich.tra-cuu".into(),
            provider: "000.00.01.H26".into(),
            caller_org: "000.00.00.G01".into(),
            caller_user_id: "7".into(),
            caller_user_name: "Nguyễn Thị Lan".into(),
            purpose: "Giải quyết hồ sơ".into(),
            outcome: outcome.into(),
            detail: String::new(),
            request_sha256: [1; 32],
            response_sha256: None,
            requested_at: 10,
            answered_at: None,
            logged_at: 11,
            response: None,
            response_signature: None,
            ledger_seq: None,
        }
    }

    conformance!(services_and_datasets, |db: Db| async move {
        let first = publish(&db, &new_service("ho-tich.tra-cuu"), 5)
            .await
            .unwrap();
        assert_eq!(
            (first.revision, first.records, first.status.as_str()),
            (1, 0, "active")
        );
        let second = publish(&db, &new_service("dat-dai.thua-dat"), 6)
            .await
            .unwrap();
        assert_eq!(second.revision, 2);
        let mut changed = new_service("ho-tich.tra-cuu");
        changed.name = "Tra cứu thông tin cư trú".into();
        let again = publish(&db, &changed, 7).await.unwrap();
        assert_eq!(
            again.revision, 3,
            "a republished service gets the next revision"
        );
        assert_eq!(again.published_at, 5);
        assert_eq!(again.updated_at, 7);
        assert_eq!(services(&db).await.unwrap().len(), 2);

        let records = vec![
            ("[\"001\"]".to_owned(), "{\"a\":1}".to_owned()),
            ("[\"002\"]".to_owned(), "{\"a\":2}".to_owned()),
        ];
        load_records(&db, "ho-tich.tra-cuu", &records, &[3; 32], 8)
            .await
            .unwrap();
        assert_eq!(
            lookup(&db, "ho-tich.tra-cuu", "[\"002\"]")
                .await
                .unwrap()
                .as_deref(),
            Some("{\"a\":2}")
        );
        assert_eq!(
            lookup(&db, "dat-dai.thua-dat", "[\"002\"]").await.unwrap(),
            None
        );
        // A dataset with a repeated key is refused whole: the old one stays.
        let repeated = vec![
            ("[\"009\"]".to_owned(), "{}".to_owned()),
            ("[\"009\"]".to_owned(), "{}".to_owned()),
        ];
        let error = load_records(&db, "ho-tich.tra-cuu", &repeated, &[4; 32], 9)
            .await
            .unwrap_err();
        assert!(error.to_string().contains("record 2 repeats"), "{error}");
        assert_eq!(
            lookup(&db, "ho-tich.tra-cuu", "[\"009\"]").await.unwrap(),
            None
        );
        assert!(lookup(&db, "ho-tich.tra-cuu", "[\"001\"]")
            .await
            .unwrap()
            .is_some());
        let stored = service(&db, "ho-tich.tra-cuu").await.unwrap().unwrap();
        assert_eq!((stored.records, stored.loaded_at), (2, Some(8)));
        // A new load replaces the dataset.
        load_records(&db, "ho-tich.tra-cuu", &records[1..], &[5; 32], 10)
            .await
            .unwrap();
        assert_eq!(
            lookup(&db, "ho-tich.tra-cuu", "[\"001\"]").await.unwrap(),
            None
        );
        assert!(matches!(
            load_records(&db, "khong-co", &records, &[5; 32], 10).await,
            Err(StoreError::NotFound { .. })
        ));
    });

    conformance!(grants_are_per_agency_and_revocable, |db: Db| async move {
        publish(&db, &new_service("ho-tich.tra-cuu"), 5)
            .await
            .unwrap();
        let code = "ho-tich.tra-cuu";
        assert!(!is_granted(&db, code, "000.00.00.G01").await.unwrap());
        assert!(grant(&db, code, "000.00.00.G01", "cli:root", 10)
            .await
            .unwrap());
        assert!(!grant(&db, code, "000.00.00.G01", "cli:root", 11)
            .await
            .unwrap());
        assert!(is_granted(&db, code, "000.00.00.G01").await.unwrap());
        assert!(!is_granted(&db, code, "000.00.02.H27").await.unwrap());
        assert!(revoke(&db, code, "000.00.00.G01", "cli:root", 12)
            .await
            .unwrap());
        assert!(!revoke(&db, code, "000.00.00.G01", "cli:root", 13)
            .await
            .unwrap());
        assert!(!revoke(&db, code, "000.00.02.H27", "cli:root", 13)
            .await
            .unwrap());
        assert!(!is_granted(&db, code, "000.00.00.G01").await.unwrap());
        let listed = grants(&db).await.unwrap();
        assert_eq!(listed.len(), 1);
        assert_eq!(listed[0].revoked_at, Some(12));
        assert!(!listed[0].is_active());
        assert!(grant(&db, code, "000.00.00.G01", "cli:root", 14)
            .await
            .unwrap());
        assert!(is_granted(&db, code, "000.00.00.G01").await.unwrap());
        assert!(grants(&db).await.unwrap()[0].is_active());
        assert!(matches!(
            grant(&db, "khong-co", "000.00.00.G01", "cli:root", 15).await,
            Err(StoreError::NotFound { .. })
        ));
    });

    conformance!(
        calls_are_logged_once_per_side_and_request,
        |db: Db| async move {
            let mut answered = new_call(Side::Provider, "r1", "ok");
            answered.response = Some(b"response".to_vec());
            answered.response_signature = Some(b"sig".to_vec());
            answered.response_sha256 = Some([2; 32]);
            answered.ledger_seq = Some(4);
            let Logged::New(seq) = log_call(&db, &answered).await.unwrap() else {
                panic!("first log is new");
            };
            // The same request again: the first row, with the first response.
            let mut retry = answered.clone();
            retry.response = Some(b"other".to_vec());
            retry.request_sha256 = [9; 32];
            match log_call(&db, &retry).await.unwrap() {
                Logged::Duplicate(row) => {
                    assert_eq!(row.seq, seq);
                    assert_eq!(row.response.as_deref(), Some(&b"response"[..]));
                    assert_eq!(row.request_sha256, vec![1; 32]);
                }
                Logged::New(_) => panic!("a repeated request id was logged twice"),
            }
            // The same id from another caller, and on the caller side, are new.
            let mut other_caller = answered.clone();
            other_caller.caller_org = "000.00.02.H27".into();
            assert!(matches!(
                log_call(&db, &other_caller).await.unwrap(),
                Logged::New(_)
            ));
            let Logged::New(caller_seq) = log_call(&db, &new_call(Side::Caller, "r1", "pending"))
                .await
                .unwrap()
            else {
                panic!("caller side is a row of its own");
            };
            let outcome = CallOutcome {
                outcome: "not_granted".into(),
                detail: "no grant".into(),
                response_sha256: Some([3; 32]),
                answered_at: Some(20),
                response: Some(b"r".to_vec()),
                response_signature: Some(b"s".to_vec()),
            };
            complete_call(&db, caller_seq, &outcome).await.unwrap();
            assert!(matches!(
                complete_call(&db, 9_999, &outcome).await,
                Err(StoreError::NotFound { .. })
            ));
            set_call_ledger_seq(&db, caller_seq, 42).await.unwrap();
            let row = call(&db, Side::Caller, "000.00.00.G01", "r1")
                .await
                .unwrap()
                .unwrap();
            assert_eq!(
                (row.outcome.as_str(), row.answered_at, row.ledger_seq),
                ("not_granted", Some(20), Some(42))
            );
            assert_eq!(
                call(&db, Side::Caller, "000.00.00.G01", "r2")
                    .await
                    .unwrap(),
                None
            );
            let page = calls_page(&db, 0, 10).await.unwrap();
            assert_eq!(page.len(), 3);
            assert_eq!(calls_page(&db, page[1].seq, 10).await.unwrap().len(), 1);
            let json = serde_json::to_value(&page[0]).unwrap();
            assert_eq!(json["request_sha256"], hex::encode([1u8; 32]));
            assert!(json.get("response").is_none());
        }
    );
}

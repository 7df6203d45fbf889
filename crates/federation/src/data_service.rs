//! Data services between agencies (Decree 64 Art. 7: do not collect again
//! what another agency holds).
//!
//! A provider publishes a service: a code, a Vietnamese name and
//! description, and its input and output declared as JSON Schema (draft
//! 2020-12, checked when published; formats are asserted, and the formats
//! `cccd`, `organ-code`, `vn-mobile` and `tax-code` are checked with
//! `congso-vn`). The backend is declarative: a dataset the operator loads
//! (JSON lines), each record looked up by the values of the declared key
//! fields. The service (code, name, description, schemas) is announced to
//! the coordinator, which lists it in the signed directory.
//!
//! A call is a [`ServiceRequest`] in canonical JSON, signed by the calling
//! node (ECDSA P-256, domain `congso-service-request/v1`) and sent over the
//! mutual-TLS transport; the provider answers with a [`ServiceResponse`]
//! signed in the domain `congso-service-response/v1`, naming the request's
//! SHA-256 and either the result or a refusal (`not_granted`,
//! `invalid_input` with JSON paths, `unknown_service`, `service_down`).
//! Both sides log every call (`data_service_calls`) and append a ledger
//! entry holding only hashes and codes: the input, the purpose, the user
//! and the result stay in the log table. A provider answers a request id it
//! has already answered for the same caller with the stored response.

use std::collections::BTreeSet;
use std::sync::{Arc, Weak};

use base64::engine::general_purpose::STANDARD;
use base64::Engine;
use congso_core::audit::{Actor, AuditAction};
use congso_store::data_services::{self as store, CallOutcome, Logged, NewCall, Side};
use congso_store::ledger::{Ledger, NewEntry};
use congso_store::Db;
use futures::future::BoxFuture;
use serde::{Deserialize, Serialize};
use serde_json::Value;
use sha2::{Digest, Sha256};

use crate::directory::PublishedService;
use crate::envelope::{check_clock, check_message_id, check_organ_code, shorten, Domain};
use crate::error::{FederationError, Result};
use crate::inbox::{InboundMessage, InboxHandler};
use crate::service::Inner;

/// The largest schema accepted, in bytes of canonical JSON.
pub const MAX_SCHEMA_BYTES: usize = 64 * 1024;
/// The largest input a provider accepts, in bytes of canonical JSON.
pub const MAX_INPUT_BYTES: usize = 16 * 1024;
/// The largest record (and so result), in bytes of canonical JSON.
pub const MAX_RECORD_BYTES: usize = 256 * 1024;
/// The largest signed request read from the wire.
pub const MAX_REQUEST_BYTES: usize = 64 * 1024;
/// The largest signed response read from the wire.
pub const MAX_RESPONSE_BYTES: usize = MAX_RECORD_BYTES + 64 * 1024;
/// Deepest nesting of input and records (objects and arrays).
pub const MAX_DEPTH: usize = 16;
/// Longest purpose, in characters.
pub const MAX_PURPOSE_CHARS: usize = 500;
/// Most key fields of a service.
pub const MAX_KEY_FIELDS: usize = 8;
/// The message kind members announce their services to the coordinator with.
pub const ANNOUNCE_KIND: &str = "federation.services";

// --------------------------------------------------------------- identifiers

/// Checks a service code: 3-100 characters, dot-separated segments of
/// `a-z 0-9 -`, each starting with a letter (`ho-tich.tra-cuu-cu-tru`).
pub fn check_service_code(code: &str) -> Result<()> {
    let ok = (3..=100).contains(&code.len())
        && code.split('.').all(|segment| {
            segment.starts_with(|c: char| c.is_ascii_lowercase())
                && !segment.ends_with('-')
                && segment
                    .bytes()
                    .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-')
        });
    if ok {
        Ok(())
    } else {
        Err(FederationError::invalid(
            "service code",
            format!(
                "{:?} must be 3-100 characters: segments of a-z, 0-9 and '-' separated by '.', each starting with a letter",
                shorten(code)
            ),
        ))
    }
}

/// Checks one line of text for people: 1 to `max` characters, no control
/// characters, no surrounding white space.
fn check_text(what: &'static str, text: &str, max: usize, allow_empty: bool) -> Result<()> {
    let count = text.chars().count();
    if (!allow_empty && count == 0) || count > max {
        return Err(FederationError::invalid(
            what,
            format!(
                "must be {} to {max} characters, got {count}",
                usize::from(!allow_empty)
            ),
        ));
    }
    if text.chars().any(char::is_control) {
        return Err(FederationError::invalid(
            what,
            "must not contain control characters (line breaks, tabs)",
        ));
    }
    if text.trim() != text {
        return Err(FederationError::invalid(
            what,
            "must not start or end with white space",
        ));
    }
    Ok(())
}

/// Checks the purpose a caller gives for a call (required, bounded).
pub fn check_purpose(purpose: &str) -> Result<()> {
    check_text("purpose", purpose, MAX_PURPOSE_CHARS, false)
}

// -------------------------------------------------------------------- schemas

/// One reason a value does not match its schema: where (a JSON pointer,
/// `""` for the whole value) and what.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FieldError {
    pub path: String,
    pub message: String,
}

impl FieldError {
    fn new(path: impl Into<String>, message: impl Into<String>) -> Self {
        FieldError {
            path: path.into(),
            message: message.into(),
        }
    }
}

impl std::fmt::Display for FieldError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let path = if self.path.is_empty() {
            "/"
        } else {
            &self.path
        };
        write!(f, "{path}: {}", self.message)
    }
}

/// At most this many errors are reported for one value.
const MAX_FIELD_ERRORS: usize = 20;

fn check_format(check: fn(&str) -> bool) -> impl Fn(&str) -> bool + Send + Sync + 'static {
    move |text: &str| check(text)
}

fn is_cccd(text: &str) -> bool {
    congso_vn::id::Cccd::parse(text).is_ok_and(|cccd| cccd.as_str() == text)
}

fn is_organ_code(text: &str) -> bool {
    congso_vn::id::OrganCode::parse(text).is_ok_and(|code| code.as_str() == text)
}

fn is_mobile(text: &str) -> bool {
    congso_vn::id::MobileNumber::parse(text).is_ok()
}

fn is_tax_code(text: &str) -> bool {
    congso_vn::id::TaxCode::parse(text).is_ok_and(|code| code.as_str() == text)
}

/// A compiled JSON Schema (draft 2020-12, formats asserted).
pub struct Schema {
    validator: jsonschema::Validator,
    value: Value,
}

impl std::fmt::Debug for Schema {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Schema")
            .field("value", &self.value)
            .finish()
    }
}

impl Schema {
    /// Compiles a schema; the error says what is wrong with it and where.
    pub fn compile(what: &'static str, value: &Value) -> Result<Schema> {
        let size = serde_json::to_vec(value)
            .map(|bytes| bytes.len())
            .unwrap_or(0);
        if size > MAX_SCHEMA_BYTES {
            return Err(FederationError::invalid(
                what,
                format!("{size} bytes is more than the {MAX_SCHEMA_BYTES} allowed"),
            ));
        }
        if let Some(path) = too_deep(value, MAX_DEPTH * 2) {
            return Err(FederationError::invalid(
                what,
                format!("nested more than {} levels at {path}", MAX_DEPTH * 2),
            ));
        }
        let validator = jsonschema::options()
            .with_draft(jsonschema::Draft::Draft202012)
            .should_validate_formats(true)
            .with_format("cccd", check_format(is_cccd))
            .with_format("organ-code", check_format(is_organ_code))
            .with_format("vn-mobile", check_format(is_mobile))
            .with_format("tax-code", check_format(is_tax_code))
            .build(value)
            .map_err(|error| {
                let at = error.instance_path().to_string();
                let at = if at.is_empty() { "/".to_owned() } else { at };
                FederationError::invalid(what, format!("not a valid JSON Schema at {at}: {error}"))
            })?;
        Ok(Schema {
            validator,
            value: value.clone(),
        })
    }

    /// The schema as published.
    pub fn value(&self) -> &Value {
        &self.value
    }

    /// Every reason `instance` does not match (at most 20); empty if it does.
    pub fn errors(&self, instance: &Value) -> Vec<FieldError> {
        self.validator
            .iter_errors(instance)
            .take(MAX_FIELD_ERRORS)
            .map(|error| FieldError::new(error.instance_path().to_string(), error.to_string()))
            .collect()
    }
}

/// The JSON pointer of the first place `value` nests deeper than `max`.
fn too_deep(value: &Value, max: usize) -> Option<String> {
    fn walk(value: &Value, depth: usize, max: usize, path: &mut String) -> bool {
        let children: Box<dyn Iterator<Item = (String, &Value)> + '_> = match value {
            Value::Object(map) => Box::new(
                map.iter()
                    .map(|(key, value)| (key.replace('~', "~0").replace('/', "~1"), value)),
            ),
            Value::Array(items) => Box::new(
                items
                    .iter()
                    .enumerate()
                    .map(|(index, value)| (index.to_string(), value)),
            ),
            _ => return false,
        };
        if depth > max {
            return true;
        }
        for (segment, child) in children {
            let before = path.len();
            path.push('/');
            path.push_str(&segment);
            if walk(child, depth + 1, max, path) {
                return true;
            }
            path.truncate(before);
        }
        false
    }
    let mut path = String::new();
    walk(value, 1, max, &mut path).then(|| if path.is_empty() { "/".into() } else { path })
}

/// Checks a value given as input or record before its schema sees it:
/// an object, not too large, not too deep.
fn check_shape(value: &Value, max_bytes: usize) -> Vec<FieldError> {
    if !value.is_object() {
        return vec![FieldError::new(
            "",
            format!("must be a JSON object, not {}", json_type(value)),
        )];
    }
    let size = serde_json::to_vec(value)
        .map(|bytes| bytes.len())
        .unwrap_or(0);
    if size > max_bytes {
        return vec![FieldError::new(
            "",
            format!("{size} bytes is more than the {max_bytes} allowed"),
        )];
    }
    if let Some(path) = too_deep(value, MAX_DEPTH) {
        return vec![FieldError::new(
            path,
            format!("nested more than {MAX_DEPTH} levels"),
        )];
    }
    Vec::new()
}

fn json_type(value: &Value) -> &'static str {
    match value {
        Value::Null => "null",
        Value::Bool(_) => "a boolean",
        Value::Number(_) => "a number",
        Value::String(_) => "a string",
        Value::Array(_) => "an array",
        Value::Object(_) => "an object",
    }
}

// ---------------------------------------------------------------- definitions

/// What the operator publishes.
#[derive(Debug, Clone, PartialEq)]
pub struct ServiceSpec {
    pub code: String,
    pub name: String,
    pub description: String,
    pub input_schema: Value,
    pub output_schema: Value,
    pub key_fields: Vec<String>,
}

/// A published service with its schemas compiled.
#[derive(Debug)]
pub struct ServiceDefinition {
    pub code: String,
    pub name: String,
    pub description: String,
    pub input: Schema,
    pub output: Schema,
    pub key_fields: Vec<String>,
}

impl ServiceDefinition {
    /// Checks everything about a service before it is stored: its code,
    /// texts and schemas, and that each key field is a required string or
    /// integer property of the input and a required property of the output.
    pub fn check(spec: &ServiceSpec) -> Result<ServiceDefinition> {
        check_service_code(&spec.code)?;
        check_text("service name", &spec.name, 200, false)?;
        if spec.description.chars().count() > 2000 {
            return Err(FederationError::invalid(
                "service description",
                "must be at most 2000 characters",
            ));
        }
        let input = Schema::compile("input schema", &spec.input_schema)?;
        let output = Schema::compile("output schema", &spec.output_schema)?;
        if spec.key_fields.is_empty() || spec.key_fields.len() > MAX_KEY_FIELDS {
            return Err(FederationError::invalid(
                "key fields",
                format!("give 1 to {MAX_KEY_FIELDS} key fields (--key)"),
            ));
        }
        let distinct: BTreeSet<&String> = spec.key_fields.iter().collect();
        if distinct.len() != spec.key_fields.len() {
            return Err(FederationError::invalid(
                "key fields",
                "a key field is listed twice",
            ));
        }
        for (what, schema) in [
            ("input schema", &spec.input_schema),
            ("output schema", &spec.output_schema),
        ] {
            if schema.get("type").and_then(Value::as_str) != Some("object") {
                return Err(FederationError::invalid(
                    what,
                    "must declare \"type\": \"object\"",
                ));
            }
            let required: Vec<&str> = schema
                .get("required")
                .and_then(Value::as_array)
                .map(|fields| fields.iter().filter_map(Value::as_str).collect())
                .unwrap_or_default();
            for field in &spec.key_fields {
                if !required.contains(&field.as_str()) {
                    return Err(FederationError::invalid(
                        what,
                        format!("the key field {field:?} must be listed in \"required\""),
                    ));
                }
            }
        }
        for field in &spec.key_fields {
            let declared = spec
                .input_schema
                .get("properties")
                .and_then(|properties| properties.get(field))
                .and_then(|property| property.get("type"))
                .and_then(Value::as_str);
            if !matches!(declared, Some("string" | "integer")) {
                return Err(FederationError::invalid(
                    "input schema",
                    format!("the key field {field:?} must be a property of \"type\" \"string\" or \"integer\""),
                ));
            }
        }
        Ok(ServiceDefinition {
            code: spec.code.clone(),
            name: spec.name.clone(),
            description: spec.description.clone(),
            input,
            output,
            key_fields: spec.key_fields.clone(),
        })
    }

    /// Rebuilds the definition of a stored service.
    pub fn from_row(row: &store::ServiceRow) -> Result<ServiceDefinition> {
        let parse = |what: &'static str, text: &str| -> Result<Value> {
            serde_json::from_str(text)
                .map_err(|error| FederationError::invalid(what, format!("stored value: {error}")))
        };
        let key_fields: Vec<String> = serde_json::from_str(&row.key_fields)
            .map_err(|error| FederationError::invalid("key fields", error.to_string()))?;
        ServiceDefinition::check(&ServiceSpec {
            code: row.code.clone(),
            name: row.name.clone(),
            description: row.description.clone(),
            input_schema: parse("input schema", &row.input_schema)?,
            output_schema: parse("output schema", &row.output_schema)?,
            key_fields,
        })
    }

    /// Checks an input and gives the lookup key it names, or every reason
    /// it is refused.
    pub fn check_input(&self, input: &Value) -> std::result::Result<String, Vec<FieldError>> {
        let shape = check_shape(input, MAX_INPUT_BYTES);
        if !shape.is_empty() {
            return Err(shape);
        }
        let errors = self.input.errors(input);
        if !errors.is_empty() {
            return Err(errors);
        }
        self.key_of(input)
    }

    /// The lookup key of an input or a record: the canonical JSON array of
    /// its key fields' values.
    fn key_of(&self, value: &Value) -> std::result::Result<String, Vec<FieldError>> {
        let mut values = Vec::with_capacity(self.key_fields.len());
        for field in &self.key_fields {
            match value.get(field) {
                Some(found @ (Value::String(_) | Value::Number(_))) => values.push(found.clone()),
                _ => {
                    return Err(vec![FieldError::new(
                        format!("/{field}"),
                        "the key field is missing or not a string or number",
                    )])
                }
            }
        }
        Ok(Value::Array(values).to_string())
    }

    /// Reads a dataset (one JSON object per line; blank lines skipped):
    /// every record must match the output schema and carry key fields that
    /// are valid input, and no two records may share a key. Returns the
    /// (key, canonical record) pairs, or the problems found with their line
    /// numbers (at most 50), so a bad file loads nothing.
    pub fn parse_dataset(
        &self,
        text: &str,
    ) -> std::result::Result<Vec<(String, String)>, Vec<String>> {
        let mut records = Vec::new();
        let mut problems = Vec::new();
        let mut keys = std::collections::HashMap::new();
        for (index, line) in text.lines().enumerate() {
            if problems.len() >= 50 {
                problems.push("… (stopped after 50 problems)".into());
                break;
            }
            let number = index + 1;
            if line.trim().is_empty() {
                continue;
            }
            let record: Value = match serde_json::from_str(line) {
                Ok(record) => record,
                Err(error) => {
                    problems.push(format!("line {number}: not JSON: {error}"));
                    continue;
                }
            };
            let mut errors = check_shape(&record, MAX_RECORD_BYTES);
            if errors.is_empty() {
                errors = self.output.errors(&record);
            }
            if errors.is_empty() {
                let input: serde_json::Map<String, Value> = self
                    .key_fields
                    .iter()
                    .filter_map(|field| Some((field.clone(), record.get(field)?.clone())))
                    .collect();
                let input = Value::Object(input);
                let mut key_errors: Vec<FieldError> = self
                    .input
                    .errors(&input)
                    .into_iter()
                    .filter(|error| {
                        self.key_fields
                            .iter()
                            .any(|field| error.path == format!("/{field}"))
                    })
                    .collect();
                if key_errors.is_empty() {
                    match self.key_of(&record) {
                        Ok(key) => {
                            if let Some(first) = keys.insert(key.clone(), number) {
                                problems
                                    .push(format!("line {number}: the same key as line {first}"));
                            }
                            records.push((key, record.to_string()));
                        }
                        Err(mut missing) => key_errors.append(&mut missing),
                    }
                }
                errors = key_errors;
            }
            for error in errors {
                problems.push(format!("line {number}: {error}"));
            }
        }
        if problems.is_empty() {
            Ok(records)
        } else {
            Err(problems)
        }
    }

    /// What the directory lists about the service.
    pub fn published(&self) -> PublishedService {
        PublishedService {
            code: self.code.clone(),
            name: self.name.clone(),
            description: self.description.clone(),
            input_schema: self.input.value().clone(),
            output_schema: self.output.value().clone(),
        }
    }
}

// ------------------------------------------------------------------- the wire

/// What a calling node signs about a call.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ServiceRequest {
    /// Format version, 1.
    pub v: u8,
    /// 32 lower-case hex digits, chosen by the caller; the provider answers
    /// a repeated id from the same caller with its first response.
    pub request_id: String,
    /// The calling agency's organ code.
    pub from: String,
    /// The providing agency's organ code.
    pub to: String,
    pub service: String,
    /// Why the data is needed, as the calling user gave it.
    pub purpose: String,
    /// The calling user's id and name in the calling node.
    pub user_id: String,
    pub user_name: String,
    /// When the request was signed (µs, caller's clock).
    pub sent: i64,
    pub input: Value,
}

/// How a call ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Outcome {
    /// Answered: `result` holds the record, or `null` when none matches.
    Ok,
    /// The caller's agency holds no grant for the service.
    NotGranted,
    /// The input does not match the declared input (`errors` says where).
    InvalidInput,
    /// The provider publishes no such service.
    UnknownService,
    /// The backend failed or the provider could not be reached (the
    /// caller side reports the latter).
    ServiceDown,
}

impl Outcome {
    pub fn code(self) -> &'static str {
        match self {
            Outcome::Ok => "ok",
            Outcome::NotGranted => "not_granted",
            Outcome::InvalidInput => "invalid_input",
            Outcome::UnknownService => "unknown_service",
            Outcome::ServiceDown => "service_down",
        }
    }
}

/// What the provider signs in answer.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ServiceResponse {
    /// Format version, 1.
    pub v: u8,
    pub request_id: String,
    /// Lower-case hex SHA-256 of the signed request bytes answered.
    pub request_sha256: String,
    /// The provider's organ code (the signer).
    pub from: String,
    /// The caller's organ code.
    pub to: String,
    pub service: String,
    pub outcome: Outcome,
    /// Why the input was refused (empty otherwise).
    pub errors: Vec<FieldError>,
    /// A sentence for people about the outcome.
    pub message: String,
    /// The record found (`ok` only; `null` when none matches).
    pub result: Option<Value>,
    /// When the provider answered (µs, provider's clock).
    pub answered_at: i64,
    /// The provider's ledger origin and the entry recording the call.
    pub ledger_origin: String,
    pub ledger_index: u64,
}

fn encode<T: Serialize>(value: &T) -> Vec<u8> {
    serde_json::to_vec(value).unwrap_or_default()
}

fn decode<T: Serialize + for<'de> Deserialize<'de>>(
    what: &'static str,
    bytes: &[u8],
    max: usize,
) -> Result<T> {
    if bytes.len() > max {
        return Err(FederationError::invalid(
            what,
            format!("{} bytes is more than the {max} allowed", bytes.len()),
        ));
    }
    let value: T = serde_json::from_slice(bytes)
        .map_err(|error| FederationError::invalid(what, format!("not valid JSON: {error}")))?;
    if encode(&value) != bytes {
        return Err(FederationError::invalid(
            what,
            "not in canonical form (compact JSON, fields in order)",
        ));
    }
    Ok(value)
}

impl ServiceRequest {
    pub fn encode(&self) -> Vec<u8> {
        encode(self)
    }

    /// Parses and checks signed bytes (format only).
    pub fn decode(bytes: &[u8]) -> Result<ServiceRequest> {
        let request: ServiceRequest = decode("service request", bytes, MAX_REQUEST_BYTES)?;
        if request.v != 1 {
            return Err(FederationError::invalid(
                "service request",
                format!("version {} is not supported", request.v),
            ));
        }
        check_message_id(&request.request_id)?;
        check_organ_code(&request.from)?;
        check_organ_code(&request.to)?;
        check_service_code(&request.service)?;
        check_purpose(&request.purpose)?;
        check_text("user id", &request.user_id, 100, false)?;
        check_text("user name", &request.user_name, 200, false)?;
        if request.sent <= 0 {
            return Err(FederationError::invalid(
                "service request",
                "sent must be positive",
            ));
        }
        Ok(request)
    }
}

impl ServiceResponse {
    pub fn encode(&self) -> Vec<u8> {
        encode(self)
    }

    /// Parses and checks signed bytes (format only).
    pub fn decode(bytes: &[u8]) -> Result<ServiceResponse> {
        let response: ServiceResponse = decode("service response", bytes, MAX_RESPONSE_BYTES)?;
        if response.v != 1 {
            return Err(FederationError::invalid(
                "service response",
                format!("version {} is not supported", response.v),
            ));
        }
        check_message_id(&response.request_id)?;
        check_organ_code(&response.from)?;
        check_organ_code(&response.to)?;
        Ok(response)
    }
}

/// A signed response on the wire (base64).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ResponseDocument {
    pub response: String,
    pub signature: String,
}

fn sha256_hex(bytes: &[u8]) -> String {
    hex::encode(Sha256::digest(bytes))
}

// ------------------------------------------------------------------ provider

/// What the provider's listener answers: a signed response (perhaps the
/// stored one for a repeated request id).
pub(crate) struct Answer {
    pub response: Vec<u8>,
    pub signature: Vec<u8>,
    pub duplicate: bool,
}

/// Why a request could not be answered with a signed response.
pub(crate) enum Unanswerable {
    /// The request itself is unacceptable (bad signature, malformed,
    /// another recipient, clock): the code and message for the caller.
    Refused { code: &'static str, message: String },
    /// Storage or the ledger failed.
    Internal(FederationError),
}

impl From<FederationError> for Unanswerable {
    fn from(error: FederationError) -> Self {
        Unanswerable::Internal(error)
    }
}

impl From<congso_store::StoreError> for Unanswerable {
    fn from(error: congso_store::StoreError) -> Self {
        Unanswerable::Internal(error.into())
    }
}

/// The provider's side of a call: `caller` is the organ code the mutual-TLS
/// connection proved.
pub(crate) async fn answer(
    inner: &Inner,
    caller: &str,
    source: &str,
    bytes: &[u8],
    signature: &[u8],
) -> std::result::Result<Answer, Unanswerable> {
    let refused = |code: &'static str, message: String| Unanswerable::Refused { code, message };
    let directory = inner.directory();
    let member = directory
        .active_member(caller)
        .map_err(|error| refused("not_a_member", error.to_string()))?;
    member
        .key
        .verify(Domain::ServiceRequest, bytes, signature)
        .map_err(|_| {
            refused(
                "bad_signature",
                "the request signature does not verify with the caller's certified key".into(),
            )
        })?;
    let request = ServiceRequest::decode(bytes)
        .map_err(|error| refused("request_invalid", error.to_string()))?;
    if request.from != caller {
        return Err(refused(
            "sender_mismatch",
            format!(
                "the request says it is from {} but the connection is {caller}'s",
                request.from
            ),
        ));
    }
    if request.to != inner.identity.organ_code {
        return Err(refused(
            "wrong_recipient",
            format!(
                "the request is for {} but this node is {}",
                request.to, inner.identity.organ_code
            ),
        ));
    }
    let now = congso_store::now().micros();
    let skew = i64::try_from(inner.settings.max_clock_skew.as_micros()).unwrap_or(i64::MAX);
    check_clock(request.sent, now, skew).map_err(|message| refused("clock_skew", message))?;

    if let Some(row) = store::call(&inner.db, Side::Provider, caller, &request.request_id).await? {
        if let (Some(response), Some(signature)) = (row.response, row.response_signature) {
            tracing::info!(%caller, request_id = %request.request_id, "repeated data service request; answered with the original response");
            return Ok(Answer {
                response,
                signature,
                duplicate: true,
            });
        }
    }

    let request_sha256: [u8; 32] = Sha256::digest(bytes).into();
    let (outcome, errors, message, result) = evaluate(&inner.db, caller, &request).await;
    let result_sha256 = result
        .as_ref()
        .map(|value| sha256_hex(value.to_string().as_bytes()));
    let entry = NewEntry::new(
        &Actor::System,
        AuditAction::DataServiceAnswered,
        format!("data-service-call:{caller}/{}", request.request_id),
    )
    .source(source)
    .data_hash(&request_sha256)
    .details(serde_json::json!({
        "service": request.service,
        "caller": caller,
        "request_id": request.request_id,
        "outcome": outcome.code(),
        "request_sha256": hex::encode(request_sha256),
        "result_sha256": result_sha256,
    }));
    let recorded = inner.ledger.append(entry).await?;
    let response = ServiceResponse {
        v: 1,
        request_id: request.request_id.clone(),
        request_sha256: hex::encode(request_sha256),
        from: inner.identity.organ_code.clone(),
        to: caller.to_owned(),
        service: request.service.clone(),
        outcome,
        errors,
        message: message.clone(),
        result,
        answered_at: congso_store::now().micros(),
        ledger_origin: inner.ledger.origin().to_owned(),
        ledger_index: recorded.seq,
    };
    let response_bytes = response.encode();
    let response_signature = inner
        .identity
        .node_key
        .sign(Domain::ServiceResponse, &response_bytes)?;
    let logged = store::log_call(
        &inner.db,
        &NewCall {
            side: Side::Provider,
            request_id: request.request_id.clone(),
            service_code: request.service.clone(),
            provider: inner.identity.organ_code.clone(),
            caller_org: caller.to_owned(),
            caller_user_id: request.user_id.clone(),
            caller_user_name: request.user_name.clone(),
            purpose: request.purpose.clone(),
            outcome: outcome.code().to_owned(),
            detail: if outcome == Outcome::Ok {
                String::new()
            } else {
                message
            },
            request_sha256,
            response_sha256: Some(Sha256::digest(&response_bytes).into()),
            requested_at: request.sent,
            answered_at: Some(response.answered_at),
            logged_at: congso_store::now().micros(),
            response: Some(response_bytes.clone()),
            response_signature: Some(response_signature.clone()),
            ledger_seq: i64::try_from(recorded.seq).ok(),
        },
    )
    .await?;
    match logged {
        Logged::New(_) => {
            tracing::info!(%caller, service = %request.service, request_id = %request.request_id, outcome = outcome.code(), "data service call answered");
            Ok(Answer {
                response: response_bytes,
                signature: response_signature,
                duplicate: false,
            })
        }
        Logged::Duplicate(row) => match (row.response, row.response_signature) {
            (Some(response), Some(signature)) => Ok(Answer {
                response,
                signature,
                duplicate: true,
            }),
            _ => Err(Unanswerable::Internal(FederationError::invalid(
                "data service log",
                "a logged call has no stored response",
            ))),
        },
    }
}

/// Decides a call: grant, service, input, lookup, output. Backend errors
/// become `service_down` (and are logged here, not sent).
async fn evaluate(
    db: &Db,
    caller: &str,
    request: &ServiceRequest,
) -> (Outcome, Vec<FieldError>, String, Option<Value>) {
    let down = |error: &dyn std::fmt::Display| {
        tracing::error!(service = %request.service, %error, "data service backend failed");
        (
            Outcome::ServiceDown,
            Vec::new(),
            "the service's backend failed; try again later".to_owned(),
            None,
        )
    };
    let row = match store::service(db, &request.service).await {
        Ok(Some(row)) if row.status == "active" => row,
        Ok(_) => {
            return (
                Outcome::UnknownService,
                Vec::new(),
                format!("this agency publishes no service {}", request.service),
                None,
            )
        }
        Err(error) => return down(&error),
    };
    match store::is_granted(db, &request.service, caller).await {
        Ok(true) => {}
        Ok(false) => {
            return (
                Outcome::NotGranted,
                Vec::new(),
                format!(
                    "{caller} holds no grant for {}; ask the providing agency",
                    request.service
                ),
                None,
            )
        }
        Err(error) => return down(&error),
    }
    let definition = match ServiceDefinition::from_row(&row) {
        Ok(definition) => definition,
        Err(error) => return down(&error),
    };
    let key = match definition.check_input(&request.input) {
        Ok(key) => key,
        Err(errors) => {
            let paths: Vec<String> = errors
                .iter()
                .map(|error| {
                    if error.path.is_empty() {
                        "/".to_owned()
                    } else {
                        error.path.clone()
                    }
                })
                .collect();
            return (
                Outcome::InvalidInput,
                errors,
                format!(
                    "the input does not match the service's input schema at {}",
                    paths.join(", ")
                ),
                None,
            );
        }
    };
    let record = match store::lookup(db, &request.service, &key).await {
        Ok(record) => record,
        Err(error) => return down(&error),
    };
    let Some(record) = record else {
        return (
            Outcome::Ok,
            Vec::new(),
            "no record matches".to_owned(),
            None,
        );
    };
    let record: Value = match serde_json::from_str(&record) {
        Ok(record) => record,
        Err(error) => return down(&error),
    };
    let output_errors = definition.output.errors(&record);
    if let Some(first) = output_errors.first() {
        return down(&format!(
            "a stored record does not match the output schema: {first}"
        ));
    }
    (Outcome::Ok, Vec::new(), "found".to_owned(), Some(record))
}

// -------------------------------------------------------------------- caller

/// A call a user of this node makes.
#[derive(Debug, Clone)]
pub struct CallRequest {
    /// The providing agency's organ code.
    pub provider: String,
    pub service: String,
    pub input: Value,
    pub purpose: String,
    pub user_id: String,
    pub user_name: String,
    /// Repeat an earlier call under its id (the provider answers with its
    /// first response); a fresh id otherwise.
    pub request_id: Option<String>,
}

/// The outcome of a call, as the caller saw and verified it.
#[derive(Debug, Clone, Serialize)]
pub struct CallAnswer {
    pub request_id: String,
    pub outcome: Outcome,
    /// The provider's verified response; `None` when it could not be
    /// reached or its answer did not verify (`service_down`).
    pub response: Option<ServiceResponse>,
    /// Why the call failed, when the provider did not answer.
    pub detail: String,
    /// The provider said this answers an earlier request with this id.
    pub duplicate: bool,
    /// SHA-256 of the signed request and response.
    pub request_sha256: String,
    pub response_sha256: Option<String>,
    /// Base64 of the signed response and its signature, for proof.
    pub response_bytes: Option<String>,
    pub response_signature: Option<String>,
}

impl crate::Federation {
    /// Calls a data service of another agency and logs the call (before
    /// sending, and with its outcome) and records it in the ledger. The
    /// provider's refusals come back as outcomes; an unreachable provider or
    /// an answer that does not verify is `service_down`. `Err` means the
    /// call was not made (bad arguments, unknown agency, storage failure).
    pub async fn call_service(&self, call: &CallRequest, actor: &Actor) -> Result<CallAnswer> {
        let inner = &self.inner;
        check_organ_code(&call.provider)?;
        check_service_code(&call.service)?;
        check_purpose(&call.purpose)?;
        check_text("user id", &call.user_id, 100, false)?;
        check_text("user name", &call.user_name, 200, false)?;
        if call.provider == inner.identity.organ_code {
            return Err(FederationError::invalid(
                "provider",
                "this node cannot call its own services through the federation",
            ));
        }
        let directory = inner.directory();
        let member = directory.active_member(&call.provider)?.clone();
        let request_id = match &call.request_id {
            Some(id) => {
                check_message_id(id)?;
                id.clone()
            }
            None => crate::envelope::new_message_id(),
        };
        let request = ServiceRequest {
            v: 1,
            request_id: request_id.clone(),
            from: inner.identity.organ_code.clone(),
            to: call.provider.clone(),
            service: call.service.clone(),
            purpose: call.purpose.clone(),
            user_id: call.user_id.clone(),
            user_name: call.user_name.clone(),
            sent: congso_store::now().micros(),
            input: call.input.clone(),
        };
        let bytes = request.encode();
        if bytes.len() > MAX_REQUEST_BYTES {
            return Err(FederationError::invalid(
                "input",
                format!(
                    "the request would be {} bytes, more than the {MAX_REQUEST_BYTES} a provider reads",
                    bytes.len()
                ),
            ));
        }
        let request_sha256: [u8; 32] = Sha256::digest(&bytes).into();
        let signature = inner
            .identity
            .node_key
            .sign(Domain::ServiceRequest, &bytes)?;
        let logged = store::log_call(
            &inner.db,
            &NewCall {
                side: Side::Caller,
                request_id: request_id.clone(),
                service_code: call.service.clone(),
                provider: call.provider.clone(),
                caller_org: inner.identity.organ_code.clone(),
                caller_user_id: call.user_id.clone(),
                caller_user_name: call.user_name.clone(),
                purpose: call.purpose.clone(),
                outcome: "pending".into(),
                detail: String::new(),
                request_sha256,
                response_sha256: None,
                requested_at: request.sent,
                answered_at: None,
                logged_at: congso_store::now().micros(),
                response: None,
                response_signature: None,
                ledger_seq: None,
            },
        )
        .await?;
        let seq = match logged {
            Logged::New(seq) => seq,
            Logged::Duplicate(row) => row.seq,
        };
        let sent = inner
            .net()
            .client
            .call_service(&member.entry.endpoint, &bytes, &signature)
            .await;
        let verified = match sent {
            Ok((response_bytes, response_signature, duplicate)) => {
                match verify_response(
                    &member.key,
                    &request,
                    &request_sha256,
                    &response_bytes,
                    &response_signature,
                    duplicate,
                ) {
                    Ok(response) => Ok((response, response_bytes, response_signature, duplicate)),
                    Err(error) => Err(format!(
                        "{}: the response was refused: {error}",
                        call.provider
                    )),
                }
            }
            Err(error) => Err(error.message),
        };
        let answer = match verified {
            Ok((response, response_bytes, response_signature, duplicate)) => CallAnswer {
                request_id: request_id.clone(),
                outcome: response.outcome,
                detail: if response.outcome == Outcome::Ok {
                    String::new()
                } else {
                    response.message.clone()
                },
                response: Some(response),
                duplicate,
                request_sha256: hex::encode(request_sha256),
                response_sha256: Some(sha256_hex(&response_bytes)),
                response_bytes: Some(STANDARD.encode(&response_bytes)),
                response_signature: Some(STANDARD.encode(&response_signature)),
            },
            Err(detail) => {
                tracing::warn!(provider = %call.provider, service = %call.service, %request_id, %detail, "data service call failed");
                CallAnswer {
                    request_id: request_id.clone(),
                    outcome: Outcome::ServiceDown,
                    response: None,
                    detail,
                    duplicate: false,
                    request_sha256: hex::encode(request_sha256),
                    response_sha256: None,
                    response_bytes: None,
                    response_signature: None,
                }
            }
        };
        let response_sha256: Option<[u8; 32]> = answer
            .response_sha256
            .as_deref()
            .and_then(|text| hex::decode(text).ok())
            .and_then(|bytes| bytes.try_into().ok());
        store::complete_call(
            &inner.db,
            seq,
            &CallOutcome {
                outcome: answer.outcome.code().to_owned(),
                detail: crate::envelope::shorten(&answer.detail),
                response_sha256,
                answered_at: answer
                    .response
                    .as_ref()
                    .map(|response| response.answered_at),
                response: answer
                    .response_bytes
                    .as_deref()
                    .and_then(|text| STANDARD.decode(text).ok()),
                response_signature: answer
                    .response_signature
                    .as_deref()
                    .and_then(|text| STANDARD.decode(text).ok()),
            },
        )
        .await?;
        let recorded = inner
            .ledger
            .append(
                NewEntry::new(
                    actor,
                    AuditAction::DataServiceCalled,
                    format!("data-service-call:{}/{request_id}", inner.identity.organ_code),
                )
                .source("federation")
                .data_hash(&request_sha256)
                .details(serde_json::json!({
                    "provider": call.provider,
                    "service": call.service,
                    "request_id": request_id,
                    "outcome": answer.outcome.code(),
                    "request_sha256": answer.request_sha256,
                    "response_sha256": answer.response_sha256,
                    "provider_ledger_index": answer.response.as_ref().map(|response| response.ledger_index),
                })),
            )
            .await?;
        if let Ok(ledger_seq) = i64::try_from(recorded.seq) {
            store::set_call_ledger_seq(&inner.db, seq, ledger_seq).await?;
        }
        Ok(answer)
    }
}

/// Checks a provider's answer: its signature with the provider's certified
/// key, its form, and that it answers this request.
pub fn verify_response(
    provider_key: &crate::envelope::PeerKey,
    request: &ServiceRequest,
    request_sha256: &[u8; 32],
    bytes: &[u8],
    signature: &[u8],
    duplicate: bool,
) -> Result<ServiceResponse> {
    provider_key.verify(Domain::ServiceResponse, bytes, signature)?;
    let response = ServiceResponse::decode(bytes)?;
    let same = response.request_id == request.request_id
        && response.from == request.to
        && response.to == request.from
        && response.service == request.service;
    if !same {
        return Err(FederationError::invalid(
            "service response",
            "it answers another request (id, parties or service differ)",
        ));
    }
    // A repeated id is answered with the response to its first request,
    // which was signed over that request's bytes.
    if !duplicate && response.request_sha256 != hex::encode(request_sha256) {
        return Err(FederationError::invalid(
            "service response",
            "it names another request's SHA-256",
        ));
    }
    Ok(response)
}

// --------------------------------------------------------------- publishing

/// What a member announces to the coordinator: its whole service list
/// under a revision that only goes up.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Announcement {
    pub v: u8,
    pub revision: i64,
    pub services: Vec<PublishedService>,
}

/// Checks every service of an announcement as a publisher would.
fn check_published(services: &[PublishedService]) -> Result<()> {
    let mut codes = BTreeSet::new();
    for service in services {
        check_service_code(&service.code)?;
        check_text("service name", &service.name, 200, false)?;
        Schema::compile("input schema", &service.input_schema)?;
        Schema::compile("output schema", &service.output_schema)?;
        if !codes.insert(service.code.as_str()) {
            return Err(FederationError::invalid(
                "announcement",
                format!("the service {} is listed twice", service.code),
            ));
        }
    }
    Ok(())
}

/// What publishing did.
#[derive(Debug, Clone, Serialize)]
pub struct Published {
    pub code: String,
    pub revision: i64,
    /// The directory version listing it (coordinator), or the outbox
    /// message announcing it to the coordinator (member).
    pub directory_version: Option<i64>,
    pub announcement_message: Option<String>,
}

/// Publishes a service of this node: checks and stores it, records it in
/// the ledger, and announces the node's service list to the directory (a
/// coordinator signs a new directory version; a member queues the
/// announcement for the coordinator, which the running node delivers).
pub async fn publish(
    db: &Db,
    sealer: &congso_store::secrets::Sealer,
    blobs: &congso_store::blob::BlobStore,
    ledger: &Ledger,
    spec: &ServiceSpec,
    actor: &Actor,
) -> Result<Published> {
    let identity = crate::identity::NodeIdentity::load(db, sealer)
        .await?
        .ok_or(FederationError::NotFederated)?;
    let definition = ServiceDefinition::check(spec)?;
    let row = store::publish(
        db,
        &store::NewService {
            code: definition.code.clone(),
            name: definition.name.clone(),
            description: definition.description.clone(),
            input_schema: definition.input.value().to_string(),
            output_schema: definition.output.value().to_string(),
            key_fields: Value::from(definition.key_fields.clone()).to_string(),
        },
        congso_store::now().micros(),
    )
    .await?;
    ledger
        .append(
            NewEntry::new(
                actor,
                AuditAction::DataServicePublished,
                format!("data-service:{}", row.code),
            )
            .source("cli")
            .data(row.input_schema.as_bytes())
            .details(serde_json::json!({
                "code": row.code,
                "name": row.name,
                "revision": row.revision,
                "key_fields": definition.key_fields,
                "input_schema_sha256": sha256_hex(row.input_schema.as_bytes()),
                "output_schema_sha256": sha256_hex(row.output_schema.as_bytes()),
            })),
        )
        .await?;
    let (directory_version, announcement_message) =
        announce(db, sealer, blobs, ledger, &identity, actor).await?;
    Ok(Published {
        code: row.code,
        revision: row.revision,
        directory_version,
        announcement_message,
    })
}

/// Announces this node's active services to the directory.
async fn announce(
    db: &Db,
    sealer: &congso_store::secrets::Sealer,
    blobs: &congso_store::blob::BlobStore,
    ledger: &Ledger,
    identity: &crate::identity::NodeIdentity,
    actor: &Actor,
) -> Result<(Option<i64>, Option<String>)> {
    let rows = store::services(db).await?;
    let revision = rows.iter().map(|row| row.revision).max().unwrap_or(0);
    let mut services = Vec::new();
    for row in rows.iter().filter(|row| row.status == "active") {
        services.push(ServiceDefinition::from_row(row)?.published());
    }
    let services_json = serde_json::to_string(&services)
        .map_err(|error| FederationError::invalid("announcement", error.to_string()))?;
    if let Some(authority) = crate::identity::Authority::load(db, sealer).await? {
        let row = authority
            .update(
                db,
                &congso_store::federation::MemberChange::Services {
                    organ_code: identity.organ_code.clone(),
                    services: services_json,
                    revision,
                },
            )
            .await?;
        return Ok((Some(row.version), None));
    }
    let announcement = Announcement {
        v: 1,
        revision,
        services,
    };
    let payload = serde_json::to_vec(&announcement)
        .map_err(|error| FederationError::invalid("announcement", error.to_string()))?;
    let directory = crate::identity::load_directory(db, identity).await?;
    let coordinator = directory.directory().coordinator.clone();
    let message_id = crate::outbox::enqueue(
        &crate::outbox::Queue {
            db,
            blobs,
            ledger,
            writer: None,
            directory: &directory,
            from: &identity.organ_code,
            max_payload_bytes: u64::MAX,
            actor,
        },
        &coordinator,
        ANNOUNCE_KIND,
        std::io::Cursor::new(payload),
    )
    .await?;
    Ok((None, Some(message_id)))
}

/// The coordinator's handler of members' announcements: it lists their
/// services in a new directory version (a stale or repeated announcement
/// changes nothing).
pub(crate) struct AnnouncementHandler {
    pub inner: Weak<Inner>,
}

impl InboxHandler for AnnouncementHandler {
    fn handle<'a>(
        &'a self,
        message: &'a InboundMessage,
    ) -> BoxFuture<'a, std::result::Result<(), String>> {
        Box::pin(async move {
            let Some(inner) = self.inner.upgrade() else {
                return Err("the federation service has stopped".into());
            };
            handle_announcement(&inner, message).await
        })
    }
}

async fn handle_announcement(
    inner: &Arc<Inner>,
    message: &InboundMessage,
) -> std::result::Result<(), String> {
    let Some(authority) = &inner.authority else {
        // Only the coordinator lists services; a stray announcement is dropped.
        tracing::warn!(sender = %message.sender, "service announcement received by a node that is not the coordinator; ignored");
        return Ok(());
    };
    let payload = message
        .bytes(8 * 1024 * 1024)
        .await
        .map_err(|error| error.to_string())?;
    let announcement: Announcement = match serde_json::from_slice(&payload) {
        Ok(announcement) => announcement,
        Err(error) => {
            // A malformed announcement will not get better by retrying.
            tracing::warn!(sender = %message.sender, %error, "malformed service announcement ignored");
            return Ok(());
        }
    };
    if let Err(error) = check_published(&announcement.services) {
        tracing::warn!(sender = %message.sender, %error, "service announcement refused");
        return Ok(());
    }
    let services =
        serde_json::to_string(&announcement.services).map_err(|error| error.to_string())?;
    let change = congso_store::federation::MemberChange::Services {
        organ_code: message.sender.clone(),
        services,
        revision: announcement.revision,
    };
    match authority.update(&inner.db, &change).await {
        Ok(row) => {
            inner
                .ledger
                .append(
                    NewEntry::new(
                        &Actor::System,
                        AuditAction::DataServicesListed,
                        format!("federation-member:{}", message.sender),
                    )
                    .source("federation")
                    .data(&payload)
                    .details(serde_json::json!({
                        "organ_code": message.sender,
                        "revision": announcement.revision,
                        "services": announcement.services.iter().map(|service| service.code.as_str()).collect::<Vec<_>>(),
                        "directory_version": row.version,
                    })),
                )
                .await
                .map_err(|error| error.to_string())?;
            if let Err(error) = inner.refresh_directory().await {
                tracing::error!(%error, "cannot reload the directory after listing services");
            }
            tracing::info!(member = %message.sender, revision = announcement.revision, version = row.version, "member's data services listed in the directory");
            Ok(())
        }
        Err(FederationError::Store(congso_store::StoreError::Conflict(reason))) => {
            tracing::info!(member = %message.sender, %reason, "stale service announcement ignored");
            Ok(())
        }
        Err(FederationError::Store(
            congso_store::StoreError::NotFound { .. } | congso_store::StoreError::Invalid(_),
        )) => {
            tracing::warn!(member = %message.sender, "service announcement from a member that is not active ignored");
            Ok(())
        }
        Err(error) => Err(error.to_string()),
    }
}

// ---------------------------------------------------------------- operator

/// Loads a service's dataset from JSON lines, replacing the previous one;
/// returns the number of records.
pub async fn load_dataset(
    db: &Db,
    ledger: &Ledger,
    code: &str,
    text: &str,
    actor: &Actor,
) -> Result<usize> {
    check_service_code(code)?;
    let row = store::service(db, code).await?.ok_or_else(|| {
        FederationError::invalid("service", format!("this node publishes no service {code}"))
    })?;
    let definition = ServiceDefinition::from_row(&row)?;
    let records = definition.parse_dataset(text).map_err(|problems| {
        FederationError::invalid(
            "dataset",
            format!("nothing was loaded:\n{}", problems.join("\n")),
        )
    })?;
    let dataset_sha256: [u8; 32] = Sha256::digest(text.as_bytes()).into();
    store::load_records(
        db,
        code,
        &records,
        &dataset_sha256,
        congso_store::now().micros(),
    )
    .await?;
    ledger
        .append(
            NewEntry::new(
                actor,
                AuditAction::DataServiceLoaded,
                format!("data-service:{code}"),
            )
            .source("cli")
            .data_hash(&dataset_sha256)
            .details(serde_json::json!({
                "code": code,
                "records": records.len(),
            })),
        )
        .await?;
    Ok(records.len())
}

/// Grants (`true`) or revokes (`false`) an agency's access to a service;
/// returns whether anything changed. Every change is in the ledger.
pub async fn set_grant(
    db: &Db,
    ledger: &Ledger,
    code: &str,
    organ_code: &str,
    granted: bool,
    actor: &Actor,
) -> Result<bool> {
    check_service_code(code)?;
    check_organ_code(organ_code)?;
    let now = congso_store::now().micros();
    let by = actor.to_code();
    let changed = if granted {
        store::grant(db, code, organ_code, &by, now).await?
    } else {
        store::revoke(db, code, organ_code, &by, now).await?
    };
    if changed {
        ledger
            .append(
                NewEntry::new(
                    actor,
                    if granted {
                        AuditAction::DataServiceGranted
                    } else {
                        AuditAction::DataServiceRevoked
                    },
                    format!("data-service:{code}"),
                )
                .source("cli")
                .details(serde_json::json!({
                    "code": code,
                    "organ_code": organ_code,
                })),
            )
            .await?;
    }
    Ok(changed)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn spec() -> ServiceSpec {
        ServiceSpec {
            code: "ho-tich.tra-cuu-cu-tru".into(),
            name: "Tra cứu thông tin cư trú".into(),
            description: "Nơi thường trú theo số định danh cá nhân".into(),
            input_schema: json!({
                "type": "object",
                "properties": {"cccd": {"type": "string", "format": "cccd"}},
                "required": ["cccd"],
                "additionalProperties": false
            }),
            output_schema: json!({
                "type": "object",
                "properties": {
                    "cccd": {"type": "string"},
                    "ho_ten": {"type": "string"},
                    "thuong_tru": {"type": "string"}
                },
                "required": ["cccd", "ho_ten", "thuong_tru"]
            }),
            key_fields: vec!["cccd".into()],
        }
    }

    #[test]
    fn service_codes() {
        for good in ["ho-tich.tra-cuu-cu-tru", "abc", "a1.b2-c"] {
            assert!(check_service_code(good).is_ok(), "{good}");
        }
        for bad in [
            "",
            "ab",
            "Ho-tich",
            "ho_tich",
            ".abc",
            "abc.",
            "abc-",
            "1abc",
            "a..b",
            "tra cứu",
        ] {
            assert!(check_service_code(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn definitions_are_checked_when_published() {
        assert!(ServiceDefinition::check(&spec()).is_ok());
        let check = |change: &dyn Fn(&mut ServiceSpec), needle: &str| {
            let mut bad = spec();
            change(&mut bad);
            let error = ServiceDefinition::check(&bad).unwrap_err().to_string();
            assert!(error.contains(needle), "{error} lacks {needle}");
        };
        check(
            &|s| s.input_schema = json!({"type": "object", "properties": {"cccd": {"type": 5}}, "required": ["cccd"]}),
            "not a valid JSON Schema",
        );
        check(
            &|s| s.input_schema = json!({"type": "array"}),
            "\"type\": \"object\"",
        );
        check(
            &|s| s.key_fields = vec!["ma_so".into()],
            "must be listed in \"required\"",
        );
        check(&|s| s.key_fields = vec![], "key fields");
        check(
            &|s| s.key_fields = vec!["cccd".into(), "cccd".into()],
            "twice",
        );
        check(&|s| s.name = String::new(), "service name");
        check(&|s| s.name = "hai\ndòng".into(), "control");
        check(&|s| s.code = "Sai".into(), "service code");
        check(
            &|s| s.input_schema = json!({"type": "object", "properties": {"cccd": {"type": "object"}}, "required": ["cccd"]}),
            "\"string\" or \"integer\"",
        );
        check(
            &|s| s.input_schema = json!({"type": "object", "properties": {"cccd": {"$ref": "https://example.com/x.json"}}, "required": ["cccd"]}),
            "JSON Schema",
        );
        let mut deep = json!({"type": "string"});
        for _ in 0..40 {
            deep = json!({"type": "object", "properties": {"a": deep}});
        }
        check(&move |s| s.output_schema = deep.clone(), "nested");
    }

    #[test]
    fn inputs_are_checked_with_paths() {
        let definition = ServiceDefinition::check(&spec()).unwrap();
        assert_eq!(
            definition
                .check_input(&json!({"cccd": "001099012345"}))
                .unwrap(),
            "[\"001099012345\"]"
        );
        let paths = |input: Value| -> Vec<String> {
            definition
                .check_input(&input)
                .unwrap_err()
                .into_iter()
                .map(|error| error.path)
                .collect()
        };
        assert_eq!(paths(json!({"cccd": "12345"})), vec!["/cccd"]);
        // 999 is no province code.
        assert_eq!(paths(json!({"cccd": "999099012345"})), vec!["/cccd"]);
        assert_eq!(paths(json!({"cccd": 1})), vec!["/cccd"]);
        assert_eq!(paths(json!({})), vec![""]);
        assert_eq!(paths(json!({"cccd": "001099012345", "x": 1})), vec![""]);
        assert_eq!(paths(json!(["001099012345"])), vec![""]);
        assert_eq!(paths(json!("001099012345")), vec![""]);
        assert_eq!(paths(json!(null)), vec![""]);
        let big = json!({"cccd": "x".repeat(MAX_INPUT_BYTES)});
        let error = definition.check_input(&big).unwrap_err();
        assert!(error[0].message.contains("more than"), "{error:?}");
        let mut deep = json!(1);
        for _ in 0..30 {
            deep = json!({"a": deep});
        }
        let error = definition.check_input(&deep).unwrap_err();
        assert!(error[0].message.contains("nested"), "{error:?}");
        assert!(error[0].path.starts_with("/a/a/a"), "{error:?}");
    }

    #[test]
    fn datasets_load_whole_or_not_at_all() {
        let definition = ServiceDefinition::check(&spec()).unwrap();
        let good = "{\"cccd\":\"001099012345\",\"ho_ten\":\"Nguyễn Văn An\",\"thuong_tru\":\"Hà Nội\"}\n\n{\"thuong_tru\":\"Lào Cai\",\"cccd\":\"010199000001\",\"ho_ten\":\"Lò Thị Bình\"}\n";
        let records = definition.parse_dataset(good).unwrap();
        assert_eq!(records.len(), 2);
        assert_eq!(records[1].0, "[\"010199000001\"]");
        let reparsed: Value = serde_json::from_str(&records[1].1).unwrap();
        assert_eq!(reparsed["ho_ten"], "Lò Thị Bình");
        let bad = format!(
            "{}\nnot json\n{{\"cccd\":\"12\",\"ho_ten\":\"A\",\"thuong_tru\":\"B\"}}\n{{\"cccd\":\"001099012345\",\"ho_ten\":\"A\",\"thuong_tru\":\"B\"}}\n{{\"cccd\":\"001099012346\"}}\n[1]",
            good.lines().next().unwrap()
        );
        let problems = definition.parse_dataset(&bad).unwrap_err();
        let text = problems.join("\n");
        assert!(text.contains("line 2: not JSON"), "{text}");
        assert!(text.contains("line 3: /cccd"), "{text}");
        assert!(text.contains("line 4: the same key as line 1"), "{text}");
        assert!(text.contains("line 5: /:"), "{text}");
        assert!(text.contains("line 6: /: must be a JSON object"), "{text}");
    }

    #[test]
    fn requests_and_responses_are_canonical() {
        let request = ServiceRequest {
            v: 1,
            request_id: "0123456789abcdef0123456789abcdef".into(),
            from: "000.00.00.G01".into(),
            to: "000.00.01.H26".into(),
            service: "ho-tich.tra-cuu-cu-tru".into(),
            purpose: "Giải quyết hồ sơ đăng ký khai sinh".into(),
            user_id: "7".into(),
            user_name: "Nguyễn Thị Lan".into(),
            sent: 1_700_000_000_000_000,
            input: json!({"cccd": "001099012345", "b": [1, 2.5, null]}),
        };
        let bytes = request.encode();
        assert_eq!(ServiceRequest::decode(&bytes).unwrap(), request);
        let text = String::from_utf8(bytes).unwrap();
        let refused = |text: String, needle: &str| {
            let error = ServiceRequest::decode(text.as_bytes())
                .unwrap_err()
                .to_string();
            assert!(error.contains(needle), "{error} lacks {needle}");
        };
        refused(text.replace(",\"", ", \""), "canonical");
        refused(
            text.replace("Giải quyết hồ sơ đăng ký khai sinh", ""),
            "purpose",
        );
        refused(text.replace("Giải quyết", "Giải\\nquyết"), "control");
        refused(text.replace("}}", "},\"x\":1}"), "unknown field");
        refused(text.replace("\"v\":1", "\"v\":2"), "version");
        refused(
            text.replace(
                "Giải quyết hồ sơ đăng ký khai sinh",
                &"x".repeat(MAX_PURPOSE_CHARS + 1),
            ),
            "purpose",
        );
        refused(" ".repeat(MAX_REQUEST_BYTES + 1), "more than");
        let response = ServiceResponse {
            v: 1,
            request_id: request.request_id.clone(),
            request_sha256: hex::encode([1u8; 32]),
            from: request.to.clone(),
            to: request.from.clone(),
            service: request.service.clone(),
            outcome: Outcome::InvalidInput,
            errors: vec![FieldError::new("/cccd", "bad")],
            message: "no".into(),
            result: None,
            answered_at: 5,
            ledger_origin: "origin".into(),
            ledger_index: 9,
        };
        let bytes = response.encode();
        assert!(String::from_utf8_lossy(&bytes).contains("\"outcome\":\"invalid_input\""));
        assert_eq!(ServiceResponse::decode(&bytes).unwrap(), response);
    }
}

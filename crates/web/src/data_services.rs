//! Data services of other agencies (Decree 64 Art. 7: look up what another
//! agency already holds instead of asking the citizen again), as the staff
//! screen and the API see them.
//!
//! The web layer does not talk to the federation: the node attaches a
//! [`DataServiceGateway`] (`congso`'s `data_service_cmd::Gateway`, over the
//! node's `Federation`) with `AppState::set_data_services`. Both sides log
//! every call (`data_service_calls`) and write it to their ledgers; this
//! module only shapes what staff see.

use std::future::Future;
use std::pin::Pin;

use serde::Serialize;
use serde_json::Value;

/// A boxed future (the gateway trait is object safe).
pub type BoxFuture<'a, T> = Pin<Box<dyn Future<Output = T> + Send + 'a>>;

/// How the node reaches other agencies' data services.
pub trait DataServiceGateway: Send + Sync + 'static {
    /// The services other agencies publish in the federation directory in
    /// force (whether this agency is granted one is the provider's call:
    /// a refusal comes back as `not_granted`).
    fn services(&self) -> Vec<OfferedService>;

    /// Makes one call as `username` (a staff account of this node); the
    /// call is logged and ledgered on both sides. `Err` means no call was
    /// made (bad arguments, unknown agency, storage failure).
    fn call<'a>(
        &'a self,
        call: ServiceCall,
        username: &'a str,
    ) -> BoxFuture<'a, Result<CallResult, String>>;
}

/// A service another agency offers.
#[derive(Debug, Clone, Serialize)]
pub struct OfferedService {
    pub provider: String,
    pub provider_name: String,
    pub code: String,
    pub name: String,
    pub description: String,
    /// JSON Schema (draft 2020-12) of the input and the output.
    pub input_schema: Value,
    pub output_schema: Value,
}

/// One call a staff member makes.
#[derive(Debug, Clone)]
pub struct ServiceCall {
    pub provider: String,
    pub service: String,
    pub input: Value,
    pub purpose: String,
    pub user_id: String,
    pub user_name: String,
}

/// What came back, as verified by this node.
#[derive(Debug, Clone, Serialize)]
pub struct CallResult {
    pub request_id: String,
    /// `ok`, `not_granted`, `invalid_input`, `unknown_service`,
    /// `service_down`.
    pub outcome: String,
    /// The provider's message (or why it could not be reached).
    pub message: String,
    /// Field errors of an invalid input (JSON pointer: reason).
    pub errors: Vec<String>,
    pub result: Option<Value>,
    /// When the provider answered (µs), from its signed response.
    pub answered_at: Option<i64>,
    pub request_sha256: String,
    pub response_sha256: Option<String>,
}

/// A form field made from one property of a service's input schema.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct InputField {
    pub name: String,
    pub label: String,
    pub hint: Option<String>,
    /// `string`, `integer`, `number` or `boolean`.
    pub kind: String,
    pub required: bool,
    pub max_length: Option<u64>,
}

/// The form fields for a flat object schema; `None` when the schema is not
/// a flat object of scalars (then the input is typed as JSON).
pub fn input_fields(schema: &Value) -> Option<Vec<InputField>> {
    if schema.get("type").and_then(Value::as_str) != Some("object") {
        return None;
    }
    let required: Vec<&str> = schema
        .get("required")
        .and_then(Value::as_array)
        .map(|names| names.iter().filter_map(Value::as_str).collect())
        .unwrap_or_default();
    let properties = schema.get("properties")?.as_object()?;
    let mut fields = Vec::with_capacity(properties.len());
    for (name, property) in properties {
        let kind = property
            .get("type")
            .and_then(Value::as_str)
            .unwrap_or("string");
        if !matches!(kind, "string" | "integer" | "number" | "boolean") {
            return None;
        }
        fields.push(InputField {
            name: name.clone(),
            label: property
                .get("title")
                .and_then(Value::as_str)
                .unwrap_or(name)
                .to_owned(),
            hint: property
                .get("description")
                .and_then(Value::as_str)
                .map(str::to_owned),
            kind: kind.to_owned(),
            required: required.contains(&name.as_str()),
            max_length: property.get("maxLength").and_then(Value::as_u64),
        });
    }
    Some(fields)
}

/// Builds the input object from form values (`field.name` → text): empty
/// optional fields are left out, numbers and booleans are converted, and
/// what cannot be converted is named (the provider checks the rest against
/// the schema and answers field by field).
pub fn input_from_form(
    fields: &[InputField],
    value_of: impl Fn(&str) -> Option<String>,
) -> Result<Value, String> {
    let mut input = serde_json::Map::new();
    for field in fields {
        let text = value_of(&field.name).unwrap_or_default();
        let text = text.trim();
        if field.kind == "boolean" {
            input.insert(field.name.clone(), Value::Bool(!text.is_empty()));
            continue;
        }
        if text.is_empty() {
            continue;
        }
        let value = match field.kind.as_str() {
            "integer" => text
                .parse::<i64>()
                .map(Value::from)
                .map_err(|_| format!("{}: not a whole number", field.label))?,
            "number" => text
                .parse::<f64>()
                .ok()
                .and_then(serde_json::Number::from_f64)
                .map(Value::Number)
                .ok_or_else(|| format!("{}: not a number", field.label))?,
            _ => Value::String(text.to_owned()),
        };
        input.insert(field.name.clone(), value);
    }
    Ok(Value::Object(input))
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn a_flat_schema_becomes_fields_and_the_form_becomes_input() {
        let schema = json!({
            "type": "object",
            "required": ["cccd"],
            "properties": {
                "cccd": {"type": "string", "title": "Số CCCD", "maxLength": 12},
                "year": {"type": "integer"},
                "active": {"type": "boolean"}
            }
        });
        let fields = input_fields(&schema).unwrap();
        assert_eq!(fields.len(), 3);
        let cccd = fields.iter().find(|field| field.name == "cccd").unwrap();
        assert!(cccd.required);
        assert_eq!(cccd.label, "Số CCCD");
        assert_eq!(cccd.max_length, Some(12));
        let input = input_from_form(&fields, |name| match name {
            "cccd" => Some(" 001203004567 ".into()),
            "year" => Some("2026".into()),
            _ => None,
        })
        .unwrap();
        assert_eq!(
            input,
            json!({"cccd": "001203004567", "year": 2026, "active": false})
        );
        let bad = input_from_form(&fields, |name| (name == "year").then(|| "hai".into()));
        assert!(bad.unwrap_err().contains("year"));
    }

    #[test]
    fn nested_schemas_are_typed_as_json() {
        assert!(input_fields(&json!({"type": "array"})).is_none());
        assert!(input_fields(&json!({
            "type": "object",
            "properties": {"address": {"type": "object"}}
        }))
        .is_none());
    }
}

//! The OpenAPI 3.1 document of the JSON API, assembled from path-item
//! fragments: each module that serves API routes contributes
//! `(path, path item)` pairs (see `api::fragments`), and fragments for the
//! same path are merged method by method.

use serde_json::{json, Map, Value};

/// Builds the OpenAPI description from path-item fragments. Two fragments
/// for the same path merge (their methods are combined; a method given
/// twice keeps the later one).
pub fn document(fragments: Vec<(String, Value)>) -> Value {
    let mut paths = Map::new();
    for (path, item) in fragments {
        let entry = paths
            .entry(path)
            .or_insert_with(|| Value::Object(Map::new()));
        if let (Some(entry), Value::Object(item)) = (entry.as_object_mut(), item) {
            for (method, operation) in item {
                entry.insert(method, operation);
            }
        }
    }
    json!({
        "openapi": "3.1.0",
        "info": {
            "title": "congso",
            "version": env!("CARGO_PKG_VERSION"),
            "description": "The JSON API of a congso node. Authenticate with a personal API token \
                (created on /account/api-tokens) as `Authorization: Bearer <token>`; the API \
                never reads session cookies. Errors are `{\"error\": code, \"message\": text, \
                \"details\"?: ...}` with the message in the language of `Accept-Language`/the \
                language cookie (Vietnamese by default)."
        },
        "servers": [{"url": "/"}],
        "security": [{"bearer": []}],
        "paths": paths,
        "components": components(),
    })
}

fn components() -> Value {
    json!({
        "securitySchemes": {
            "bearer": {"type": "http", "scheme": "bearer", "description": "A personal API token (cgs_...)"}
        },
        "schemas": {
            "Error": {
                "type": "object",
                "required": ["error", "message"],
                "properties": {
                    "error": {"type": "string", "description": "A stable code: unauthorized, forbidden, not_found, invalid, duplicate, conflict, workflow, file_type, pdf_corrupt, pdf_encrypted, too_large, ..."},
                    "message": {"type": "string"},
                    "details": {"description": "Field errors (`fields`), edXML issues (`issues`), or the first registration of a duplicate"}
                }
            },
            "IncomingFields": {
                "type": "object",
                "description": "The metadata of an incoming document (multipart text parts).",
                "required": ["sender_name", "type_code", "summary"],
                "properties": {
                    "sender_name": {"type": "string"},
                    "sender_code": {"type": "string", "description": "Organ code like 000.00.00.H26"},
                    "type_code": {"type": "string", "description": "Decree 30 type code (cong-van, quyet-dinh, ...)"},
                    "number": {"type": "string"},
                    "notation": {"type": "string"},
                    "issue_date": {"type": "string", "format": "date"},
                    "summary": {"type": "string"},
                    "signer_name": {"type": "string"},
                    "signer_position": {"type": "string"},
                    "urgency": {"type": "string", "enum": ["0", "1", "2", "3"], "description": "0 normal, 1 Khẩn, 2 Thượng khẩn, 3 Hỏa tốc"},
                    "secrecy": {"type": "string", "enum": ["0", "1", "2", "3"], "description": "0 none, 1 Mật, 2 Tối mật, 3 Tuyệt mật"},
                    "due_date": {"type": "string", "format": "date"},
                    "page_count": {"type": "string"},
                    "notes": {"type": "string"},
                    "file": {"type": "string", "contentMediaType": "application/octet-stream", "description": "The original (last part)"},
                    "attachment": {"type": "string", "contentMediaType": "application/octet-stream"}
                }
            },
            "DraftFields": {
                "type": "object",
                "required": ["type_code", "summary"],
                "properties": {
                    "type_code": {"type": "string"},
                    "summary": {"type": "string"},
                    "content": {"type": "string"},
                    "recipients": {"type": "string", "description": "One per line, `name | organ code`"},
                    "signer_authority": {"type": "string", "enum": ["TM.", "KT.", "TL.", "TUQ.", "Q."]},
                    "signer_on_behalf_of": {"type": "string"},
                    "signer_position": {"type": "string"},
                    "signer_name": {"type": "string"},
                    "urgency": {"type": "string"},
                    "secrecy": {"type": "string"},
                    "due_date": {"type": "string", "format": "date"},
                    "page_count": {"type": "string"},
                    "copies": {"type": "string"},
                    "file_holder": {"type": "string"},
                    "notes": {"type": "string"},
                    "replaces": {"type": "string", "description": "Documents of ours this one replaces (edXML business type 3): number and notation (`12/QĐ-UBND`) or edXML DocumentId, one per line"},
                    "version": {"type": "string", "description": "For edits: the version read"},
                    "file": {"type": "string", "contentMediaType": "application/octet-stream"}
                }
            },
            "Transition": {
                "type": "object",
                "required": ["transition"],
                "properties": {
                    "transition": {"type": "string", "description": "A step of the workflow: register, reject, assign, reassign, start, return, finish; submit, review, approve, send_back, issue, dispatch (sign has its own route)"},
                    "comment": {"type": "string"},
                    "version": {"type": ["integer", "string"], "description": "The version read; a newer one gives 409"},
                    "assignee_user": {"type": ["integer", "string"]},
                    "assignee_unit": {"type": ["integer", "string"]},
                    "due_working_days": {"type": ["integer", "string"], "description": "Due this many working days from today (Vietnamese calendar)"},
                    "due_date": {"type": "string", "format": "date", "description": "Or a date; a day off moves to the next working day"}
                }
            },
            "Document": {"type": "object", "description": "A document row with metadata, files, signatures, assignments and the steps available to the caller"},
            "DocumentRow": {"type": "object"},
            "Registered": {
                "type": "object",
                "properties": {
                    "document_id": {"type": "integer"},
                    "year": {"type": "integer"},
                    "arrival_number": {"type": "integer"},
                    "ledger_seq": {"type": "integer"},
                    "sha256": {"type": ["string", "null"]}
                }
            },
            "TransitionDone": {
                "type": "object",
                "properties": {
                    "document_id": {"type": "integer"},
                    "state": {"type": "string"},
                    "version": {"type": "integer"},
                    "number": {"type": ["string", "null"]},
                    "due_date": {"type": ["string", "null"]},
                    "ledger_seq": {"type": "integer"},
                    "sending": {"oneOf": [{"$ref": "#/components/schemas/Sending"}, {"type": "null"}], "description": "The dispatch step on a node in a federation: what was queued for whom"}
                }
            },
            "Sending": {
                "type": "object",
                "properties": {
                    "sent": {"type": "array", "items": {"type": "object", "properties": {
                        "organ_code": {"type": "string"},
                        "name": {"type": "string"},
                        "outcome": {"type": "string", "enum": ["queued", "already", "not_member", "never_sent"]}
                    }}},
                    "error": {"type": ["string", "null"], "description": "Sending failed after the step was taken; send again with POST /api/documents/{id}/send"}
                }
            },
            "Transport": {
                "type": "object",
                "properties": {
                    "message_id": {"type": "string"},
                    "state": {"type": "string", "enum": ["queued", "sent", "received", "rejected"]},
                    "attempts": {"type": "integer"},
                    "queued_at": {"type": "integer", "description": "µs since the epoch"},
                    "next_attempt_at": {"type": ["integer", "null"]},
                    "last_error": {"type": ["string", "null"]},
                    "sent_at": {"type": ["integer", "null"]},
                    "received_at": {"type": ["integer", "null"], "description": "Arrival time in the recipient's signed receipt"},
                    "receipt_at": {"type": ["integer", "null"]},
                    "receipt": {"type": ["string", "null"], "description": "The signed receipt's exact bytes, base64"},
                    "receipt_signature": {"type": ["string", "null"], "description": "The recipient node's signature over them, base64"}
                }
            },
            "Deliveries": {
                "type": "object",
                "properties": {
                    "document_id": {"type": "integer"},
                    "recipients": {"type": "array", "items": {"type": "object", "properties": {
                        "name": {"type": "string"},
                        "organ_code": {"type": ["string", "null"]},
                        "reach": {"type": "string", "enum": ["member", "not_member", "no_organ_code", "ourselves", "no_federation"]},
                        "document": {"oneOf": [{"$ref": "#/components/schemas/Transport"}, {"type": "null"}]},
                        "revocation": {"oneOf": [{"$ref": "#/components/schemas/Transport"}, {"type": "null"}]},
                        "statuses": {"type": "array", "items": {"type": "object", "properties": {
                            "code": {"type": "integer"},
                            "label": {"type": "string"},
                            "description": {"type": ["string", "null"]},
                            "reported_at": {"type": ["string", "null"]},
                            "received_at": {"type": "integer"}
                        }}}
                    }}}
                }
            }
        }
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fragments_for_one_path_merge() {
        let document = document(vec![
            ("/a".to_owned(), json!({"get": {"summary": "read"}})),
            ("/a".to_owned(), json!({"post": {"summary": "write"}})),
            ("/b".to_owned(), json!({"get": {"summary": "other"}})),
        ]);
        assert_eq!(document["openapi"], "3.1.0");
        assert_eq!(document["paths"]["/a"]["get"]["summary"], "read");
        assert_eq!(document["paths"]["/a"]["post"]["summary"], "write");
        assert_eq!(document["paths"]["/b"]["get"]["summary"], "other");
        assert_eq!(document["paths"].as_object().unwrap().len(), 2);
    }
}

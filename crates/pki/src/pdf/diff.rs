//! What changed in a PDF after a signed revision.
//!
//! Later incremental updates may legitimately add signatures (a field, its
//! widget on a page, the signature dictionary, an appearance), document
//! timestamps and validation data (DSS). Anything else — a changed content
//! stream, a new page, a changed annotation, a rewritten catalog entry — is
//! a modification after signing. This is the "form filling and signing"
//! level of pyHanko's difference analysis, simplified: we do not accept
//! form-field value changes, because congso's documents have none.

use std::collections::BTreeSet;

use lopdf::{Document, Object, ObjectId};

/// Lists the disallowed changes between the revision in `signed` (the file
/// up to the end of the signed byte range) and the full document `current`.
/// An empty list means only signature-related additions.
pub(crate) fn changes_after(signed: &[u8], current: &Document) -> Result<Vec<String>, String> {
    let previous = super::load(signed).map_err(|e| e.to_string())?;
    let mut changes = Vec::new();
    let new_ids: BTreeSet<ObjectId> = current
        .objects
        .keys()
        .filter(|id| !previous.objects.contains_key(id))
        .copied()
        .collect();
    let info_id = current
        .trailer
        .get(b"Info")
        .ok()
        .and_then(|info| info.as_reference().ok());
    for (id, object) in &current.objects {
        let Some(before) = previous.objects.get(id) else {
            if let Some(kind) = forbidden_new_object(object) {
                changes.push(format!("new {kind} object {} {}", id.0, id.1));
            }
            continue;
        };
        if same(before, object) {
            continue;
        }
        if Some(*id) == info_id {
            if let Err(why) = info_change(before, object) {
                changes.push(format!("object {} {} changed: {why}", id.0, id.1));
            }
            continue;
        }
        if let Err(why) = allowed_change(&previous, current, before, object, &new_ids) {
            changes.push(format!("object {} {} changed: {why}", id.0, id.1));
        }
    }
    for id in previous.objects.keys() {
        if !current.objects.contains_key(id) && !is_structural(previous.objects.get(id)) {
            changes.push(format!("object {} {} removed", id.0, id.1));
        }
    }
    Ok(changes)
}

/// Object streams and cross-reference streams are containers, not content.
fn is_structural(object: Option<&Object>) -> bool {
    matches!(object, Some(Object::Stream(s)) if matches!(s.dict.get(b"Type"), Ok(Object::Name(n)) if n == b"ObjStm" || n == b"XRef"))
}

fn type_of(object: &Object) -> Option<&[u8]> {
    let dict = match object {
        Object::Dictionary(d) => d,
        Object::Stream(s) => &s.dict,
        _ => return None,
    };
    match dict.get(b"Type") {
        Ok(Object::Name(n)) => Some(n.as_slice()),
        _ => None,
    }
}

fn forbidden_new_object(object: &Object) -> Option<&'static str> {
    match type_of(object) {
        Some(b"Page") => Some("page"),
        Some(b"Pages") => Some("page tree"),
        Some(b"Catalog") => Some("catalog"),
        _ => None,
    }
}

/// Content equality (stream positions in the file do not count).
fn same(a: &Object, b: &Object) -> bool {
    match (a, b) {
        (Object::Stream(x), Object::Stream(y)) => x.dict == y.dict && x.content == y.content,
        _ => a == b,
    }
}

/// Whether `reference` resolves (in `doc`) to a signature field or widget.
fn is_signature_widget(doc: &Document, reference: &Object) -> bool {
    let Some(dict) = super::dict_of(doc, reference) else {
        return false;
    };
    let own = matches!(dict.get(b"FT"), Ok(Object::Name(n)) if n == b"Sig");
    let parent = dict
        .get(b"Parent")
        .ok()
        .and_then(|p| super::dict_of(doc, p))
        .is_some_and(|p| matches!(p.get(b"FT"), Ok(Object::Name(n)) if n == b"Sig"));
    own || parent
}

/// The items of `after` that are not in `before`, if `after` keeps every
/// item of `before`.
fn added_items<'a>(before: &[Object], after: &'a [Object]) -> Result<Vec<&'a Object>, String> {
    if !before.iter().all(|item| after.contains(item)) {
        return Err("entries were removed".into());
    }
    Ok(after.iter().filter(|item| !before.contains(item)).collect())
}

/// Signing tools (pyHanko among them) stamp every revision's time and tool
/// into the document information dictionary. Those two entries may change;
/// anything else in it (title, author, subject, keywords) may not.
fn info_change(before: &Object, after: &Object) -> Result<(), String> {
    let (Object::Dictionary(old), Object::Dictionary(new)) = (before, after) else {
        return Err("the document information dictionary was replaced".into());
    };
    let keys: BTreeSet<&[u8]> = old
        .iter()
        .chain(new.iter())
        .map(|(k, _)| k.as_slice())
        .collect();
    for key in keys {
        if old.get(key).ok() != new.get(key).ok() && key != b"ModDate" && key != b"Producer" {
            return Err(format!("/{} changed", String::from_utf8_lossy(key)));
        }
    }
    Ok(())
}

fn allowed_change(
    previous: &Document,
    current: &Document,
    before: &Object,
    after: &Object,
    _new_ids: &BTreeSet<ObjectId>,
) -> Result<(), String> {
    match (before, after) {
        (Object::Dictionary(old), Object::Dictionary(new)) => {
            let kind = type_of(before).unwrap_or(b"");
            let allowed_keys: &[&[u8]] = match kind {
                b"Catalog" => &[b"AcroForm", b"DSS", b"Extensions", b"Perms"],
                b"Page" => &[b"Annots"],
                _ if old.has(b"Fields") => {
                    &[b"Fields", b"SigFlags", b"DR", b"DA", b"NeedAppearances"]
                }
                // An empty signature field being signed.
                _ if matches!(old.get(b"FT"), Ok(Object::Name(n)) if n == b"Sig") => {
                    &[b"V", b"AP", b"F", b"AS"]
                }
                _ => &[],
            };
            let keys: BTreeSet<&[u8]> = old
                .iter()
                .chain(new.iter())
                .map(|(k, _)| k.as_slice())
                .collect();
            for key in keys {
                let (a, b) = (old.get(key).ok(), new.get(key).ok());
                if a == b {
                    continue;
                }
                if !allowed_keys.contains(&key) {
                    return Err(format!("/{} changed", String::from_utf8_lossy(key)));
                }
                if key == b"Annots" || key == b"Fields" {
                    let empty = Vec::new();
                    let old_items = a
                        .and_then(|o| super::array_of(previous, o))
                        .unwrap_or(&empty);
                    let new_items = b
                        .and_then(|o| super::array_of(current, o))
                        .unwrap_or(&empty);
                    for item in added_items(old_items, new_items)? {
                        if !is_signature_widget(current, item) {
                            return Err(format!(
                                "/{} gained a non-signature entry",
                                String::from_utf8_lossy(key)
                            ));
                        }
                    }
                }
            }
            Ok(())
        }
        // An /Annots or /Fields array stored as its own object.
        (Object::Array(old), Object::Array(new)) => {
            for item in added_items(old, new)? {
                if !is_signature_widget(current, item) {
                    return Err("an array gained a non-signature entry".into());
                }
            }
            Ok(())
        }
        _ => Err("content changed".into()),
    }
}

#[cfg(test)]
mod tests {
    use lopdf::{Dictionary, Object};

    use super::info_change;

    fn info(pairs: &[(&str, &str)]) -> Object {
        let mut dict = Dictionary::new();
        for (key, value) in pairs {
            dict.set(key.as_bytes().to_vec(), Object::string_literal(*value));
        }
        Object::Dictionary(dict)
    }

    #[test]
    fn only_the_revision_stamp_of_the_info_dictionary_may_change() {
        let signed = info(&[("Title", "Quyết định"), ("ModDate", "D:20261129065458Z")]);
        let restamped = info(&[
            ("Title", "Quyết định"),
            ("ModDate", "D:20261129065459Z"),
            ("Producer", "pyHanko"),
        ]);
        assert_eq!(info_change(&signed, &restamped), Ok(()));
        let retitled = info(&[("Title", "Khác"), ("ModDate", "D:20261129065459Z")]);
        assert_eq!(
            info_change(&signed, &retitled),
            Err("/Title changed".to_owned())
        );
    }
}

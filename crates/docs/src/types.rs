//! The list of document types with their abbreviations and numbering
//! series, kept as data (`data/document_types.toml`, Decree 30/2020 Art. 7).

use std::collections::BTreeMap;

use serde::Deserialize;

/// The shipped list.
pub const SHIPPED_TYPES: &str = include_str!("../data/document_types.toml");

/// The code of the catch-all type for incoming documents of unknown types.
pub const OTHER_TYPE: &str = "khac";

/// One document type.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DocumentTypeInfo {
    /// Stable code (`quyet-dinh`).
    pub code: String,
    /// Vietnamese name (`Quyết định`).
    pub name: String,
    /// Abbreviation in the notation (`QĐ`); none for Công văn and Thư công.
    pub abbreviation: Option<String>,
    /// Has its own number series (legal normative types).
    #[serde(default)]
    pub legal_normative: bool,
    /// Listed by Decree 30, so the agency may issue it.
    #[serde(default = "yes")]
    pub decree30: bool,
}

fn yes() -> bool {
    true
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawTypes {
    #[serde(rename = "type")]
    types: Vec<DocumentTypeInfo>,
}

/// Why a type list cannot be used.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum TypeListError {
    #[error("document type list: {0}")]
    Toml(String),
    #[error("document type list: code {0:?} appears twice")]
    DuplicateCode(String),
    #[error("document type list: abbreviation {0:?} appears twice")]
    DuplicateAbbreviation(String),
    #[error("document type list: code {0:?} must be lower-case a-z, 0-9 and '-'")]
    BadCode(String),
    #[error("document type list: type {0:?} has an empty name")]
    EmptyName(String),
    #[error("document type list: the catch-all type {OTHER_TYPE:?} is missing")]
    NoOtherType,
}

/// The types an agency uses, by code, in the order of the file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TypeRegistry {
    order: Vec<String>,
    by_code: BTreeMap<String, DocumentTypeInfo>,
}

impl TypeRegistry {
    /// The shipped Decree 30 list.
    pub fn shipped() -> TypeRegistry {
        // The shipped file is checked by a test; should it ever fail to
        // parse, an empty registry makes every validation report it.
        TypeRegistry::from_toml(SHIPPED_TYPES).unwrap_or(TypeRegistry {
            order: Vec::new(),
            by_code: BTreeMap::new(),
        })
    }

    /// Parses and checks a type list.
    pub fn from_toml(text: &str) -> Result<TypeRegistry, TypeListError> {
        let raw: RawTypes =
            toml::from_str(text).map_err(|error| TypeListError::Toml(error.to_string()))?;
        let mut order = Vec::new();
        let mut by_code = BTreeMap::new();
        let mut abbreviations = std::collections::BTreeSet::new();
        for info in raw.types {
            if info.code.is_empty()
                || !info
                    .code
                    .chars()
                    .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-')
            {
                return Err(TypeListError::BadCode(info.code));
            }
            if info.name.trim().is_empty() {
                return Err(TypeListError::EmptyName(info.code));
            }
            if let Some(abbreviation) = &info.abbreviation {
                if !abbreviations.insert(abbreviation.clone()) {
                    return Err(TypeListError::DuplicateAbbreviation(abbreviation.clone()));
                }
            }
            if by_code.contains_key(&info.code) {
                return Err(TypeListError::DuplicateCode(info.code));
            }
            order.push(info.code.clone());
            by_code.insert(info.code.clone(), info);
        }
        if !by_code.contains_key(OTHER_TYPE) {
            return Err(TypeListError::NoOtherType);
        }
        Ok(TypeRegistry { order, by_code })
    }

    pub fn get(&self, code: &str) -> Option<&DocumentTypeInfo> {
        self.by_code.get(code)
    }

    /// Every type in file order.
    pub fn all(&self) -> impl Iterator<Item = &DocumentTypeInfo> {
        self.order.iter().filter_map(|code| self.by_code.get(code))
    }

    /// The type a name denotes ("Quyết định", "quyet dinh", "QĐ"), comparing
    /// folded text.
    pub fn find_by_name(&self, name: &str) -> Option<&DocumentTypeInfo> {
        let folded = congso_vn::text::fold(name.trim());
        if folded.is_empty() {
            return None;
        }
        self.all().find(|info| {
            congso_vn::text::fold(&info.name) == folded
                || info
                    .abbreviation
                    .as_deref()
                    .is_some_and(|abbreviation| congso_vn::text::fold(abbreviation) == folded)
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_shipped_list_has_the_decree_30_types() {
        let registry = TypeRegistry::from_toml(SHIPPED_TYPES).unwrap();
        let decree30: Vec<(&str, Option<&str>)> = registry
            .all()
            .filter(|info| info.decree30)
            .map(|info| (info.name.as_str(), info.abbreviation.as_deref()))
            .collect();
        // The list of MISSION-MAP.md (Decree 30 Art. 7, Appendix III), in order.
        let expected = [
            ("Nghị quyết", Some("NQ")),
            ("Quyết định", Some("QĐ")),
            ("Chỉ thị", Some("CT")),
            ("Quy chế", Some("QC")),
            ("Quy định", Some("QyĐ")),
            ("Thông cáo", Some("TC")),
            ("Thông báo", Some("TB")),
            ("Hướng dẫn", Some("HD")),
            ("Chương trình", Some("CTr")),
            ("Kế hoạch", Some("KH")),
            ("Phương án", Some("PA")),
            ("Đề án", Some("ĐA")),
            ("Dự án", Some("DA")),
            ("Báo cáo", Some("BC")),
            ("Biên bản", Some("BB")),
            ("Tờ trình", Some("TTr")),
            ("Hợp đồng", Some("HĐ")),
            ("Công văn", None),
            ("Công điện", Some("CĐ")),
            ("Bản ghi nhớ", Some("BGN")),
            ("Bản thỏa thuận", Some("BTT")),
            ("Giấy ủy quyền", Some("GUQ")),
            ("Giấy mời", Some("GM")),
            ("Giấy giới thiệu", Some("GGT")),
            ("Giấy nghỉ phép", Some("GNP")),
            ("Phiếu gửi", Some("PG")),
            ("Phiếu chuyển", Some("PC")),
            ("Phiếu báo", Some("PB")),
            ("Thư công", None),
        ];
        assert_eq!(decree30, expected);
        let own_series: Vec<&str> = registry
            .all()
            .filter(|info| info.legal_normative)
            .map(|info| info.name.as_str())
            .collect();
        assert_eq!(
            own_series,
            ["Nghị quyết", "Quyết định", "Chỉ thị", "Quy chế", "Quy định"]
        );
        assert_eq!(TypeRegistry::shipped(), registry);
    }

    #[test]
    fn names_are_found_folded() {
        let registry = TypeRegistry::shipped();
        let check = |name: &str, code: Option<&str>| {
            assert_eq!(
                registry.find_by_name(name).map(|info| info.code.as_str()),
                code,
                "{name}"
            );
        };
        check("Quyết định", Some("quyet-dinh"));
        check("quyet dinh", Some("quyet-dinh"));
        check("CÔNG VĂN", Some("cong-van"));
        check("QĐ", Some("quyet-dinh"));
        check("Thông tư", Some("thong-tu"));
        check("Sắc lệnh", None);
        check("", None);
    }

    #[test]
    fn bad_lists_are_refused() {
        let check = |text: &str, expected: TypeListError| {
            assert_eq!(TypeRegistry::from_toml(text), Err(expected));
        };
        let other = "[[type]]\ncode = \"khac\"\nname = \"Khác\"\n";
        check(
            &format!("{other}[[type]]\ncode = \"khac\"\nname = \"X\"\n"),
            TypeListError::DuplicateCode("khac".into()),
        );
        check(
            &format!(
                "{other}[[type]]\ncode = \"a\"\nname = \"A\"\nabbreviation = \"X\"\n[[type]]\ncode = \"b\"\nname = \"B\"\nabbreviation = \"X\"\n"
            ),
            TypeListError::DuplicateAbbreviation("X".into()),
        );
        check(
            &format!("{other}[[type]]\ncode = \"Quyết\"\nname = \"A\"\n"),
            TypeListError::BadCode("Quyết".into()),
        );
        check(
            "[[type]]\ncode = \"a\"\nname = \"A\"\n",
            TypeListError::NoOtherType,
        );
        assert!(matches!(
            TypeRegistry::from_toml("[[type]]\ncode = 1\n"),
            Err(TypeListError::Toml(_))
        ));
    }
}

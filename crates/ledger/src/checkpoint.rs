//! The C2SP tlog-checkpoint note body (<https://c2sp.org/tlog-checkpoint>).
//!
//! ```text
//! <origin>\n
//! <tree size, decimal, no leading zeroes>\n
//! <root hash, standard base64>\n
//! [<extension line>\n ...]
//! ```
//!
//! Parsing is strict: anything [`Checkpoint::to_body`] would not produce is
//! refused, so a parsed checkpoint re-encodes to exactly the bytes that were
//! signed.

use crate::hash::Hash;

/// Why a checkpoint body was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum CheckpointError {
    /// The body does not end with a newline.
    #[error("checkpoint body does not end with a newline")]
    MissingFinalNewline,
    /// Fewer than the three mandatory lines.
    #[error("checkpoint body has {found} lines where at least 3 are needed")]
    TooFewLines {
        /// How many lines the body has.
        found: usize,
    },
    /// The origin line is empty.
    #[error("checkpoint origin line is empty")]
    EmptyOrigin,
    /// A line holds a control character, which a signed note cannot carry.
    #[error("checkpoint line {line} contains a control character")]
    ControlCharacter {
        /// The 1-based line number.
        line: usize,
    },
    /// The size line is not a canonical decimal `u64`.
    #[error("checkpoint tree size {found:?} is not a decimal number without leading zeroes")]
    InvalidSize {
        /// The offending line.
        found: String,
    },
    /// The root line is not the standard base64 of exactly 32 bytes.
    #[error("checkpoint root hash {found:?} is not the standard base64 of 32 bytes")]
    InvalidRoot {
        /// The offending line.
        found: String,
    },
    /// An extension line is empty (which also catches a doubled final newline).
    #[error("checkpoint extension line {line} is empty")]
    EmptyExtensionLine {
        /// The 1-based line number.
        line: usize,
    },
}

/// A transparency log checkpoint: the log's identity, a tree size and the
/// root at that size, plus opaque extension lines.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Checkpoint {
    origin: String,
    size: u64,
    root: Hash,
    extensions: Vec<String>,
}

fn check_line(line_number: usize, text: &str) -> Result<(), CheckpointError> {
    if text.chars().any(|character| u32::from(character) < 0x20) {
        Err(CheckpointError::ControlCharacter { line: line_number })
    } else {
        Ok(())
    }
}

fn check_origin(origin: &str) -> Result<(), CheckpointError> {
    if origin.is_empty() {
        return Err(CheckpointError::EmptyOrigin);
    }
    check_line(1, origin)
}

fn check_extensions(extensions: &[String]) -> Result<(), CheckpointError> {
    for (offset, extension) in extensions.iter().enumerate() {
        let line = offset + 4;
        if extension.is_empty() {
            return Err(CheckpointError::EmptyExtensionLine { line });
        }
        check_line(line, extension)?;
    }
    Ok(())
}

fn parse_size(text: &str) -> Result<u64, CheckpointError> {
    let invalid = || CheckpointError::InvalidSize {
        found: text.to_owned(),
    };
    let all_digits = !text.is_empty() && text.bytes().all(|byte| byte.is_ascii_digit());
    let leading_zero = text.len() > 1 && text.starts_with('0');
    if !all_digits || leading_zero {
        return Err(invalid());
    }
    text.parse().map_err(|_| invalid())
}

fn parse_root(text: &str) -> Result<Hash, CheckpointError> {
    let invalid = || CheckpointError::InvalidRoot {
        found: text.to_owned(),
    };
    // 32 bytes are always 44 base64 characters; refusing other lengths first
    // keeps a hostile line from being decoded at all.
    if text.len() != 44 {
        return Err(invalid());
    }
    let bytes = crate::base64_decode(text).ok_or_else(invalid)?;
    Hash::try_from(bytes.as_slice()).map_err(|_| invalid())
}

impl Checkpoint {
    /// A checkpoint without extension lines. The origin must be non-empty and
    /// free of control characters (newlines included).
    pub fn new(origin: impl Into<String>, size: u64, root: Hash) -> Result<Self, CheckpointError> {
        let origin = origin.into();
        check_origin(&origin)?;
        Ok(Self {
            origin,
            size,
            root,
            extensions: Vec::new(),
        })
    }

    /// The same checkpoint with these extension lines, each non-empty and free
    /// of control characters. C2SP does not recommend extensions: monitors
    /// cannot audit them.
    pub fn with_extensions(mut self, extensions: Vec<String>) -> Result<Self, CheckpointError> {
        check_extensions(&extensions)?;
        self.extensions = extensions;
        Ok(self)
    }

    /// The log's identity, e.g. `example.gov.vn/congso/log`.
    pub fn origin(&self) -> &str {
        &self.origin
    }

    /// The number of leaves in the tree.
    pub fn size(&self) -> u64 {
        self.size
    }

    /// The RFC 6962 root hash at [`Self::size`].
    pub fn root(&self) -> &Hash {
        &self.root
    }

    /// The extension lines, without their newlines.
    pub fn extensions(&self) -> &[String] {
        &self.extensions
    }

    /// The note text to sign.
    pub fn to_body(&self) -> String {
        let mut body = format!(
            "{}\n{}\n{}\n",
            self.origin,
            self.size,
            crate::base64_encode(&self.root)
        );
        for extension in &self.extensions {
            body.push_str(extension);
            body.push('\n');
        }
        body
    }

    /// Parses a checkpoint body (the note text, without the blank line and
    /// signatures), refusing anything that does not re-encode to itself.
    pub fn parse(body: &str) -> Result<Self, CheckpointError> {
        let Some(content) = body.strip_suffix('\n') else {
            return Err(CheckpointError::MissingFinalNewline);
        };
        let lines: Vec<&str> = content.split('\n').collect();
        let [origin, size, root, extensions @ ..] = lines.as_slice() else {
            return Err(CheckpointError::TooFewLines { found: lines.len() });
        };
        check_origin(origin)?;
        check_line(2, size)?;
        let size = parse_size(size)?;
        check_line(3, root)?;
        let root = parse_root(root)?;
        let extensions: Vec<String> = extensions.iter().map(|line| (*line).to_owned()).collect();
        check_extensions(&extensions)?;
        Ok(Self {
            origin: (*origin).to_owned(),
            size,
            root,
            extensions,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The example from c2sp.org/tlog-checkpoint.
    const SPEC_BODY: &str =
        "example.com/behind-the-sofa\n20852163\nCsUYapGGPo4dkMgIAUqom/Xajj7h2fB2MPA3j2jxq2I=\n";

    #[test]
    fn the_spec_example_round_trips() {
        let checkpoint = Checkpoint::parse(SPEC_BODY).unwrap();
        assert_eq!(checkpoint.origin(), "example.com/behind-the-sofa");
        assert_eq!(checkpoint.size(), 20_852_163);
        assert_eq!(checkpoint.root()[..3], [0x0a, 0xc5, 0x18]);
        assert!(checkpoint.extensions().is_empty());
        assert_eq!(checkpoint.to_body(), SPEC_BODY);
    }

    fn check(body: &str, expected: Result<(), CheckpointError>) {
        let parsed = Checkpoint::parse(body);
        match expected {
            Ok(()) => {
                let checkpoint = parsed.unwrap_or_else(|error| panic!("{body:?}: {error}"));
                assert_eq!(checkpoint.to_body(), body, "must re-encode to itself");
            }
            Err(error) => assert_eq!(parsed, Err(error), "{body:?}"),
        }
    }

    #[test]
    fn strict_parsing() {
        let root = "CsUYapGGPo4dkMgIAUqom/Xajj7h2fB2MPA3j2jxq2I=";
        let root_error = |found: &str| {
            Err(CheckpointError::InvalidRoot {
                found: found.to_owned(),
            })
        };
        let size_error = |found: &str| {
            Err(CheckpointError::InvalidSize {
                found: found.to_owned(),
            })
        };
        check(&format!("o\n0\n{root}\n"), Ok(()));
        check(&format!("o\n18446744073709551615\n{root}\n"), Ok(()));
        check(&format!("o\n1\n{root}\next one\next+two\n"), Ok(()));
        check(
            &format!("o\n1\n{root}"),
            Err(CheckpointError::MissingFinalNewline),
        );
        check("", Err(CheckpointError::MissingFinalNewline));
        check("o\n1\n", Err(CheckpointError::TooFewLines { found: 2 }));
        check(&format!("\n1\n{root}\n"), Err(CheckpointError::EmptyOrigin));
        check(
            &format!("o\n1\n{root}\n\n"),
            Err(CheckpointError::EmptyExtensionLine { line: 4 }),
        );
        check(
            &format!("o\n1\n{root}\nx\n\n"),
            Err(CheckpointError::EmptyExtensionLine { line: 5 }),
        );
        check(
            &format!("o\r\n1\n{root}\n"),
            Err(CheckpointError::ControlCharacter { line: 1 }),
        );
        check(
            &format!("o\n1\n{root}\nx\ty\n"),
            Err(CheckpointError::ControlCharacter { line: 4 }),
        );
        check(&format!("o\n01\n{root}\n"), size_error("01"));
        check(&format!("o\n00\n{root}\n"), size_error("00"));
        check(&format!("o\n+1\n{root}\n"), size_error("+1"));
        check(&format!("o\n-1\n{root}\n"), size_error("-1"));
        check(&format!("o\n 1\n{root}\n"), size_error(" 1"));
        check(&format!("o\n\n{root}\n"), size_error(""));
        check(
            &format!("o\n18446744073709551616\n{root}\n"),
            size_error("18446744073709551616"),
        );
        check(&format!("o\n१\n{root}\n"), size_error("१"));
        // Unpadded, URL-safe alphabet, non-zero trailing bits, wrong lengths.
        check(
            "o\n1\nCsUYapGGPo4dkMgIAUqom/Xajj7h2fB2MPA3j2jxq2I\n",
            root_error("CsUYapGGPo4dkMgIAUqom/Xajj7h2fB2MPA3j2jxq2I"),
        );
        check(
            "o\n1\nCsUYapGGPo4dkMgIAUqom_Xajj7h2fB2MPA3j2jxq2I=\n",
            root_error("CsUYapGGPo4dkMgIAUqom_Xajj7h2fB2MPA3j2jxq2I="),
        );
        check(
            "o\n1\nCsUYapGGPo4dkMgIAUqom/Xajj7h2fB2MPA3j2jxq2J=\n",
            root_error("CsUYapGGPo4dkMgIAUqom/Xajj7h2fB2MPA3j2jxq2J="),
        );
        check(
            "o\n1\nCsUYapGGPo4dkMgIAUqom/Xajj7h2fB2MPA3j2jxq2I=AAAA\n",
            root_error("CsUYapGGPo4dkMgIAUqom/Xajj7h2fB2MPA3j2jxq2I=AAAA"),
        );
        check("o\n1\nAAAA\n", root_error("AAAA"));
        check(
            "o\n1\nAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA==\n",
            root_error("AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=="),
        );
    }

    #[test]
    fn constructors_refuse_what_parse_would_refuse() {
        let root = [1; 32];
        assert_eq!(
            Checkpoint::new("", 1, root),
            Err(CheckpointError::EmptyOrigin)
        );
        assert_eq!(
            Checkpoint::new("a\nb", 1, root),
            Err(CheckpointError::ControlCharacter { line: 1 })
        );
        let checkpoint = Checkpoint::new("log", 5, root).unwrap();
        assert_eq!(
            checkpoint.clone().with_extensions(vec![String::new()]),
            Err(CheckpointError::EmptyExtensionLine { line: 4 })
        );
        assert_eq!(
            checkpoint.clone().with_extensions(vec!["a\nb".into()]),
            Err(CheckpointError::ControlCharacter { line: 4 })
        );
        let with = checkpoint.with_extensions(vec!["x".into()]).unwrap();
        assert_eq!(Checkpoint::parse(&with.to_body()).unwrap(), with);
    }
}

//! Translations with Fluent (Project Fluent `.ftl` files under `locales/`).
//!
//! Vietnamese is the default language and the fallback for any message an
//! English translation lacks; a test checks that both files define the same
//! messages, so the fallback is a safety net, not a habit.

use std::borrow::Cow;

use fluent_bundle::concurrent::FluentBundle;
use fluent_bundle::{FluentArgs, FluentResource, FluentValue};

const VI_FTL: &str = include_str!("../locales/vi.ftl");
const EN_FTL: &str = include_str!("../locales/en.ftl");

/// A user-interface language.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub enum Lang {
    #[default]
    Vi,
    En,
}

impl Lang {
    pub fn code(self) -> &'static str {
        match self {
            Lang::Vi => "vi",
            Lang::En => "en",
        }
    }

    pub fn from_code(code: &str) -> Option<Lang> {
        match code.trim().to_ascii_lowercase().as_str() {
            "vi" | "vi-vn" => Some(Lang::Vi),
            "en" | "en-us" | "en-gb" => Some(Lang::En),
            _ => None,
        }
    }

    /// The other language, for the switch link.
    pub fn other(self) -> Lang {
        match self {
            Lang::Vi => Lang::En,
            Lang::En => Lang::Vi,
        }
    }
}

/// Both bundles, built once at start.
pub struct I18n {
    vi: FluentBundle<FluentResource>,
    en: FluentBundle<FluentResource>,
}

impl std::fmt::Debug for I18n {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("I18n")
    }
}

/// A broken translation file (caught by tests before it ships).
#[derive(Debug, thiserror::Error)]
#[error("translation file for {lang} is invalid: {details}")]
pub struct I18nError {
    lang: &'static str,
    details: String,
}

fn bundle(lang: &'static str, source: &str) -> Result<FluentBundle<FluentResource>, I18nError> {
    let resource = FluentResource::try_new(source.to_owned()).map_err(|(_, errors)| I18nError {
        lang,
        details: format!("{errors:?}"),
    })?;
    let langid = lang.parse().map_err(|error| I18nError {
        lang,
        details: format!("{error:?}"),
    })?;
    let mut bundle = FluentBundle::new_concurrent(vec![langid]);
    // Unicode isolation marks would end up inside HTML attributes and page
    // titles; our arguments are plain text, so they are not needed.
    bundle.set_use_isolating(false);
    bundle.add_resource(resource).map_err(|errors| I18nError {
        lang,
        details: format!("{errors:?}"),
    })?;
    Ok(bundle)
}

impl I18n {
    pub fn new() -> Result<I18n, I18nError> {
        Ok(I18n {
            vi: bundle("vi", VI_FTL)?,
            en: bundle("en", EN_FTL)?,
        })
    }

    /// The message `id` in `lang`, falling back to Vietnamese, then to the id.
    pub fn tr(&self, lang: Lang, id: &str) -> String {
        self.tr_args(lang, id, &[])
    }

    /// The message `id` in exactly `lang`, if that language defines it (no
    /// fallback, no warning): for labels that come from agency data and
    /// have a translation only when they are the shipped ones.
    pub fn lookup(&self, lang: Lang, id: &str) -> Option<String> {
        let bundle = match lang {
            Lang::Vi => &self.vi,
            Lang::En => &self.en,
        };
        let pattern = bundle.get_message(id)?.value()?;
        let mut errors = Vec::new();
        Some(
            bundle
                .format_pattern(pattern, None, &mut errors)
                .into_owned(),
        )
    }

    /// The message `id` with named arguments.
    pub fn tr_args(&self, lang: Lang, id: &str, args: &[(&str, &str)]) -> String {
        let mut fluent_args = FluentArgs::new();
        for (name, value) in args {
            fluent_args.set(*name, FluentValue::String(Cow::Borrowed(value)));
        }
        let bundles = match lang {
            Lang::Vi => [&self.vi, &self.vi],
            Lang::En => [&self.en, &self.vi],
        };
        for bundle in bundles {
            if let Some(pattern) = bundle.get_message(id).and_then(|message| message.value()) {
                let mut errors = Vec::new();
                let text = bundle.format_pattern(pattern, Some(&fluent_args), &mut errors);
                if !errors.is_empty() {
                    tracing::warn!(id, ?errors, "translation formatting problem");
                }
                return text.into_owned();
            }
        }
        tracing::warn!(id, lang = lang.code(), "missing translation");
        id.to_owned()
    }
}

/// The message ids a `.ftl` source defines.
#[cfg(test)]
fn message_ids(source: &str) -> std::collections::BTreeSet<String> {
    source
        .lines()
        .filter(|line| !line.starts_with(' ') && !line.starts_with('#'))
        .filter_map(|line| line.split_once(" = ").map(|(id, _)| id.trim().to_owned()))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn both_languages_define_the_same_messages() {
        let vi = message_ids(VI_FTL);
        let en = message_ids(EN_FTL);
        let only_vi: Vec<_> = vi.difference(&en).collect();
        let only_en: Vec<_> = en.difference(&vi).collect();
        assert!(
            only_vi.is_empty() && only_en.is_empty(),
            "vi only: {only_vi:?}; en only: {only_en:?}"
        );
        assert!(vi.len() > 100);
    }

    #[test]
    fn translates_with_arguments_and_falls_back() {
        let i18n = I18n::new().unwrap();
        assert_eq!(i18n.tr(Lang::Vi, "nav-login"), "Đăng nhập");
        assert_eq!(i18n.tr(Lang::En, "nav-login"), "Log in");
        assert_eq!(
            i18n.tr_args(Lang::Vi, "staff-hello", &[("name", "Lê Thị Hoa")]),
            "Xin chào, Lê Thị Hoa"
        );
        assert_eq!(i18n.tr(Lang::En, "no-such-message"), "no-such-message");
        let body = i18n.tr_args(
            Lang::Vi,
            "reset-mail-body",
            &[("name", "A"), ("username", "a"), ("link", "https://x/y")],
        );
        assert!(body.contains("https://x/y") && body.contains('\n'));
    }
}

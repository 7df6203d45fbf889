//! The page frame every HTML page shares: landmarks, skip link, navigation,
//! language switch and footer.

use std::sync::OnceLock;

use congso_core::access::Action;
use maud::{html, Markup, DOCTYPE};
use sha2::{Digest, Sha256};

use crate::session::Visitor;
use crate::AppState;

pub const CSS: &str = include_str!("../static/app.css");

/// The stylesheet's URL, versioned by content so it can be cached forever.
pub fn css_path() -> &'static str {
    static PATH: OnceLock<String> = OnceLock::new();
    PATH.get_or_init(|| {
        let digest = hex::encode(Sha256::digest(CSS.as_bytes()));
        format!("/static/app-{}.css", &digest[..12])
    })
}

/// What a page needs to render: state, visitor and translation helpers.
pub struct Ctx<'a> {
    pub state: &'a AppState,
    pub visitor: &'a Visitor,
}

impl<'a> Ctx<'a> {
    pub fn new(state: &'a AppState, visitor: &'a Visitor) -> Self {
        Ctx { state, visitor }
    }

    /// A translated message.
    pub fn t(&self, id: &str) -> String {
        self.state.i18n().tr(self.visitor.lang, id)
    }

    /// A translated message with arguments.
    pub fn ta(&self, id: &str, args: &[(&str, &str)]) -> String {
        self.state.i18n().tr_args(self.visitor.lang, id, args)
    }

    /// The hidden CSRF field every form carries.
    pub fn csrf(&self) -> Markup {
        html! { input type="hidden" name="csrf" value=(self.visitor.csrf_token(self.state)); }
    }

    /// A role's name in the visitor's language.
    pub fn role_name(&self, role: congso_core::Role) -> String {
        self.t(&format!("role-{}", role.code()))
    }

    /// A timestamp in Vietnam time (UTC+7), `dd/mm/yyyy hh:mm:ss`.
    pub fn datetime(&self, micros: i64) -> String {
        format_vn_datetime(micros)
    }
}

/// Formats microseconds since the epoch in Vietnam's time zone (UTC+7).
pub fn format_vn_datetime(micros: i64) -> String {
    let seconds = micros.div_euclid(1_000_000);
    let offset = time::UtcOffset::from_hms(7, 0, 0).unwrap_or(time::UtcOffset::UTC);
    match time::OffsetDateTime::from_unix_timestamp(seconds) {
        Ok(moment) => {
            let local = moment.to_offset(offset);
            format!(
                "{:02}/{:02}/{} {:02}:{:02}:{:02}",
                local.day(),
                u8::from(local.month()),
                local.year(),
                local.hour(),
                local.minute(),
                local.second()
            )
        }
        Err(_) => micros.to_string(),
    }
}

/// A whole HTML page.
pub fn page(ctx: &Ctx<'_>, title: &str, body: Markup) -> Markup {
    page_with_head(ctx, title, html! {}, body)
}

/// A whole HTML page with extra `<head>` content (metadata, feeds, a
/// stylesheet of its own).
pub fn page_with_head(ctx: &Ctx<'_>, title: &str, head: Markup, body: Markup) -> Markup {
    let lang = ctx.visitor.lang;
    let agency = ctx.state.agency_name();
    let site_name = ctx.t("site-name");
    let switch_next =
        serde_urlencoded::to_string([("next", ctx.visitor.path.as_str())]).unwrap_or_default();
    html! {
        (DOCTYPE)
        html lang=(lang.code()) {
            head {
                meta charset="utf-8";
                meta name="viewport" content="width=device-width, initial-scale=1";
                title { (title) " — " (agency.as_deref().unwrap_or(&site_name)) }
                link rel="stylesheet" href=(css_path());
                (head)
            }
            body {
                a.skip-link href="#main" { (ctx.t("skip-to-content")) }
                header.site {
                    div.wrap {
                        a.brand href="/" {
                            (agency.as_deref().unwrap_or(&site_name))
                            small { (site_name) }
                        }
                        nav.main aria-label=(ctx.t("nav-main")) {
                            ul {
                                li { a href="/" { (ctx.t("nav-home")) } }
                                @if ctx.visitor.can(Action::StaffAreaView) {
                                    li { a href="/staff" { (ctx.t("nav-staff")) } }
                                }
                                @if ctx.visitor.can(Action::UserList) {
                                    li { a href="/admin/users" { (ctx.t("nav-admin-users")) } }
                                }
                                @if ctx.visitor.can(Action::LedgerViewEntries) {
                                    li { a href="/admin/ledger" { (ctx.t("nav-admin-ledger")) } }
                                }
                                @if ctx.visitor.session.is_some() {
                                    li { a href="/account" { (ctx.t("nav-account")) } }
                                    li {
                                        form method="post" action="/logout" {
                                            (ctx.csrf())
                                            button type="submit" { (ctx.t("nav-logout")) }
                                        }
                                    }
                                } @else {
                                    li { a href="/login" { (ctx.t("nav-login")) } }
                                }
                                li {
                                    a href={ "/lang/" (lang.other().code()) "?" (switch_next) }
                                        lang=(lang.other().code()) hreflang=(lang.other().code())
                                        aria-label=(ctx.t("language-switch-label")) {
                                        (ctx.t("language-switch"))
                                    }
                                }
                            }
                        }
                    }
                }
                main #main tabindex="-1" {
                    div.wrap { (body) }
                }
                footer.site {
                    div.wrap {
                        p { (ctx.t("footer-text")) " " a href="/ledger/checkpoint" { (ctx.t("footer-ledger")) } }
                    }
                }
            }
        }
    }
}

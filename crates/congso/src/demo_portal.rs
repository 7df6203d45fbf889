//! The demo agency's public portal: categories with retention periods,
//! news, announcements, direction documents, public disclosures, the
//! organisation and contacts, the Decree 64 text as a published legal
//! document, and a catalogue of public services. Seeding is idempotent
//! (stable ids, services by code), so a re-run changes nothing.

use std::sync::Arc;

use anyhow::Context;
use congso_portal::{sanitize, Acting, NewCategory, Portal};
use congso_store::ledger::Ledger;
use congso_store::portal::Service;

use crate::node::Node;

const ITEMS: &str = include_str!("../data/portal/items.jsonl");
const SERVICES: &str = include_str!("../data/portal/services.json");
const DECREE_64: &str = include_str!("../data/portal/nghi-dinh-64-2007-ND-CP.md");

fn category(
    slug: &str,
    kind: &str,
    name: &str,
    name_en: &str,
    retention_days: Option<i64>,
    position: i64,
) -> NewCategory {
    NewCategory {
        slug: slug.into(),
        kind: kind.into(),
        name: name.into(),
        name_en: name_en.into(),
        retention_days,
        position,
    }
}

pub fn categories() -> Vec<NewCategory> {
    vec![
        category(
            "tin-tuc",
            "news",
            "Tin tức - sự kiện",
            "News and events",
            Some(730),
            1,
        ),
        category(
            "thong-bao",
            "announcement",
            "Thông báo",
            "Announcements",
            Some(365),
            2,
        ),
        category(
            "van-ban-phap-luat",
            "legal",
            "Văn bản quy phạm pháp luật",
            "Legal documents",
            None,
            3,
        ),
        category(
            "van-ban-chi-dao",
            "legal",
            "Văn bản chỉ đạo, điều hành",
            "Direction documents",
            None,
            4,
        ),
        category(
            "cong-khai-ngan-sach",
            "disclosure",
            "Công khai ngân sách",
            "Budget disclosures",
            Some(1825),
            5,
        ),
        category(
            "cong-khai-mua-sam",
            "disclosure",
            "Công khai mua sắm công",
            "Procurement disclosures",
            Some(1825),
            6,
        ),
        category(
            "cong-khai-ke-hoach",
            "disclosure",
            "Kế hoạch, chiến lược",
            "Plans and strategies",
            Some(1825),
            7,
        ),
        category(
            "to-chuc",
            "organisation",
            "Tổ chức bộ máy",
            "Organisation and leadership",
            None,
            8,
        ),
        category("lien-he", "contact", "Liên hệ", "Contacts", None, 9),
    ]
}

/// The decree's Markdown (bold, italics, paragraphs) as HTML with
/// chapter and article headings.
pub fn markdown_to_html(markdown: &str) -> String {
    let mut html = String::new();
    for block in markdown.split("\n\n") {
        let text = block.trim().replace("  \n", "\n");
        if text.is_empty() {
            continue;
        }
        let joined = text.replace("**\n**", " — ");
        let plain = joined.trim_matches('*');
        let whole_bold = joined.starts_with("**") && joined.ends_with("**") && !plain.contains('*');
        if whole_bold && plain.starts_with("Điều ") {
            html.push_str(&format!("<h3>{}</h3>", sanitize::escape(plain)));
        } else if whole_bold && plain.starts_with("Chương ") {
            html.push_str(&format!("<h2>{}</h2>", sanitize::escape(plain)));
        } else {
            let escaped = sanitize::escape(&text);
            html.push_str(&format!(
                "<p>{}</p>",
                inline(&escaped).replace('\n', "<br>")
            ));
        }
    }
    html
}

/// `**bold**` and `*italic*` on escaped text.
fn inline(text: &str) -> String {
    let mut out = String::new();
    let mut bold = false;
    let mut italic = false;
    let mut rest = text;
    while let Some(star) = rest.find('*') {
        out.push_str(&rest[..star]);
        if rest[star..].starts_with("**") {
            out.push_str(if bold { "</strong>" } else { "<strong>" });
            bold = !bold;
            rest = &rest[star + 2..];
        } else {
            out.push_str(if italic { "</em>" } else { "<em>" });
            italic = !italic;
            rest = &rest[star + 1..];
        }
    }
    out.push_str(rest);
    if italic {
        out.push_str("</em>");
    }
    if bold {
        out.push_str("</strong>");
    }
    out
}

fn decree_line() -> anyhow::Result<String> {
    let line = serde_json::json!({
        "id": "nd-64-2007",
        "category": "van-ban-phap-luat",
        "published": "2007-04-10",
        "title": "Nghị định 64/2007/NĐ-CP về ứng dụng công nghệ thông tin trong hoạt động của cơ quan nhà nước",
        "summary": "Quy định về ứng dụng công nghệ thông tin trong hoạt động của cơ quan nhà nước: cổng thông tin điện tử, dịch vụ hành chính công trực tuyến, văn bản điện tử.",
        "body": markdown_to_html(DECREE_64),
        "metadata": {
            "number": "64/2007/NĐ-CP",
            "document_type": "Nghị định",
            "issued": "10/04/2007",
            "signer": "Nguyễn Tấn Dũng",
            "issuer": "Chính phủ",
            "status": "Còn hiệu lực"
        }
    });
    Ok(serde_json::to_string(&line)?)
}

/// Seeds the portal of the demo agency.
pub async fn seed(node: &Node, ledger: &Ledger) -> anyhow::Result<()> {
    let dir = crate::portal_cmd::index_dir(node);
    let index = congso_search::SearchIndex::open(&dir)
        .with_context(|| format!("cannot open the search index at {}", dir.display()))?;
    let portal = Portal::new(node.db.clone(), ledger.clone(), Arc::new(index));
    portal.ensure_categories(&categories()).await?;
    let acting = Acting::operator("demo");
    let file = format!("{ITEMS}{}\n", decree_line()?);
    let report = portal.import_jsonl(&acting, file.as_bytes()).await?;
    if let Some((line, message)) = report.errors.first() {
        anyhow::bail!("demo portal item on line {line}: {message}");
    }
    let services: Vec<serde_json::Value> = serde_json::from_str(SERVICES)?;
    for value in services {
        let list = |name: &str| {
            value
                .get(name)
                .map(|v| v.to_string())
                .unwrap_or_else(|| "[]".into())
        };
        let text = |name: &str| {
            value
                .get(name)
                .and_then(|v| v.as_str())
                .unwrap_or_default()
                .to_owned()
        };
        let service = Service {
            id: 0,
            code: text("code"),
            name: text("name"),
            field: text("field"),
            agency: text("agency"),
            level: text("level"),
            life_events: list("life_events"),
            description: text("description"),
            steps: list("steps"),
            documents: list("documents"),
            fees: text("fees"),
            processing_days: value
                .get("processing_days")
                .and_then(|v| v.as_i64())
                .unwrap_or(0),
            legal_basis: text("legal_basis"),
            forms: list("forms"),
            online_from: value
                .get("online_from")
                .and_then(|v| v.as_str())
                .map(str::to_owned),
            updated_at: 0,
        };
        let unchanged = portal.service(&service.code).await?.is_some_and(|stored| {
            Service {
                id: 0,
                updated_at: 0,
                ..stored
            } == service
        });
        if !unchanged {
            portal.save_service(&acting, &service).await?;
        }
    }
    Ok(())
}

/// Gives some demo items a revision history (an edited second version)
/// and publishes the demo agency's issued, unrecalled outgoing documents to
/// the portal's direction-documents category, through the same calls the
/// staff screens use. Runs after `demo::seed_documents`; idempotent (an
/// edited item is not edited again, a published document updates its item).
pub async fn seed_history_and_documents(node: &Node, ledger: &Ledger) -> anyhow::Result<()> {
    let dir = crate::portal_cmd::index_dir(node);
    let index = congso_search::SearchIndex::open(&dir)
        .with_context(|| format!("cannot open the search index at {}", dir.display()))?;
    let portal = Portal::new(node.db.clone(), ledger.clone(), Arc::new(index));
    let acting = Acting::operator("demo");
    for (external_id, correction) in [
        (
            "tin-2026-001",
            "Cập nhật: bổ sung danh sách đơn vị được khen thưởng tại hội nghị.",
        ),
        (
            "tin-2026-002",
            "Cập nhật: tài liệu tập huấn đã được đăng tải tại mục Văn bản chỉ đạo, điều hành.",
        ),
    ] {
        let Some(item) = congso_store::portal::item_by_external_id(&node.db, external_id).await?
        else {
            continue;
        };
        if item.revision > 1 {
            continue;
        }
        let category = portal
            .categories()
            .await?
            .into_iter()
            .find(|category| category.id == item.category_id)
            .context("a demo item has no category")?;
        let input = congso_portal::ItemInput {
            category: category.slug,
            title: item.title.clone(),
            summary: item.summary.clone(),
            body_html: format!(
                "{}<p><em>{}</em></p>",
                item.body_html,
                sanitize::escape(correction)
            ),
            metadata: serde_json::from_str(&item.metadata).unwrap_or_default(),
            published_at: None,
        };
        portal
            .update(&acting, item.id, Some(item.revision), &input)
            .await?;
    }

    let pki = crate::pki_cmd::node_pki(node).await?;
    let Some(service) = node.documents_service(ledger.clone(), pki).await? else {
        return Ok(());
    };
    let Some(credentials) = congso_store::accounts::find_credentials(&node.db, "giamdoc").await?
    else {
        return Ok(());
    };
    let reader = service.acting(credentials.user.id, "demo").await?;
    let outgoing = service
        .list(
            &reader,
            congso_docs::model::Direction::Outgoing,
            None,
            1000,
            0,
        )
        .await?;
    for row in outgoing {
        if row.issued_at.is_none() || row.recalled_at.is_some() || row.secrecy != 0 {
            continue;
        }
        let detail = service.get(&reader, row.id).await?;
        let source = congso_web::portal_document_source(&service, &detail);
        portal
            .publish_document(&acting, &source, Some("van-ban-chi-dao"))
            .await?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn decree_markdown_becomes_headed_html() {
        let html = markdown_to_html(DECREE_64);
        assert!(
            html.contains("<h3>Điều 1. Phạm vi điều chỉnh</h3>"),
            "{}",
            &html[..2000]
        );
        assert!(html.contains("<h2>Chương I — QUY ĐỊNH CHUNG</h2>"));
        assert!(!html.contains("**"));
        assert!(sanitize::clean_html(&html).contains("<h3>Điều 1. Phạm vi điều chỉnh</h3>"));
    }

    #[test]
    fn demo_data_parses() {
        let services: Vec<serde_json::Value> = serde_json::from_str(SERVICES).unwrap();
        assert!(services.len() >= 20);
        assert!(ITEMS.lines().count() >= 10);
        assert!(decree_line().unwrap().contains("64/2007/NĐ-CP"));
    }
}

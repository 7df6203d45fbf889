//! The public portal's content (Decree 64 Art. 14, 18, 20, 21): items in
//! categories, the draft → review → published workflow with roles,
//! scheduled publishing and unpublishing, revisions, the online retention
//! period of each category enforced by [`Portal::run_due`], the
//! public-service catalogue, JSONL import and export, and the search index
//! kept in step with what is public.
//!
//! Every change is one store call followed by one ledger entry; every
//! publish, unpublish and expiry updates the search index at once.

pub mod import;
pub mod media;
pub mod sanitize;
pub mod search_lists;

use std::sync::Arc;

use congso_core::access::{Action, RoleSet};
use congso_core::audit::{Actor, AuditAction};
use congso_search::{Document, Query, Results, SearchIndex};
use congso_store::ledger::{Ledger, NewEntry};
use congso_store::portal::{self as store, Category, Content, Item, Publication, Service};
use congso_store::{Db, StoreError};
use serde::{Deserialize, Serialize};

pub use congso_store::portal::NewCategory;
pub use media::{DocumentPublication, DocumentSource, SourceFile};

/// Longest title, in characters.
pub const MAX_TITLE_CHARS: usize = 500;
/// Longest summary, in characters.
pub const MAX_SUMMARY_CHARS: usize = 2_000;
/// Longest body, in bytes of HTML.
pub const MAX_BODY_BYTES: usize = 2 * 1024 * 1024;

const MICROS_PER_DAY: i64 = 86_400 * 1_000_000;

/// What can go wrong; messages are safe to show to the person acting.
#[derive(Debug, thiserror::Error)]
pub enum PortalError {
    #[error("not permitted")]
    Forbidden,
    #[error("{0} not found")]
    NotFound(String),
    #[error("{0}")]
    Invalid(String),
    #[error("{0}")]
    Conflict(String),
    #[error(transparent)]
    Store(StoreError),
    #[error("search index: {0}")]
    Search(#[from] congso_search::SearchError),
}

impl From<StoreError> for PortalError {
    fn from(error: StoreError) -> Self {
        match error {
            StoreError::NotFound { what } => PortalError::NotFound(what),
            StoreError::Conflict(message) => PortalError::Conflict(message),
            StoreError::Invalid(message) => PortalError::Invalid(message),
            other => PortalError::Store(other),
        }
    }
}

pub type Result<T, E = PortalError> = std::result::Result<T, E>;

/// Who acts, with which roles, from where.
#[derive(Debug, Clone)]
pub struct Acting {
    pub actor: Actor,
    roles: RoleSet,
    /// Operators at the command line and the node itself act with the
    /// node's own authority.
    node_authority: bool,
    pub source: String,
}

impl Acting {
    pub fn user(username: &str, roles: RoleSet, source: &str) -> Self {
        Acting {
            actor: Actor::User(username.to_owned()),
            roles,
            node_authority: false,
            source: source.to_owned(),
        }
    }

    pub fn operator(name: &str) -> Self {
        Acting {
            actor: Actor::Operator(name.to_owned()),
            roles: RoleSet::EMPTY,
            node_authority: true,
            source: "cli".to_owned(),
        }
    }

    pub fn system() -> Self {
        Acting {
            actor: Actor::System,
            roles: RoleSet::EMPTY,
            node_authority: true,
            source: "system".to_owned(),
        }
    }

    /// A user whose action elsewhere has a consequence on the portal that
    /// the node carries out whatever the user's portal roles (a recalled
    /// document leaves the public site).
    pub fn consequence_of(username: &str, source: &str) -> Self {
        Acting {
            actor: Actor::User(username.to_owned()),
            roles: RoleSet::EMPTY,
            node_authority: true,
            source: source.to_owned(),
        }
    }

    fn require(&self, action: Action) -> Result<()> {
        if self.node_authority || self.roles.permits(action) {
            Ok(())
        } else {
            Err(PortalError::Forbidden)
        }
    }

    fn name(&self) -> String {
        self.actor.to_code()
    }
}

/// Content types (Art. 14: what an agency portal must show).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Kind {
    News,
    Announcement,
    Legal,
    Disclosure,
    Organisation,
    Contact,
}

impl Kind {
    pub const ALL: [Kind; 6] = [
        Kind::News,
        Kind::Announcement,
        Kind::Legal,
        Kind::Disclosure,
        Kind::Organisation,
        Kind::Contact,
    ];

    pub fn code(self) -> &'static str {
        match self {
            Kind::News => "news",
            Kind::Announcement => "announcement",
            Kind::Legal => "legal",
            Kind::Disclosure => "disclosure",
            Kind::Organisation => "organisation",
            Kind::Contact => "contact",
        }
    }

    pub fn from_code(code: &str) -> Option<Kind> {
        Kind::ALL.into_iter().find(|kind| kind.code() == code)
    }
}

/// Item states.
pub mod status {
    pub const DRAFT: &str = "draft";
    pub const REVIEW: &str = "review";
    pub const SCHEDULED: &str = "scheduled";
    pub const PUBLISHED: &str = "published";
    pub const UNPUBLISHED: &str = "unpublished";
    pub const EXPIRED: &str = "expired";
}

/// What an editor submits.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ItemInput {
    pub category: String,
    pub title: String,
    pub summary: String,
    /// HTML; cleaned with the allow-list before it is stored.
    pub body_html: String,
    /// A JSON object of metadata (number, issued date, signer, attachments…).
    pub metadata: serde_json::Map<String, serde_json::Value>,
    /// The publication date to show, when the item was first published
    /// elsewhere (an imported item); microseconds.
    pub published_at: Option<i64>,
}

/// When to publish and unpublish.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Schedule {
    /// Publish at this time; now if `None` or past.
    pub publish_at: Option<i64>,
    /// Take the item off the public site at this time.
    pub unpublish_at: Option<i64>,
}

/// What [`Portal::run_due`] did.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct DueReport {
    pub published: Vec<i64>,
    pub unpublished: Vec<i64>,
    pub expired: Vec<i64>,
}

/// The portal service, shared by the web layer, the CLI and the jobs.
pub struct Portal {
    db: Db,
    ledger: Ledger,
    index: Arc<SearchIndex>,
    /// Serialises index writes with their commits.
    index_writes: tokio::sync::Mutex<()>,
    /// Bumped by every change made through this value, so caches of public
    /// pages know when to render again.
    generation: std::sync::atomic::AtomicU64,
    /// The saved search lists this value has applied to the index, as
    /// (name, `updated_at`) pairs (see [`Portal::load_search_lists`]).
    lists_applied: std::sync::Mutex<Vec<(String, i64)>>,
}

impl Portal {
    pub fn new(db: Db, ledger: Ledger, index: Arc<SearchIndex>) -> Self {
        Portal {
            db,
            ledger,
            index,
            index_writes: tokio::sync::Mutex::new(()),
            generation: std::sync::atomic::AtomicU64::new(0),
            lists_applied: std::sync::Mutex::new(Vec::new()),
        }
    }

    /// The generation of the public content: it changes whenever anything
    /// changes through this value (and when [`Portal::sync_index`] picks
    /// up another process's changes).
    pub fn generation(&self) -> u64 {
        self.generation.load(std::sync::atomic::Ordering::Acquire)
    }

    fn changed(&self) {
        self.generation
            .fetch_add(1, std::sync::atomic::Ordering::AcqRel);
    }

    pub fn db(&self) -> &Db {
        &self.db
    }

    pub fn index(&self) -> &Arc<SearchIndex> {
        &self.index
    }

    /// Creates or updates categories (matched by slug).
    pub async fn ensure_categories(&self, categories: &[NewCategory]) -> Result<()> {
        for category in categories {
            if Kind::from_code(&category.kind).is_none() {
                return Err(PortalError::Invalid(format!(
                    "category {}: unknown kind {:?}",
                    category.slug, category.kind
                )));
            }
            if category.retention_days.is_some_and(|days| days <= 0) {
                return Err(PortalError::Invalid(format!(
                    "category {}: the retention period must be a positive number of days",
                    category.slug
                )));
            }
            store::upsert_category(&self.db, category).await?;
            self.changed();
        }
        Ok(())
    }

    pub async fn categories(&self) -> Result<Vec<Category>> {
        Ok(store::categories(&self.db).await?)
    }

    async fn category(&self, slug: &str) -> Result<Category> {
        self.categories()
            .await?
            .into_iter()
            .find(|category| category.slug == slug)
            .ok_or_else(|| PortalError::Invalid(format!("unknown category {slug:?}")))
    }

    async fn category_by_id(&self, id: i64) -> Result<Category> {
        self.categories()
            .await?
            .into_iter()
            .find(|category| category.id == id)
            .ok_or_else(|| PortalError::NotFound(format!("category {id}")))
    }

    async fn content(&self, input: &ItemInput) -> Result<Content> {
        let title = clean_line(&input.title);
        if title.is_empty() {
            return Err(PortalError::Invalid("the title is empty".into()));
        }
        if title.chars().count() > MAX_TITLE_CHARS {
            return Err(PortalError::Invalid(format!(
                "the title is longer than {MAX_TITLE_CHARS} characters"
            )));
        }
        let summary = clean_line(&input.summary);
        if summary.chars().count() > MAX_SUMMARY_CHARS {
            return Err(PortalError::Invalid(format!(
                "the summary is longer than {MAX_SUMMARY_CHARS} characters"
            )));
        }
        if input.body_html.len() > MAX_BODY_BYTES {
            return Err(PortalError::Invalid(format!(
                "the body is larger than {} KiB",
                MAX_BODY_BYTES / 1024
            )));
        }
        let category = self.category(&input.category).await?;
        let body_html = sanitize::clean_html(&strip_controls(&input.body_html));
        let metadata = serde_json::Value::Object(input.metadata.clone()).to_string();
        Ok(Content {
            category_id: category.id,
            title,
            summary,
            body_html,
            metadata,
        })
    }

    async fn record(
        &self,
        acting: &Acting,
        action: AuditAction,
        item: i64,
        data: &[u8],
        details: serde_json::Value,
    ) -> Result<()> {
        self.changed();
        self.ledger
            .append(
                NewEntry::new(&acting.actor, action, format!("portal-item:{item}"))
                    .source(acting.source.clone())
                    .data(data)
                    .details(details),
            )
            .await?;
        Ok(())
    }

    /// Saves a new draft.
    pub async fn create(&self, acting: &Acting, input: &ItemInput) -> Result<i64> {
        self.create_with_id(acting, None, input).await
    }

    async fn create_with_id(
        &self,
        acting: &Acting,
        external_id: Option<&str>,
        input: &ItemInput,
    ) -> Result<i64> {
        acting.require(Action::PortalEdit)?;
        let content = self.content(input).await?;
        let now = congso_store::now().micros();
        let id = store::insert_item(&self.db, external_id, &content, &acting.name(), now).await?;
        if let Some(published_at) = input.published_at {
            store::set_publication(
                &self.db,
                id,
                &Publication {
                    status: status::DRAFT,
                    published_at: Some(published_at),
                    publish_at: None,
                    unpublish_at: None,
                    expires_at: None,
                },
                now,
            )
            .await?;
        }
        self.record(
            acting,
            AuditAction::PortalItemSaved,
            id,
            content.body_html.as_bytes(),
            serde_json::json!({"revision": 1, "title": content.title}),
        )
        .await?;
        Ok(id)
    }

    /// Saves new content as the next revision. A published item may only be
    /// changed by someone who may publish; the change is live at once.
    pub async fn update(
        &self,
        acting: &Acting,
        id: i64,
        expected_revision: Option<i64>,
        input: &ItemInput,
    ) -> Result<i64> {
        acting
            .require(Action::PortalEdit)
            .or_else(|_| acting.require(Action::PortalPublish))?;
        let item = self.item(id).await?;
        if matches!(item.status.as_str(), status::PUBLISHED | status::SCHEDULED) {
            acting.require(Action::PortalPublish)?;
        }
        let content = self.content(input).await?;
        let now = congso_store::now().micros();
        let revision = store::update_content(
            &self.db,
            id,
            expected_revision,
            &content,
            &acting.name(),
            now,
        )
        .await?;
        if let Some(published_at) = input.published_at {
            let category = self.category_by_id(content.category_id).await?;
            store::set_publication(
                &self.db,
                id,
                &Publication {
                    status: &item.status,
                    published_at: Some(published_at),
                    publish_at: item.publish_at,
                    unpublish_at: item.unpublish_at,
                    expires_at: expiry(&category, published_at),
                },
                now,
            )
            .await?;
        }
        self.record(
            acting,
            AuditAction::PortalItemSaved,
            id,
            content.body_html.as_bytes(),
            serde_json::json!({"revision": revision, "title": content.title}),
        )
        .await?;
        if item.status == status::PUBLISHED {
            self.index_item(id).await?;
        }
        Ok(revision)
    }

    /// Sends a draft (or an unpublished item) for review.
    pub async fn submit(&self, acting: &Acting, id: i64) -> Result<()> {
        acting.require(Action::PortalEdit)?;
        let item = self.item(id).await?;
        if !matches!(item.status.as_str(), status::DRAFT | status::UNPUBLISHED) {
            return Err(PortalError::Conflict(format!(
                "only a draft or an unpublished item can be sent for review (this one is {})",
                item.status
            )));
        }
        self.set_status(
            &item,
            status::REVIEW,
            item.published_at,
            None,
            item.unpublish_at,
        )
        .await?;
        self.record(
            acting,
            AuditAction::PortalItemSubmitted,
            id,
            item.body_html.as_bytes(),
            serde_json::json!({"revision": item.revision}),
        )
        .await
    }

    /// Publishes an item under review now, or schedules it. Returns the new
    /// status (`published`, `scheduled`, or `expired` when its category's
    /// retention period has already ended).
    pub async fn publish(
        &self,
        acting: &Acting,
        id: i64,
        schedule: Schedule,
    ) -> Result<&'static str> {
        acting.require(Action::PortalPublish)?;
        let item = self.item(id).await?;
        if !matches!(
            item.status.as_str(),
            status::REVIEW | status::UNPUBLISHED | status::SCHEDULED
        ) {
            return Err(PortalError::Conflict(format!(
                "only an item under review can be published (this one is {})",
                item.status
            )));
        }
        let now = congso_store::now().micros();
        if let (Some(from), Some(until)) = (schedule.publish_at, schedule.unpublish_at) {
            if until <= from {
                return Err(PortalError::Invalid(
                    "the unpublishing time must come after the publishing time".into(),
                ));
            }
        }
        if schedule.publish_at.is_some_and(|at| at > now) {
            self.set_status(
                &item,
                status::SCHEDULED,
                item.published_at,
                schedule.publish_at,
                schedule.unpublish_at,
            )
            .await?;
            self.record(
                acting,
                AuditAction::PortalItemScheduled,
                id,
                item.body_html.as_bytes(),
                serde_json::json!({"publish_at": schedule.publish_at, "unpublish_at": schedule.unpublish_at}),
            )
            .await?;
            return Ok(status::SCHEDULED);
        }
        self.go_live(acting, &item, schedule.unpublish_at, now)
            .await
    }

    async fn go_live(
        &self,
        acting: &Acting,
        item: &Item,
        unpublish_at: Option<i64>,
        now: i64,
    ) -> Result<&'static str> {
        let published_at = item.published_at.unwrap_or(now);
        let category = self.category_by_id(item.category_id).await?;
        let expires_at = expiry(&category, published_at);
        self.set_status(
            item,
            status::PUBLISHED,
            Some(published_at),
            None,
            unpublish_at,
        )
        .await?;
        self.index_item(item.id).await?;
        self.record(
            acting,
            AuditAction::PortalItemPublished,
            item.id,
            item.body_html.as_bytes(),
            serde_json::json!({"revision": item.revision, "expires_at": expires_at}),
        )
        .await?;
        if expires_at.is_some_and(|at| at <= now) {
            self.expire(item.id).await?;
            return Ok(status::EXPIRED);
        }
        Ok(status::PUBLISHED)
    }

    /// Takes an item off the public site (it stays in the staff archive).
    pub async fn unpublish(&self, acting: &Acting, id: i64) -> Result<()> {
        acting.require(Action::PortalPublish)?;
        let item = self.item(id).await?;
        if !matches!(item.status.as_str(), status::PUBLISHED | status::SCHEDULED) {
            return Err(PortalError::Conflict(format!(
                "the item is not published (it is {})",
                item.status
            )));
        }
        self.take_down(
            acting,
            &item,
            status::UNPUBLISHED,
            AuditAction::PortalItemUnpublished,
        )
        .await
    }

    async fn take_down(
        &self,
        acting: &Acting,
        item: &Item,
        new_status: &str,
        action: AuditAction,
    ) -> Result<()> {
        self.set_status(item, new_status, item.published_at, None, None)
            .await?;
        self.unindex(&index_id(item.id)).await?;
        self.record(
            acting,
            action,
            item.id,
            item.body_html.as_bytes(),
            serde_json::json!({"revision": item.revision}),
        )
        .await
    }

    async fn expire(&self, id: i64) -> Result<()> {
        let item = self.item(id).await?;
        self.take_down(
            &Acting::system(),
            &item,
            status::EXPIRED,
            AuditAction::PortalItemExpired,
        )
        .await
    }

    async fn set_status(
        &self,
        item: &Item,
        new_status: &str,
        published_at: Option<i64>,
        publish_at: Option<i64>,
        unpublish_at: Option<i64>,
    ) -> Result<()> {
        let category = self.category_by_id(item.category_id).await?;
        let expires_at = published_at.and_then(|at| expiry(&category, at));
        store::set_publication(
            &self.db,
            item.id,
            &Publication {
                status: new_status,
                published_at,
                publish_at,
                unpublish_at,
                expires_at,
            },
            congso_store::now().micros(),
        )
        .await?;
        Ok(())
    }

    /// Publishes scheduled items whose time has come, unpublishes those
    /// scheduled to end, and takes down items whose category's retention
    /// period has ended (Art. 20.2d). Each change is a ledger entry by the
    /// node itself. Run by the node's background job.
    pub async fn run_due(&self, now: i64) -> Result<DueReport> {
        let mut report = DueReport::default();
        let system = Acting::system();
        for id in store::due_to_publish(&self.db, now).await? {
            let item = self.item(id).await?;
            self.go_live(&system, &item, item.unpublish_at, now).await?;
            report.published.push(id);
        }
        for id in store::due_to_unpublish(&self.db, now).await? {
            let item = self.item(id).await?;
            self.take_down(
                &system,
                &item,
                status::UNPUBLISHED,
                AuditAction::PortalItemUnpublished,
            )
            .await?;
            report.unpublished.push(id);
        }
        for id in store::due_to_expire(&self.db, now).await? {
            self.expire(id).await?;
            report.expired.push(id);
        }
        Ok(report)
    }

    /// One item in any state (staff view).
    pub async fn item(&self, id: i64) -> Result<Item> {
        store::item(&self.db, id)
            .await?
            .ok_or_else(|| PortalError::NotFound(format!("portal item {id}")))
    }

    /// A published item, or `None` (missing, draft, unpublished or expired
    /// items all look the same to the public).
    pub async fn public_item(&self, id: i64) -> Result<Option<Item>> {
        Ok(store::item(&self.db, id)
            .await?
            .filter(|item| item.status == status::PUBLISHED))
    }

    pub async fn revisions(&self, id: i64) -> Result<Vec<store::Revision>> {
        Ok(store::revisions(&self.db, id).await?)
    }

    /// Creates or replaces a service of the catalogue and indexes it.
    pub async fn save_service(&self, acting: &Acting, service: &Service) -> Result<i64> {
        acting.require(Action::PortalPublish)?;
        validate_service(service)?;
        let id = store::upsert_service(&self.db, service, congso_store::now().micros()).await?;
        {
            let _guard = self.index_writes.lock().await;
            self.index.upsert(&service_document(service))?;
            self.index.commit()?;
        }
        self.changed();
        self.ledger
            .append(
                NewEntry::new(
                    &acting.actor,
                    AuditAction::PortalServiceSaved,
                    format!("portal-service:{}", service.code),
                )
                .source(acting.source.clone())
                .data(service.name.as_bytes()),
            )
            .await?;
        Ok(id)
    }

    pub async fn services(&self) -> Result<Vec<Service>> {
        Ok(store::services(&self.db).await?)
    }

    pub async fn service(&self, code: &str) -> Result<Option<Service>> {
        Ok(store::service_by_code(&self.db, code).await?)
    }

    /// The search document of a published item.
    async fn item_document(&self, item: &Item) -> Result<Document> {
        let category = self.category_by_id(item.category_id).await?;
        Ok(item_document(item, &category))
    }

    async fn index_item(&self, id: i64) -> Result<()> {
        let item = self.item(id).await?;
        let document = self.item_document(&item).await?;
        let _guard = self.index_writes.lock().await;
        self.index.upsert(&document)?;
        self.index.commit()?;
        self.changed();
        Ok(())
    }

    async fn unindex(&self, id: &str) -> Result<()> {
        let _guard = self.index_writes.lock().await;
        self.index.delete(id)?;
        self.index.commit()?;
        self.changed();
        Ok(())
    }

    /// Rebuilds the whole index from what is public now; returns the number
    /// of documents.
    pub async fn reindex(&self) -> Result<u64> {
        let categories = self.categories().await?;
        let mut documents = Vec::new();
        let mut offset = 0;
        loop {
            let page = store::published(&self.db, None, 1000, offset).await?;
            if page.is_empty() {
                break;
            }
            offset += page.len() as i64;
            for item in &page {
                if let Some(category) = categories.iter().find(|c| c.id == item.category_id) {
                    documents.push(item_document(item, category));
                }
            }
        }
        for service in self.services().await? {
            documents.push(service_document(&service));
        }
        let _guard = self.index_writes.lock().await;
        let index = self.index.clone();
        let count = tokio::task::spawn_blocking(move || index.rebuild(documents))
            .await
            .map_err(|_| PortalError::Invalid("the index rebuild was interrupted".into()))??;
        self.changed();
        Ok(count)
    }

    /// Brings the index up to date with changes made after `since`
    /// (microseconds) by another process, such as `congso portal import`
    /// while the node runs; returns the new watermark.
    pub async fn sync_index(&self, since: i64) -> Result<i64> {
        let categories = self.categories().await?;
        let mut watermark = since;
        let mut changed = false;
        let _guard = self.index_writes.lock().await;
        loop {
            let items = store::items_changed_since(&self.db, watermark, 500).await?;
            let Some(last) = items.last() else { break };
            watermark = last.updated_at;
            for item in &items {
                let category = categories.iter().find(|c| c.id == item.category_id);
                match category {
                    Some(category) if item.status == status::PUBLISHED => {
                        self.index.upsert(&item_document(item, category))?
                    }
                    _ => self.index.delete(&index_id(item.id))?,
                }
            }
            changed = true;
        }
        for service in store::services_changed_since(&self.db, since).await? {
            watermark = watermark.max(service.updated_at);
            self.index.upsert(&service_document(&service))?;
            changed = true;
        }
        if changed {
            self.index.commit()?;
            self.changed();
        }
        Ok(watermark)
    }

    /// Searches what is public (CPU work on a blocking thread).
    pub async fn search(&self, query: Query) -> Result<Results> {
        let index = self.index.clone();
        tokio::task::spawn_blocking(move || index.search(&query))
            .await
            .map_err(|_| PortalError::Invalid("the search was interrupted".into()))?
            .map_err(PortalError::from)
    }

    /// The imported ids of items, by item id, for API answers.
    pub async fn external_ids(&self, ids: &[i64]) -> Result<Vec<(i64, Option<String>)>> {
        let mut out = Vec::with_capacity(ids.len());
        for id in ids {
            let item = store::item(&self.db, *id).await?;
            out.push((*id, item.and_then(|item| item.external_id)));
        }
        Ok(out)
    }
}

/// When an item published at `published_at` leaves the public site.
fn expiry(category: &Category, published_at: i64) -> Option<i64> {
    category
        .retention_days
        .map(|days| published_at.saturating_add(days.saturating_mul(MICROS_PER_DAY)))
}

/// The search index id of an item.
pub fn index_id(item_id: i64) -> String {
    format!("item-{item_id}")
}

/// The item id behind a search index id, if it is an item's.
pub fn item_id_of(index_id: &str) -> Option<i64> {
    index_id.strip_prefix("item-")?.parse().ok()
}

/// The public address of an item.
pub fn item_url(item_id: i64) -> String {
    format!("/noi-dung/{item_id}")
}

/// The public address of a service.
pub fn service_url(code: &str) -> String {
    format!("/dich-vu/{code}")
}

fn item_document(item: &Item, category: &Category) -> Document {
    let text = sanitize::html_to_text(&item.body_html);
    Document {
        id: index_id(item.id),
        title: item.title.clone(),
        body: if item.summary.is_empty() {
            text
        } else {
            format!("{}\n{}", item.summary, text)
        },
        url: item_url(item.id),
        kind: category.kind.clone(),
        category: category.slug.clone(),
        published: item.published_at.and_then(vn_date),
    }
}

/// The search index id of a service.
pub fn service_index_id(code: &str) -> String {
    format!("service-{code}")
}

fn service_document(service: &Service) -> Document {
    let list = |json: &str| -> String {
        serde_json::from_str::<Vec<String>>(json)
            .unwrap_or_default()
            .join("\n")
    };
    Document {
        id: service_index_id(&service.code),
        title: service.name.clone(),
        // Every service is an administrative procedure (thủ tục hành
        // chính): people search for it with those words.
        body: format!(
            "Thủ tục hành chính. {}\n{}\n{}\n{}\n{}\n{}",
            service.description,
            service.field,
            service.agency,
            list(&service.steps),
            list(&service.documents),
            list(&service.life_events)
        ),
        url: service_url(&service.code),
        kind: "service".to_owned(),
        category: service.field.clone(),
        published: None,
    }
}

fn validate_service(service: &Service) -> Result<()> {
    let invalid = |message: String| Err(PortalError::Invalid(message));
    if service.code.is_empty()
        || service.code.len() > 64
        || !service
            .code
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '.' || c == '-' || c == '_')
    {
        return invalid(format!(
            "service code {:?}: 1 to 64 letters, digits, '.', '-' or '_'",
            service.code
        ));
    }
    if clean_line(&service.name).is_empty() {
        return invalid(format!("service {}: the name is empty", service.code));
    }
    if !matches!(service.level.as_str(), "full" | "partial") {
        return invalid(format!(
            "service {}: level must be full or partial",
            service.code
        ));
    }
    if service.processing_days < 0 {
        return invalid(format!(
            "service {}: the processing time cannot be negative",
            service.code
        ));
    }
    for (what, json) in [
        ("life_events", &service.life_events),
        ("steps", &service.steps),
        ("documents", &service.documents),
    ] {
        if serde_json::from_str::<Vec<String>>(json).is_err() {
            return invalid(format!(
                "service {}: {what} must be a JSON list of strings",
                service.code
            ));
        }
    }
    if serde_json::from_str::<Vec<Form>>(&service.forms).is_err() {
        return invalid(format!(
            "service {}: forms must be a JSON list of {{\"name\",\"url\"}}",
            service.code
        ));
    }
    Ok(())
}

/// A downloadable form of a service.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Form {
    pub name: String,
    pub url: String,
}

/// The Vietnam-local calendar day of a timestamp.
pub fn vn_date(micros: i64) -> Option<congso_search::Date> {
    let seconds = micros.div_euclid(1_000_000) + 7 * 3600;
    time::OffsetDateTime::from_unix_timestamp(seconds)
        .ok()
        .map(|moment| moment.date())
}

/// One line of text: control characters removed, whitespace collapsed.
pub fn clean_line(text: &str) -> String {
    strip_controls(text)
        .split_whitespace()
        .collect::<Vec<_>>()
        .join(" ")
}

/// Removes control characters other than tab and line breaks.
fn strip_controls(text: &str) -> String {
    text.chars()
        .filter(|c| !c.is_control() || matches!(c, '\n' | '\r' | '\t'))
        .collect()
}

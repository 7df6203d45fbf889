//! The demo agency: a provincial Department of Information and
//! Communications with its units and staff of every role, so a new user sees
//! a realistic node at once. All names and codes are fictional demo data.

use anyhow::Context;
use congso_core::access::{AccountKind, Role, RoleSet};
use congso_core::audit::{Actor, AuditAction};
use congso_store::accounts::{self, NewOrganization, NewUser};
use congso_store::ledger::{Ledger, NewEntry};
use congso_store::secrets;

use crate::node::Node;

/// The organ code of the demo agency (form `NNN.NN.NN.LNN`).
pub const DEMO_ORGAN_CODE: &str = "000.21.32.H06";
/// The password of every demo account (demo data only).
pub const DEMO_PASSWORD: &str = "congso-demo-2026";

/// One demo login, for the banner.
pub struct DemoLogin {
    pub username: &'static str,
    pub display_name: &'static str,
    pub role: Role,
    pub unit: Option<&'static str>,
    pub position: &'static str,
    pub kind: AccountKind,
}

const UNITS: &[(&str, &str, &str, &str)] = &[
    (
        "001.21.32.H06",
        "Văn phòng Sở",
        "Office of the Department",
        "VP",
    ),
    (
        "002.21.32.H06",
        "Phòng Kế hoạch - Tài chính",
        "Planning and Finance Division",
        "KHTC",
    ),
    (
        "003.21.32.H06",
        "Phòng Công nghệ thông tin",
        "Information Technology Division",
        "CNTT",
    ),
    (
        "004.21.32.H06",
        "Phòng Bưu chính - Viễn thông",
        "Post and Telecommunications Division",
        "BCVT",
    ),
    (
        "005.21.32.H06",
        "Phòng Thông tin - Báo chí - Xuất bản",
        "Information, Press and Publishing Division",
        "TTBCXB",
    ),
    (
        "006.21.32.H06",
        "Thanh tra Sở",
        "Department Inspectorate",
        "TTr",
    ),
    (
        "007.21.32.H06",
        "Trung tâm Công nghệ thông tin và Truyền thông",
        "ICT Centre",
        "TTCNTT",
    ),
];

pub const LOGINS: &[DemoLogin] = &[
    DemoLogin {
        username: "quantri",
        display_name: "Nguyễn Văn Quân",
        role: Role::Administrator,
        unit: Some("TTCNTT"),
        position: "Quản trị hệ thống",
        kind: AccountKind::Staff,
    },
    DemoLogin {
        username: "cntt",
        display_name: "Trần Minh Tuấn",
        role: Role::ItOfficer,
        unit: Some("CNTT"),
        position: "Trưởng phòng Công nghệ thông tin",
        kind: AccountKind::Staff,
    },
    DemoLogin {
        username: "vanthu",
        display_name: "Lê Thị Hoa",
        role: Role::Clerk,
        unit: Some("VP"),
        position: "Văn thư",
        kind: AccountKind::Staff,
    },
    DemoLogin {
        username: "chuyenvien",
        display_name: "Phạm Quốc Bảo",
        role: Role::Specialist,
        unit: Some("BCVT"),
        position: "Chuyên viên",
        kind: AccountKind::Staff,
    },
    DemoLogin {
        username: "giamdoc",
        display_name: "Hoàng Văn Thắng",
        role: Role::Leader,
        unit: None,
        position: "Giám đốc Sở",
        kind: AccountKind::Staff,
    },
    DemoLogin {
        username: "phogiamdoc",
        display_name: "Đặng Thị Mai",
        role: Role::Leader,
        unit: None,
        position: "Phó Giám đốc Sở",
        kind: AccountKind::Staff,
    },
    DemoLogin {
        username: "antoan",
        display_name: "Vũ Đức Anh",
        role: Role::SecurityOfficer,
        unit: Some("CNTT"),
        position: "Chuyên viên an toàn thông tin",
        kind: AccountKind::Staff,
    },
    DemoLogin {
        username: "baomat",
        display_name: "Bùi Thị Lan",
        role: Role::PrivacyOfficer,
        unit: Some("VP"),
        position: "Cán bộ bảo vệ dữ liệu cá nhân",
        kind: AccountKind::Staff,
    },
    DemoLogin {
        username: "congdan",
        display_name: "Ngô Thị Hạnh",
        role: Role::Citizen,
        unit: None,
        position: "",
        kind: AccountKind::Citizen,
    },
];

/// Seeds the demo agency unless the node already has an agency. Returns
/// the administrator's TOTP secret.
pub async fn seed(node: &Node, ledger: &Ledger) -> anyhow::Result<String> {
    let actor = Actor::Operator("demo".to_owned());
    if accounts::home_agency(&node.db).await?.is_none() {
        let agency_id = accounts::create_organization(
            &node.db,
            &NewOrganization {
                kind: "agency".into(),
                organ_code: Some(DEMO_ORGAN_CODE.into()),
                name: "Sở Thông tin và Truyền thông tỉnh Bắc Ninh".into(),
                name_en: Some("Bac Ninh Department of Information and Communications".into()),
                short_name: Some("STTTT".into()),
                address: Some(
                    "Số 8 đường Lý Thái Tổ, phường Suối Hoa, TP. Bắc Ninh, tỉnh Bắc Ninh".into(),
                ),
                phone: Some("0222 3822 555".into()),
                email: Some("stttt@bacninh.gov.vn".into()),
                website: Some("https://stttt.bacninh.gov.vn".into()),
                parent_id: None,
            },
        )
        .await?;
        let mut unit_ids = Vec::new();
        for (code, name, name_en, short) in UNITS {
            let id = accounts::create_organization(
                &node.db,
                &NewOrganization {
                    parent_id: Some(agency_id),
                    kind: "unit".into(),
                    organ_code: Some((*code).into()),
                    name: (*name).into(),
                    name_en: Some((*name_en).into()),
                    short_name: Some((*short).into()),
                    ..Default::default()
                },
            )
            .await?;
            unit_ids.push((*short, id));
        }
        ledger
            .append(
                NewEntry::new(
                    &actor,
                    AuditAction::OrganizationCreated,
                    format!("organization:{agency_id}"),
                )
                .source("cli")
                .details(
                    serde_json::json!({ "organ_code": DEMO_ORGAN_CODE, "units": UNITS.len() }),
                ),
            )
            .await?;
        let hasher = node.password_hasher();
        let password_hash = hasher
            .hash_blocking(DEMO_PASSWORD)
            .map_err(|error| anyhow::anyhow!("argon2: {error}"))?;
        for login in LOGINS {
            let unit_id = login.unit.and_then(|short| {
                unit_ids
                    .iter()
                    .find(|(s, _)| *s == short)
                    .map(|(_, id)| *id)
            });
            let staff = login.kind == AccountKind::Staff;
            let id = accounts::create_user(
                &node.db,
                &NewUser {
                    username: login.username.to_owned(),
                    display_name: login.display_name.to_owned(),
                    email: Some(format!("{}@demo.congso.vn", login.username)),
                    kind: login.kind,
                    organization_id: staff.then_some(agency_id),
                    unit_id,
                    position: (!login.position.is_empty()).then(|| login.position.to_owned()),
                    roles: RoleSet::single(login.role),
                    password_hash: password_hash.clone(),
                    must_change_password: false,
                },
            )
            .await?;
            ledger
                .append(
                    NewEntry::new(&actor, AuditAction::UserCreated, format!("user:{id}"))
                        .source("cli")
                        .details(serde_json::json!({ "username": login.username, "roles": login.role.code() })),
                )
                .await?;
            if login.role == Role::Administrator {
                // Administrators must use a second factor; the demo enrols
                // one up front and prints its secret so the demo can be used
                // with any authenticator app (or `oathtool --totp -b`).
                let secret = congso_web::totp::generate_secret();
                let sealed = node
                    .sealer
                    .seal(secret.as_bytes(), &format!("users/{id}/totp"))?;
                accounts::set_totp_secret(&node.db, id, Some(&sealed)).await?;
                ledger
                    .append(
                        NewEntry::new(&actor, AuditAction::TwoFactorEnabled, format!("user:{id}"))
                            .source("cli"),
                    )
                    .await?;
            }
        }
        secrets::meta_set(&node.db, "demo", "1").await?;
    }
    crate::demo_portal::seed(node, ledger).await?;
    admin_totp_secret(node).await
}

async fn admin_totp_secret(node: &Node) -> anyhow::Result<String> {
    let credentials = accounts::find_credentials(&node.db, "quantri")
        .await?
        .context("the demo administrator `quantri` no longer exists")?;
    let sealed = credentials
        .totp_secret_sealed
        .context("the demo administrator has no second factor enrolled")?;
    let secret = node
        .sealer
        .open(&sealed, &format!("users/{}/totp", credentials.user.id))?;
    Ok(String::from_utf8(secret)?)
}

/// The banner printed when the demo is ready.
pub fn banner(url: &str, data_dir: &std::path::Path, totp_secret: &str) -> String {
    let mut text = String::new();
    text.push_str("\n================================================================\n");
    text.push_str(" congso demo: Sở Thông tin và Truyền thông tỉnh Bắc Ninh (demo)\n");
    text.push_str(&format!(" Mở / Open:   {url}/\n"));
    text.push_str(&format!(" Dữ liệu / Data: {}\n", data_dir.display()));
    text.push_str(&format!(
        " Mật khẩu mọi tài khoản / Password of every account: {DEMO_PASSWORD}\n"
    ));
    text.push_str(" Tài khoản / Logins:\n");
    for login in LOGINS {
        text.push_str(&format!(
            "   {:<12} {:<18} {}\n",
            login.username,
            login.role.code(),
            login.display_name
        ));
    }
    text.push_str(&format!(
        " Quản trị viên cần mã TOTP / The administrator needs a TOTP code:\n   secret {totp_secret}\n   (authenticator app, or: oathtool --totp -b {totp_secret})\n"
    ));
    text.push_str(" Dừng / Stop: Ctrl-C\n");
    text.push_str("================================================================\n");
    text
}

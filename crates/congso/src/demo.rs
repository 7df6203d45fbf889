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

/// One demo document and the workflow steps it is taken through.
struct DemoDocument {
    summary: &'static str,
    type_code: &'static str,
    /// Incoming: the sender; outgoing: `None`.
    sender: Option<(&'static str, &'static str, &'static str, &'static str)>,
    urgency: congso_docs::model::Urgency,
    /// The steps after registration (incoming) or drafting (outgoing).
    steps: &'static [&'static str],
}

const INCOMING: &[DemoDocument] = &[
    DemoDocument {
        summary: "Về việc triển khai Đề án phát triển ứng dụng dữ liệu về dân cư, định danh và xác thực điện tử năm 2027",
        type_code: "cong-van",
        sender: Some(("000.00.00.H06", "Ủy ban nhân dân tỉnh Bắc Ninh", "1250", "UBND-KSTT")),
        urgency: congso_docs::model::Urgency::Urgent,
        steps: &[],
    },
    DemoDocument {
        summary: "Về việc báo cáo tình hình bảo đảm an toàn thông tin mạng quý IV năm 2026",
        type_code: "cong-van",
        sender: Some(("000.00.12.G01", "Cục An toàn thông tin", "845", "CATTT-NCSC")),
        urgency: congso_docs::model::Urgency::Normal,
        steps: &["assign"],
    },
    DemoDocument {
        summary: "Về việc góp ý dự thảo Quy chế quản lý, vận hành Trung tâm dữ liệu tỉnh",
        type_code: "cong-van",
        sender: Some(("000.00.07.H06", "Sở Tài chính tỉnh Bắc Ninh", "3012", "STC-QLNS")),
        urgency: congso_docs::model::Urgency::Normal,
        steps: &["assign", "start"],
    },
    DemoDocument {
        summary: "Kế hoạch tổ chức Ngày Chuyển đổi số tỉnh Bắc Ninh năm 2026",
        type_code: "ke-hoach",
        sender: Some(("000.00.00.H06", "Ủy ban nhân dân tỉnh Bắc Ninh", "210", "KH-UBND")),
        urgency: congso_docs::model::Urgency::Normal,
        steps: &["assign", "start", "finish"],
    },
    DemoDocument {
        summary: "Về việc cung cấp số liệu thống kê dịch vụ công trực tuyến tháng 10 năm 2026",
        type_code: "cong-van",
        sender: Some(("000.00.16.H06", "Văn phòng Ủy ban nhân dân tỉnh", "5521", "VP-KSTT")),
        urgency: congso_docs::model::Urgency::VeryUrgent,
        steps: &["assign-overdue"],
    },
];

const OUTGOING: &[DemoDocument] = &[
    DemoDocument {
        summary: "Về việc đôn đốc cập nhật dữ liệu thủ tục hành chính trên Cổng Dịch vụ công",
        type_code: "cong-van",
        sender: None,
        urgency: congso_docs::model::Urgency::Normal,
        steps: &[],
    },
    DemoDocument {
        summary: "Báo cáo kết quả thực hiện chuyển đổi số năm 2026 của Sở Thông tin và Truyền thông",
        type_code: "bao-cao",
        sender: None,
        urgency: congso_docs::model::Urgency::Normal,
        steps: &["submit"],
    },
    DemoDocument {
        summary: "Quyết định ban hành Quy chế bảo đảm an toàn thông tin mạng trong hoạt động của Sở",
        type_code: "quyet-dinh",
        sender: None,
        urgency: congso_docs::model::Urgency::Normal,
        steps: &["submit", "review"],
    },
    DemoDocument {
        summary: "Kế hoạch tập huấn kỹ năng số cho cán bộ, công chức năm 2027",
        type_code: "ke-hoach",
        sender: None,
        urgency: congso_docs::model::Urgency::Normal,
        steps: &["submit", "review", "approve"],
    },
    DemoDocument {
        summary: "Về việc cử cán bộ tham gia diễn tập ứng cứu sự cố an toàn thông tin mạng",
        type_code: "cong-van",
        sender: None,
        urgency: congso_docs::model::Urgency::Urgent,
        steps: &["submit", "review", "approve", "sign"],
    },
    DemoDocument {
        summary: "Quyết định thành lập Tổ công tác triển khai Nền tảng tích hợp, chia sẻ dữ liệu cấp tỉnh",
        type_code: "quyet-dinh",
        sender: None,
        urgency: congso_docs::model::Urgency::Normal,
        steps: &["submit", "review", "approve", "sign", "issue"],
    },
    DemoDocument {
        summary: "Thông báo lịch tiếp công dân năm 2027 của Sở Thông tin và Truyền thông",
        type_code: "thong-bao",
        sender: None,
        urgency: congso_docs::model::Urgency::Normal,
        steps: &["submit", "review", "approve", "sign", "issue", "dispatch"],
    },
    DemoDocument {
        summary: "Về việc tạm dừng cung cấp dịch vụ thư điện tử công vụ để bảo trì",
        type_code: "cong-van",
        sender: None,
        urgency: congso_docs::model::Urgency::Normal,
        steps: &["submit", "review", "approve", "sign", "issue", "recall"],
    },
];

/// Seeds documents in both registers at every workflow stage — incoming
/// ones registered, assigned, being processed, done and overdue; outgoing
/// ones from draft through review, approval, signing (PAdES with the node
/// CA and TSA), issue and dispatch, and one recalled — so a new user sees
/// the whole flow. Runs once, on a node with the demo agency and no
/// documents yet; every step goes through the documents service, so each
/// is checked, ledgered and archived exactly as in real use.
pub async fn seed_documents(node: &Node, ledger: &Ledger) -> anyhow::Result<()> {
    use congso_docs::files::Upload;
    use congso_docs::model::{DocumentMetadata, Party, Secrecy, Signer, SigningAuthority};
    use congso_docs::service::{AssignTo, Due, TransitionRequest};
    use congso_vn::calendar::Period;

    if secrets::meta_get(&node.db, "demo_documents")
        .await?
        .is_some()
    {
        return Ok(());
    }
    let pki = crate::pki_cmd::node_pki(node).await?;
    let Some(service) = node.documents_service(ledger.clone(), pki.clone()).await? else {
        return Ok(());
    };
    let service = &service;
    let user = |name: &'static str| async move {
        let credentials = accounts::find_credentials(&node.db, name)
            .await?
            .with_context(|| format!("demo account {name} is missing"))?;
        anyhow::Ok(service.acting(credentials.user.id, "demo").await?)
    };
    let clerk = user("vanthu").await?;
    let specialist = user("chuyenvien").await?;
    let director = user("giamdoc").await?;
    let deputy = user("phogiamdoc").await?;
    let operator = Actor::Operator("demo".to_owned());
    pki.issue(
        ledger,
        &operator,
        "giamdoc",
        congso_archive::KeyAlgorithm::EcdsaP256,
    )
    .await?;
    pki.issue(
        ledger,
        &operator,
        "phogiamdoc",
        congso_archive::KeyAlgorithm::EcdsaP256,
    )
    .await?;
    let today = congso_docs::service::vn_date(congso_store::now());
    let pdf = |title: &str| congso_archive::samples::text_pdf(title, 1);

    for (index, demo) in INCOMING.iter().enumerate() {
        let (code, name, number, notation) = demo.sender.context("incoming demo without sender")?;
        let sender = Party {
            organ_code: Some(code.to_owned()),
            name: name.to_owned(),
        };
        let metadata = DocumentMetadata {
            type_code: demo.type_code.to_owned(),
            issuer: sender.clone(),
            sender: Some(sender),
            number: Some(number.to_owned()),
            notation: Some(notation.to_owned()),
            issue_date: Some(today - congso_vn::time::Duration::days(3 + index as i64)),
            summary: demo.summary.to_owned(),
            urgency: demo.urgency,
            secrecy: Secrecy::None,
            page_count: Some(1),
            ..DocumentMetadata::default()
        };
        let bytes = pdf(&format!("{number}/{notation}"));
        let registered = service
            .register_incoming(
                &clerk,
                metadata,
                Some(Upload {
                    name: format!("{number}-{}.pdf", notation.to_lowercase()),
                    mime: "application/pdf".to_owned(),
                    reader: bytes.as_slice(),
                }),
                Vec::new(),
            )
            .await?;
        let id = registered.document_id;
        for step in demo.steps {
            match *step {
                "assign" | "assign-overdue" => {
                    let due = if *step == "assign" {
                        Due::Period(Period::Working(5))
                    } else {
                        Due::Date(today - congso_vn::time::Duration::days(7))
                    };
                    service
                        .assign(
                            &director,
                            id,
                            AssignTo {
                                user_id: Some(specialist.user_id),
                                unit_id: specialist.unit_id,
                                due: Some(due),
                            },
                            Some("Phòng Bưu chính - Viễn thông chủ trì, tham mưu.".to_owned()),
                        )
                        .await?;
                }
                step => {
                    service
                        .transition(
                            &specialist,
                            id,
                            TransitionRequest {
                                transition: step.to_owned(),
                                ..TransitionRequest::default()
                            },
                        )
                        .await?;
                }
            }
        }
    }

    for (index, demo) in OUTGOING.iter().enumerate() {
        let leader = if index % 2 == 0 { &director } else { &deputy };
        let signer = if index % 2 == 0 {
            Signer {
                authority: None,
                on_behalf_of: None,
                position: Some("GIÁM ĐỐC".to_owned()),
                full_name: director.display_name.clone(),
            }
        } else {
            Signer {
                authority: Some(SigningAuthority::Deputy),
                on_behalf_of: Some("GIÁM ĐỐC".to_owned()),
                position: Some("PHÓ GIÁM ĐỐC".to_owned()),
                full_name: deputy.display_name.clone(),
            }
        };
        let metadata = DocumentMetadata {
            type_code: demo.type_code.to_owned(),
            summary: demo.summary.to_owned(),
            signer: Some(signer),
            recipients: vec![
                Party {
                    organ_code: Some("000.00.00.H06".to_owned()),
                    name: "Ủy ban nhân dân tỉnh Bắc Ninh".to_owned(),
                },
                Party {
                    organ_code: None,
                    name: "Lưu: VT, BCVT".to_owned(),
                },
            ],
            urgency: demo.urgency,
            page_count: Some(1),
            ..DocumentMetadata::default()
        };
        let id = service.create_draft(&specialist, metadata).await?;
        let bytes = pdf(demo.summary);
        service
            .attach_file(
                &specialist,
                id,
                congso_docs::files::FileKind::Original,
                Upload {
                    name: format!("du-thao-{}.pdf", index + 1),
                    mime: "application/pdf".to_owned(),
                    reader: bytes.as_slice(),
                },
            )
            .await?;
        for step in demo.steps {
            let actor = match *step {
                "submit" => &specialist,
                "issue" | "dispatch" => &clerk,
                _ => leader,
            };
            match *step {
                "sign" => {
                    service.sign(actor, id).await?;
                }
                "recall" => {
                    service
                        .recall(actor, id, "Phát hiện sai sót về thời gian tạm dừng; sẽ ban hành văn bản thay thế.")
                        .await?;
                }
                step => {
                    service
                        .transition(
                            actor,
                            id,
                            TransitionRequest {
                                transition: step.to_owned(),
                                ..TransitionRequest::default()
                            },
                        )
                        .await?;
                }
            }
        }
    }
    secrets::meta_set(&node.db, "demo_documents", "1").await?;
    Ok(())
}

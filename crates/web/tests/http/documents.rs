//! The document screens end to end, as clerk, leader and specialist use
//! them: registering an incoming document by upload (streamed multipart),
//! duplicate and bad-file refusals, assignment with a due date in working
//! days and the assignee's notification, processing to done; drafting an
//! outgoing document through review, approval, signing (PAdES with the
//! node CA and TSA), numbering, dispatch and the archive package; register
//! export; secrecy in lists and search; recall.

use axum::http::StatusCode;
use congso_core::access::{Role, RoleSet};
use congso_store::Db;

use crate::harness::{Client, Harness, Reply};

const CLERK_NAME: &str = "van.thu";

fn pdf(title: &str) -> Vec<u8> {
    congso_archive::samples::text_pdf(title, 1)
}

/// The document id a registration or draft redirected to.
fn document_id(reply: &Reply) -> i64 {
    assert_eq!(reply.status, StatusCode::SEE_OTHER, "{}", reply.body);
    let location = reply.location();
    let rest = location
        .strip_prefix("/documents/")
        .unwrap_or_else(|| panic!("redirected to {location}"));
    rest.split(['?', '/'])
        .next()
        .unwrap()
        .parse()
        .unwrap_or_else(|_| panic!("redirected to {location}"))
}

async fn upload(
    client: &mut Client,
    path: &str,
    fields: &[(&str, &str)],
    files: &[(&str, &str, &str, &[u8])],
) -> Reply {
    let token = client.token().await;
    let action = format!("{path}?csrf={}", urlencode(&token));
    client.post_multipart(&action, fields, files).await
}

fn urlencode(text: &str) -> String {
    serde_urlencoded::to_string([("x", text)]).unwrap()[2..].to_owned()
}

fn incoming_fields<'a>(summary: &'a str, number: &'a str) -> Vec<(&'a str, &'a str)> {
    vec![
        ("sender_name", "Sở Tài chính tỉnh Bắc Ninh"),
        ("sender_code", "000.00.12.H06"),
        ("type_code", "cong-van"),
        ("number", number),
        ("notation", "STC-NS"),
        ("issue_date", "2026-11-20"),
        ("summary", summary),
        ("urgency", "1"),
        ("secrecy", "0"),
    ]
}

async fn incoming_register_assign_process(db: Db) {
    let h = Harness::with_documents(db, |_| {}).await;
    let clerk = h.user(CLERK_NAME, Role::Clerk).await;
    let leader = h.user("lanh.dao", Role::Leader).await;
    let specialist = h.user("chuyen.vien", Role::Specialist).await;
    let mut clerk_client = h.client();
    clerk_client.sign_in(&clerk).await;

    // The staff home links to the documents; the form renders.
    let staff = clerk_client.get("/staff").await;
    assert!(staff.body.contains("href=\"/documents\""), "{}", staff.body);
    let form = clerk_client.get("/documents/incoming/new").await;
    assert_eq!(form.status, StatusCode::OK);
    assert!(form.body.contains("enctype=\"multipart/form-data\""));
    assert!(form.body.contains("Vào sổ văn bản đến"));

    // Without the token the upload is refused before anything is read.
    let file = pdf("Cong van 125");
    let refused = clerk_client
        .post_multipart(
            "/documents/incoming",
            &incoming_fields("Về dự toán ngân sách 2027", "125"),
            &[("file", "cv125.pdf", "application/pdf", &file)],
        )
        .await;
    assert_eq!(refused.status, StatusCode::FORBIDDEN);

    let reply = upload(
        &mut clerk_client,
        "/documents/incoming",
        &incoming_fields("Về dự toán ngân sách 2027", "125"),
        &[("file", "cv125.pdf", "application/pdf", &file)],
    )
    .await;
    let id = document_id(&reply);
    let page = clerk_client.get(reply.location()).await;
    assert_eq!(page.status, StatusCode::OK);
    assert!(
        page.body.contains("Đã vào sổ văn bản đến."),
        "{}",
        page.body
    );
    assert!(page.body.contains("Về dự toán ngân sách 2027"));
    let hash = hex::encode(<sha2::Sha256 as sha2::Digest>::digest(&file));
    assert!(
        page.body.contains(&hash),
        "the page shows the original's SHA-256"
    );
    assert!(
        page.body.contains("Đã lưu khi tiếp nhận"),
        "archived on receipt"
    );

    // The same file from the same sender again is refused with a pointer.
    let again = upload(
        &mut clerk_client,
        "/documents/incoming",
        &incoming_fields("Về dự toán ngân sách 2027 (gửi lại)", "125"),
        &[("file", "cv125-lai.pdf", "application/pdf", &file)],
    )
    .await;
    assert_eq!(again.status, StatusCode::CONFLICT, "{}", again.body);
    assert!(
        again.body.contains("đã được vào sổ trước đó"),
        "{}",
        again.body
    );
    assert!(again.body.contains(&format!("#{id}")), "{}", again.body);

    // The register lists it, with filters.
    let list = clerk_client.get("/documents/incoming?q=du+toan").await;
    assert!(
        list.body.contains(&format!("href=\"/documents/{id}\"")),
        "{}",
        list.body
    );
    let none = clerk_client
        .get("/documents/incoming?q=khong+co+gi+nhu+vay")
        .await;
    assert!(!none.body.contains(&format!("href=\"/documents/{id}\"")));
    let bad = clerk_client
        .get("/documents/incoming?from=20-11-2026")
        .await;
    assert_eq!(bad.status, StatusCode::BAD_REQUEST);

    // The clerk cannot assign; the leader assigns with 3 working days.
    let assign = [
        ("transition", "assign"),
        ("assignee_user", &specialist.id.to_string()),
        ("due_working_days", "3"),
    ];
    let denied = clerk_client
        .submit(&format!("/documents/{id}/transition"), &assign)
        .await;
    assert_eq!(denied.status, StatusCode::FORBIDDEN, "{}", denied.body);
    let mut leader_client = h.client();
    leader_client.sign_in(&leader).await;
    let page = leader_client.get(&format!("/documents/{id}")).await;
    assert!(
        page.body.contains("name=\"due_working_days\""),
        "{}",
        page.body
    );
    let done = leader_client
        .submit(&format!("/documents/{id}/transition"), &assign)
        .await;
    assert_eq!(done.status, StatusCode::SEE_OTHER, "{}", done.body);
    let detail = h
        .documents
        .as_ref()
        .unwrap()
        .get(
            &h.documents
                .as_ref()
                .unwrap()
                .acting(leader.id, "test")
                .await
                .unwrap(),
            id,
        )
        .await
        .unwrap();
    assert_eq!(detail.row.state, "assigned");
    assert_eq!(detail.row.holder_user_id, Some(specialist.id));
    let due = detail
        .assignments
        .iter()
        .find(|assignment| assignment.active)
        .and_then(|assignment| assignment.due_date.clone())
        .expect("a due date");
    let service = h.documents.as_ref().unwrap();
    let expected = service
        .due_date(
            congso_docs::service::Due::Period(congso_vn::calendar::Period::Working(3)),
            congso_docs::service::vn_date(congso_store::now()),
        )
        .unwrap();
    assert_eq!(due, congso_docs::model::iso_date(expected));

    // The specialist is notified in the application and processes it.
    let mut specialist_client = h.client();
    specialist_client.sign_in(&specialist).await;
    let notices = specialist_client.get("/documents/notifications").await;
    assert!(
        notices.body.contains(&format!("href=\"/documents/{id}\"")),
        "{}",
        notices.body
    );
    for step in ["start", "finish"] {
        let reply = specialist_client
            .submit(
                &format!("/documents/{id}/transition"),
                &[("transition", step)],
            )
            .await;
        assert_eq!(
            reply.status,
            StatusCode::SEE_OTHER,
            "{step}: {}",
            reply.body
        );
    }
    let page = specialist_client.get(&format!("/documents/{id}")).await;
    assert!(page.body.contains("Hoàn thành"), "{}", page.body);
    assert!(
        page.body.contains("Bắt đầu xử lý"),
        "the timeline names the steps"
    );
    // A step that does not exist from here is refused clearly.
    let wrong = specialist_client
        .submit(
            &format!("/documents/{id}/transition"),
            &[("transition", "start")],
        )
        .await;
    assert_eq!(wrong.status, StatusCode::CONFLICT, "{}", wrong.body);

    // An assignment due in the past shows in the overdue views: the
    // assignee's own, and the whole agency's for the leader.
    let late = upload(
        &mut clerk_client,
        "/documents/incoming",
        &incoming_fields("Về việc báo cáo số liệu tháng 10", "126"),
        &[("file", "cv126.pdf", "application/pdf", &pdf("Cong van 126"))],
    )
    .await;
    let late_id = document_id(&late);
    let reply = leader_client
        .submit(
            &format!("/documents/{late_id}/transition"),
            &[
                ("transition", "assign"),
                ("assignee_user", &specialist.id.to_string()),
                ("due_date", "2026-01-05"),
            ],
        )
        .await;
    assert_eq!(reply.status, StatusCode::SEE_OTHER, "{}", reply.body);
    let mine = specialist_client.get("/documents/overdue").await;
    assert!(
        mine.body
            .contains(&format!("href=\"/documents/{late_id}\"")),
        "{}",
        mine.body
    );
    assert!(
        !mine.body.contains(&format!("href=\"/documents/{id}\"")),
        "done is not overdue"
    );
    let all = leader_client.get("/documents/overdue?scope=all").await;
    assert!(
        all.body.contains(&format!("href=\"/documents/{late_id}\"")),
        "{}",
        all.body
    );
    assert!(
        all.body.contains("Cán bộ chuyen.vien"),
        "the assignee is named"
    );
    let both = [
        ("transition", "assign"),
        ("due_working_days", "3"),
        ("due_date", "2026-01-05"),
    ];
    let reply = leader_client
        .submit(&format!("/documents/{late_id}/transition"), &both)
        .await;
    assert_eq!(reply.status, StatusCode::BAD_REQUEST, "{}", reply.body);

    // Register export: spreadsheet and CSV of the period.
    let xlsx = clerk_client
        .get("/documents/registers?direction=incoming&from=2026-01-01&until=2026-12-31&format=xlsx")
        .await;
    assert_eq!(xlsx.status, StatusCode::OK);
    assert!(xlsx.content_type().contains("spreadsheetml"));
    let csv = clerk_client
        .get("/documents/registers?direction=incoming&from=2000-01-01&until=2100-12-31&format=csv")
        .await;
    assert_eq!(csv.status, StatusCode::OK, "{}", csv.body);
    assert!(
        csv.body.contains("Về dự toán ngân sách 2027"),
        "{}",
        csv.body
    );
    let specialist_export = specialist_client
        .get("/documents/registers?format=csv")
        .await;
    assert_eq!(specialist_export.status, StatusCode::FORBIDDEN);
}

async fn bad_uploads_are_refused_and_nothing_is_registered(db: Db) {
    let h = Harness::with_documents(db, |settings| settings.upload_limit = 64 * 1024).await;
    let clerk = h.user(CLERK_NAME, Role::Clerk).await;
    let mut client = h.client();
    client.sign_in(&clerk).await;
    let fields = incoming_fields("Văn bản thử tệp hỏng", "7");

    // Text sent as a PDF.
    let reply = upload(
        &mut client,
        "/documents/incoming",
        &fields,
        &[(
            "file",
            "gia.pdf",
            "application/pdf",
            b"this is not a pdf at all",
        )],
    )
    .await;
    assert_eq!(
        reply.status,
        StatusCode::UNSUPPORTED_MEDIA_TYPE,
        "{}",
        reply.body
    );

    // A file type no register takes.
    let reply = upload(
        &mut client,
        "/documents/incoming",
        &fields,
        &[(
            "file",
            "virus.exe",
            "application/x-msdownload",
            b"MZ\x90\x00",
        )],
    )
    .await;
    assert_eq!(
        reply.status,
        StatusCode::UNSUPPORTED_MEDIA_TYPE,
        "{}",
        reply.body
    );

    // A PDF header over garbage.
    let reply = upload(
        &mut client,
        "/documents/incoming",
        &fields,
        &[(
            "file",
            "hong.pdf",
            "application/pdf",
            b"%PDF-1.7\n%garbage garbage\n",
        )],
    )
    .await;
    assert_eq!(reply.status, StatusCode::BAD_REQUEST, "{}", reply.body);
    assert!(reply.body.contains("PDF"), "{}", reply.body);

    // An encrypted PDF.
    let mut encrypted = pdf("Mat khau");
    let trailer = encrypted
        .windows(7)
        .rposition(|window| window == b"trailer")
        .expect("the sample has a trailer");
    let insert = b"trailer\n<< /Encrypt << /Filter /Standard /V 2 /R 3 /O <00> /U <00> /P -4 >> ";
    let rest = encrypted.split_off(trailer + 7);
    encrypted.truncate(trailer);
    encrypted.extend_from_slice(insert);
    encrypted.extend_from_slice(rest.strip_prefix(b"\n<<").unwrap_or(&rest));
    let reply = upload(
        &mut client,
        "/documents/incoming",
        &fields,
        &[("file", "mat-khau.pdf", "application/pdf", &encrypted)],
    )
    .await;
    assert_eq!(reply.status, StatusCode::BAD_REQUEST, "{}", reply.body);

    // Over the upload limit (64 KiB here), sent without a length.
    let big = vec![b'a'; 200 * 1024];
    let reply = upload(
        &mut client,
        "/documents/incoming",
        &fields,
        &[("file", "lon.txt", "text/plain", &big)],
    )
    .await;
    assert_eq!(
        reply.status,
        StatusCode::PAYLOAD_TOO_LARGE,
        "{}",
        reply.body
    );

    // Missing metadata: field errors, no file read.
    let reply = upload(
        &mut client,
        "/documents/incoming",
        &[("type_code", "cong-van")],
        &[("file", "a.pdf", "application/pdf", &pdf("x"))],
    )
    .await;
    assert_eq!(reply.status, StatusCode::BAD_REQUEST, "{}", reply.body);

    // Nothing was registered.
    let list = client.get("/documents/incoming").await;
    assert!(list.body.contains("Không có văn bản nào."), "{}", list.body);
    let service = h.documents.as_ref().unwrap();
    let acting = service.acting(clerk.id, "test").await.unwrap();
    let rows = service
        .search(
            &acting,
            &congso_docs::service::SearchQuery {
                limit: 100,
                ..Default::default()
            },
        )
        .await
        .unwrap();
    assert!(rows.is_empty(), "{rows:?}");
}

async fn outgoing_draft_to_dispatch_with_signature_and_package(db: Db) {
    let h = Harness::with_documents(db, |_| {}).await;
    let clerk = h.user(CLERK_NAME, Role::Clerk).await;
    let leader = h.user("lanh.dao", Role::Leader).await;
    let specialist = h.user("chuyen.vien", Role::Specialist).await;
    let mut specialist_client = h.client();
    specialist_client.sign_in(&specialist).await;
    let form = specialist_client.get("/documents/outgoing/new").await;
    assert_eq!(form.status, StatusCode::OK);
    let file = pdf("Quyet dinh");
    let reply = upload(
        &mut specialist_client,
        "/documents/outgoing",
        &[
            ("type_code", "quyet-dinh"),
            ("summary", "Về việc ban hành quy chế làm việc"),
            ("recipients", "Như Điều 3\nLưu: VT, CNTT"),
            ("signer_authority", "KT."),
            ("signer_on_behalf_of", "GIÁM ĐỐC"),
            ("signer_position", "PHÓ GIÁM ĐỐC"),
            ("signer_name", "Nguyễn Văn An"),
            ("urgency", "0"),
            ("secrecy", "0"),
        ],
        &[("file", "quy-che.pdf", "application/pdf", &file)],
    )
    .await;
    let id = document_id(&reply);
    let submit = specialist_client
        .submit(
            &format!("/documents/{id}/transition"),
            &[("transition", "submit")],
        )
        .await;
    assert_eq!(submit.status, StatusCode::SEE_OTHER, "{}", submit.body);

    let mut leader_client = h.client();
    leader_client.sign_in(&leader).await;
    for step in ["review", "approve"] {
        let reply = leader_client
            .submit(
                &format!("/documents/{id}/transition"),
                &[("transition", step)],
            )
            .await;
        assert_eq!(
            reply.status,
            StatusCode::SEE_OTHER,
            "{step}: {}",
            reply.body
        );
    }
    // Without a certificate the leader is told why signing cannot happen.
    let no_cert = leader_client
        .submit(&format!("/documents/{id}/sign"), &[])
        .await;
    assert_eq!(no_cert.status, StatusCode::CONFLICT, "{}", no_cert.body);
    assert!(no_cert.body.contains("chứng thư số"), "{}", no_cert.body);
    h.pki
        .as_ref()
        .unwrap()
        .issue(
            &h.ledger,
            &congso_core::audit::Actor::Operator("test".into()),
            "lanh.dao",
            congso_archive::KeyAlgorithm::Rsa2048,
        )
        .await
        .unwrap();
    let signed = leader_client
        .submit(&format!("/documents/{id}/sign"), &[])
        .await;
    assert_eq!(signed.status, StatusCode::SEE_OTHER, "{}", signed.body);
    let page = leader_client.get(signed.location()).await;
    assert!(page.body.contains("Đã ký số văn bản."), "{}", page.body);
    assert!(page.body.contains("Hợp lệ"), "the validation verdict shows");
    assert!(page.body.contains("PADES"), "{}", page.body);

    let mut clerk_client = h.client();
    clerk_client.sign_in(&clerk).await;
    for step in ["issue", "dispatch"] {
        let reply = clerk_client
            .submit(
                &format!("/documents/{id}/transition"),
                &[("transition", step)],
            )
            .await;
        assert_eq!(
            reply.status,
            StatusCode::SEE_OTHER,
            "{step}: {}",
            reply.body
        );
    }
    let page = clerk_client.get(&format!("/documents/{id}")).await;
    assert!(page.body.contains("01/QĐ-STTTT"), "{}", page.body);
    assert!(page.body.contains("Đã lưu khi ban hành"));
    assert!(page.body.contains("Đã lưu khi phát hành"));

    // The signed file downloads with its hash; the package is a zip that
    // verifies offline.
    let files = h
        .documents
        .as_ref()
        .unwrap()
        .files(
            &h.documents
                .as_ref()
                .unwrap()
                .acting(clerk.id, "test")
                .await
                .unwrap(),
            id,
        )
        .await
        .unwrap();
    let signed_file = files.iter().find(|file| file.kind == "signed").unwrap();
    let download = clerk_client
        .get(&format!("/documents/{id}/files/{}", signed_file.id))
        .await;
    assert_eq!(download.status, StatusCode::OK);
    assert_eq!(download.content_type(), "application/pdf");
    assert!(download.body.starts_with("%PDF"));
    let package = clerk_client.get(&format!("/documents/{id}/package")).await;
    assert_eq!(package.status, StatusCode::OK, "{}", package.body);
    assert_eq!(package.content_type(), "application/zip");
    assert!(package.body.starts_with("PK"));

    // The outgoing register shows the number; recall freezes the document.
    let list = clerk_client.get("/documents/outgoing").await;
    assert!(list.body.contains("01/QĐ-STTTT"));
    let recall = leader_client
        .submit(
            &format!("/documents/{id}/recall"),
            &[("reason", "Ban hành nhầm đối tượng")],
        )
        .await;
    assert_eq!(recall.status, StatusCode::SEE_OTHER, "{}", recall.body);
    let page = clerk_client.get(&format!("/documents/{id}")).await;
    assert!(page.body.contains("Ban hành nhầm đối tượng"));
    assert!(page.body.contains("Đã thu hồi"));
}

async fn secret_documents_stay_with_those_cleared(db: Db) {
    let h = Harness::with_documents(db, |_| {}).await;
    let clerk = h
        .user_with(CLERK_NAME, RoleSet::single(Role::Clerk), None)
        .await;
    let security = h.user("an.ninh", Role::SecurityOfficer).await;
    let specialist = h.user("chuyen.vien", Role::Specialist).await;
    let service = h.documents.as_ref().unwrap();
    let officer = service.acting(security.id, "test").await.unwrap();
    service
        .set_clearance(&officer, clerk.id, congso_docs::model::Secrecy::TopSecret)
        .await
        .unwrap();
    let mut clerk_client = h.client();
    clerk_client.sign_in(&clerk).await;
    let mut fields = incoming_fields("Kế hoạch bảo vệ bí mật nhà nước", "9");
    fields.retain(|(name, _)| *name != "secrecy");
    fields.push(("secrecy", "1"));
    let reply = upload(
        &mut clerk_client,
        "/documents/incoming",
        &fields,
        &[("file", "mat.pdf", "application/pdf", &pdf("Mat"))],
    )
    .await;
    let id = document_id(&reply);
    let page = clerk_client.get(&format!("/documents/{id}")).await;
    assert!(page.body.contains("Mật"));

    let mut specialist_client = h.client();
    specialist_client.sign_in(&specialist).await;
    let page = specialist_client.get(&format!("/documents/{id}")).await;
    assert_eq!(page.status, StatusCode::NOT_FOUND);
    let search = specialist_client
        .get("/documents/search?q=bi+mat+nha+nuoc")
        .await;
    assert_eq!(search.status, StatusCode::OK);
    assert!(!search.body.contains("bảo vệ bí mật"), "{}", search.body);
    let list = specialist_client.get("/documents/incoming").await;
    assert!(!list.body.contains("bảo vệ bí mật"));
    let package = specialist_client
        .get(&format!("/documents/{id}/package"))
        .await;
    assert_eq!(package.status, StatusCode::NOT_FOUND);
    let search = clerk_client
        .get("/documents/search?q=bi+mat+nha+nuoc")
        .await;
    assert!(search.body.contains("bảo vệ bí mật"), "{}", search.body);
}

async fn document_pages_need_the_right_role(db: Db) {
    let h = Harness::with_documents(db, |_| {}).await;
    let citizen = h.user("cong.dan", Role::Citizen).await;
    let specialist = h.user("chuyen.vien", Role::Specialist).await;
    let mut client = h.client();
    let anonymous = client.get("/documents").await;
    assert_eq!(anonymous.status, StatusCode::SEE_OTHER);
    client.sign_in(&citizen).await;
    for path in [
        "/documents",
        "/documents/incoming",
        "/documents/search",
        "/documents/1",
    ] {
        assert_eq!(
            client.get(path).await.status,
            StatusCode::FORBIDDEN,
            "{path}"
        );
    }
    let mut specialist_client = h.client();
    specialist_client.sign_in(&specialist).await;
    assert_eq!(
        specialist_client.get("/documents").await.status,
        StatusCode::OK
    );
    assert_eq!(
        specialist_client
            .get("/documents/incoming/new")
            .await
            .status,
        StatusCode::FORBIDDEN
    );
    assert_eq!(
        specialist_client
            .get("/documents/overdue?scope=all")
            .await
            .status,
        StatusCode::FORBIDDEN
    );
    // English labels for the shipped workflow states.
    specialist_client.get("/lang/en?next=/").await;
    let page = specialist_client.get("/documents/incoming").await;
    assert!(
        page.body.contains("Registered, awaiting assignment"),
        "{}",
        page.body
    );
}

async fn edxml_import_through_the_page(db: Db) {
    let h = Harness::with_documents(db, |_| {}).await;
    let clerk = h.user(CLERK_NAME, Role::Clerk).await;
    let mut client = h.client();
    client.sign_in(&clerk).await;
    let reply = upload(
        &mut client,
        "/documents/incoming",
        &incoming_fields("Về việc tổng kết công tác văn thư năm 2026", "51"),
        &[("file", "cv51.pdf", "application/pdf", &pdf("Cong van 51"))],
    )
    .await;
    let first = document_id(&reply);
    let exported = client.get(&format!("/documents/{first}/edxml")).await;
    assert_eq!(exported.status, StatusCode::OK, "{}", exported.body);
    assert!(exported.content_type().starts_with("application/xml"));
    let package = exported.body.into_bytes();

    // The import form on the registration page takes it back in.
    let imported = upload(
        &mut client,
        "/documents/incoming/edxml",
        &[],
        &[("package", "van-ban.edxml", "application/xml", &package)],
    )
    .await;
    let second = document_id(&imported);
    assert_ne!(first, second);
    let page = client.get(imported.location()).await;
    assert_eq!(page.status, StatusCode::OK);
    assert!(
        page.body
            .contains("Về việc tổng kết công tác văn thư năm 2026"),
        "{}",
        page.body
    );
    assert!(page.body.contains("51/STC-NS"), "{}", page.body);

    // A hostile package: the page says what is wrong; nothing registered.
    let before = congso_store::documents::counts(&h.db).await.unwrap();
    let hostile = String::from_utf8(package.clone()).unwrap().replacen(
        "<edXML",
        "<!DOCTYPE edXML [<!ENTITY x SYSTEM \"file:///etc/passwd\">]><edXML",
        1,
    );
    let reply = upload(
        &mut client,
        "/documents/incoming/edxml",
        &[],
        &[("package", "x.edxml", "application/xml", hostile.as_bytes())],
    )
    .await;
    assert_eq!(reply.status, StatusCode::BAD_REQUEST, "{}", reply.body);
    assert!(reply.body.contains("edXML"), "{}", reply.body);
    // Malformed fields: listed one by one.
    let text = String::from_utf8(package).unwrap();
    let start = text.find("<edXML:PromulgationDate>").unwrap();
    let end = text.find("</edXML:PromulgationDate>").unwrap();
    let malformed = format!(
        "{}<edXML:PromulgationDate>ngày 30 tháng 2</edXML:PromulgationDate>{}",
        &text[..start],
        &text[end + "</edXML:PromulgationDate>".len()..]
    )
    .replacen("<edXML:DocumentId>", "<edXML:DocumentId>khac-", 1);
    let subject_start = malformed.find("<edXML:Subject>").unwrap();
    let subject_end = malformed.find("</edXML:Subject>").unwrap();
    let malformed = format!(
        "{}<edXML:Subject>  </edXML:Subject>{}",
        &malformed[..subject_start],
        &malformed[subject_end + "</edXML:Subject>".len()..]
    );
    let reply = upload(
        &mut client,
        "/documents/incoming/edxml",
        &[],
        &[(
            "package",
            "x.edxml",
            "application/xml",
            malformed.as_bytes(),
        )],
    )
    .await;
    assert_eq!(
        reply.status,
        StatusCode::UNPROCESSABLE_ENTITY,
        "{}",
        reply.body
    );
    assert!(reply.body.contains("Subject"), "{}", reply.body);
    assert_eq!(
        congso_store::documents::counts(&h.db).await.unwrap(),
        before,
        "nothing was registered"
    );
}

async fn administrators_see_the_workflow_in_force(db: Db) {
    let h = Harness::with_documents(db, |_| {}).await;
    let admin = h.admin("quan.tri").await;
    let clerk = h.user(CLERK_NAME, Role::Clerk).await;
    let mut client = h.client();
    client.sign_in(&admin).await;
    let staff = client.get("/staff").await;
    assert!(
        staff.body.contains("href=\"/documents/workflow\""),
        "{}",
        staff.body
    );
    let page = client.get("/documents/workflow").await;
    assert_eq!(page.status, StatusCode::OK, "{}", page.body);
    for expected in [
        "Quy trình xử lý văn bản đang áp dụng",
        "Văn bản đến",
        "Văn bản đi",
        "Đã vào sổ, chờ phân công",
        "Vào sổ văn bản đến",
        "Văn thư",
        "Lãnh đạo",
        "Cấp số đến",
        "Chỉ người đang giữ văn bản",
    ] {
        assert!(page.body.contains(expected), "{expected}: {}", page.body);
    }
    // Read-only: no form on the page.
    assert!(!page
        .body
        .contains("<form method=\"post\" action=\"/documents"));
    client.get("/lang/en?next=/").await;
    let page = client.get("/documents/workflow").await;
    for expected in [
        "Document workflow in force",
        "Registered, awaiting assignment",
        "Number and issue",
        "Clerk",
        "Gives the arrival number",
    ] {
        assert!(page.body.contains(expected), "{expected}: {}", page.body);
    }
    // Only administrators.
    let mut clerk_client = h.client();
    clerk_client.sign_in(&clerk).await;
    assert_eq!(
        clerk_client.get("/documents/workflow").await.status,
        StatusCode::FORBIDDEN
    );
}

on_both_databases!(
    incoming_register_assign_process,
    bad_uploads_are_refused_and_nothing_is_registered,
    outgoing_draft_to_dispatch_with_signature_and_package,
    secret_documents_stay_with_those_cleared,
    document_pages_need_the_right_role,
    edxml_import_through_the_page,
    administrators_see_the_workflow_in_force,
);

//! The JSON API: bearer tokens only (never the session cookie), every
//! route described by the OpenAPI document and every described route
//! served, and the document workflow driven through it.

use axum::body::Body;
use axum::http::{header, Method, StatusCode};
use congso_core::access::Role;
use congso_store::Db;

use crate::harness::{request, Client, Harness, Reply};

/// Creates a token on the account page, as its owner would.
async fn create_token(client: &mut Client) -> String {
    let reply = client
        .submit(
            "/account/api-tokens",
            &[("name", "Hệ thống một cửa"), ("days", "30")],
        )
        .await;
    assert_eq!(reply.status, StatusCode::OK, "{}", reply.body);
    let start = reply
        .body
        .find("cgs_")
        .expect("the new token is shown once");
    let token: String = reply.body[start..]
        .chars()
        .take_while(|c| c.is_ascii_alphanumeric() || *c == '_' || *c == '-')
        .collect();
    assert!(token.len() > 40, "{token}");
    token
}

async fn call(
    client: &mut Client,
    method: Method,
    path: &str,
    token: Option<&str>,
    body: Option<serde_json::Value>,
) -> Reply {
    let mut builder = request(method, path);
    if let Some(token) = token {
        builder = builder.header(header::AUTHORIZATION, format!("Bearer {token}"));
    }
    let body = match body {
        Some(json) => {
            builder = builder.header(header::CONTENT_TYPE, "application/json");
            Body::from(json.to_string())
        }
        None => Body::empty(),
    };
    client.send(builder.body(body).unwrap()).await
}

async fn every_route_is_described_and_every_description_served(db: Db) {
    let h = Harness::with_documents(db, |_| {}).await;
    let mut client = h.client();
    let document = client.get("/api/openapi.json").await;
    assert_eq!(document.status, StatusCode::OK);
    let document = document.json();
    assert_eq!(document["openapi"], "3.1.0");
    let paths = document["paths"].as_object().unwrap();
    let mut described = Vec::new();
    for (path, item) in paths {
        for method in item.as_object().unwrap().keys() {
            described.push((method.clone(), path.clone()));
        }
    }
    described.sort();
    // The public portal's operations are described too (no token needed).
    let portal: Vec<(String, String)> = congso_web::portal::openapi_paths()
        .into_iter()
        .flat_map(|(path, item)| {
            let methods: Vec<String> = item.as_object().unwrap().keys().cloned().collect();
            methods
                .into_iter()
                .map(move |method| (method, path.clone()))
        })
        .collect();
    assert!(portal.len() >= 5, "{portal:?}");
    let mut routed: Vec<(String, String)> = congso_web::api_routes()
        .into_iter()
        .map(|(method, path)| (method.to_owned(), path.to_owned()))
        .chain(portal.iter().cloned())
        .collect();
    routed.sort();
    assert_eq!(
        described, routed,
        "the document describes exactly the routes"
    );
    assert!(described.len() >= 19, "{described:?}");
    // Every described operation is really served by the router: without a
    // token it answers 401 (the route exists), never the fallback 404 or
    // 405; and every operation has responses and an operationId.
    for (method, path) in &described {
        let operation = &paths[path][method];
        assert!(operation["operationId"].is_string(), "{method} {path}");
        assert!(operation["responses"]
            .as_object()
            .is_some_and(|r| !r.is_empty()));
        let concrete = path.replace("{id}", "1").replace("{file_id}", "1");
        let reply = call(
            &mut client,
            method.to_uppercase().parse().unwrap(),
            &concrete,
            None,
            None,
        )
        .await;
        if portal.contains(&(method.clone(), path.clone())) {
            assert_eq!(operation["security"], serde_json::json!([]), "{path}");
            if !path.contains('{') {
                // Routed and public: never the fallback, a 405 or a 401.
                assert!(
                    !matches!(
                        reply.status,
                        StatusCode::UNAUTHORIZED
                            | StatusCode::NOT_FOUND
                            | StatusCode::METHOD_NOT_ALLOWED
                    ),
                    "{method} {concrete}: {} {}",
                    reply.status,
                    reply.body
                );
            }
        } else if path == "/api/openapi.json" {
            assert_eq!(reply.status, StatusCode::OK);
        } else {
            assert_eq!(
                reply.status,
                StatusCode::UNAUTHORIZED,
                "{method} {concrete}: {}",
                reply.body
            );
            assert_eq!(reply.json()["error"], "unauthorized");
            assert!(reply.headers.contains_key(header::WWW_AUTHENTICATE));
        }
    }
    // And a path or method not in the table is not served.
    let reply = call(
        &mut client,
        Method::GET,
        "/api/documents/1/nothing",
        None,
        None,
    )
    .await;
    assert_eq!(reply.status, StatusCode::NOT_FOUND);
    let reply = call(&mut client, Method::DELETE, "/api/documents/1", None, None).await;
    assert_eq!(reply.status, StatusCode::METHOD_NOT_ALLOWED);
}

async fn tokens_not_cookies(db: Db) {
    let h = Harness::with_documents(db, |_| {}).await;
    let leader = h.user("lanh.dao", Role::Leader).await;
    let citizen = h.user("cong.dan", Role::Citizen).await;
    let mut client = h.client();
    client.sign_in(&leader).await;
    // A signed-in browser's cookie opens nothing on the API, read or write.
    let reply = client.get("/api/documents").await;
    assert_eq!(reply.status, StatusCode::UNAUTHORIZED);
    let reply = client
        .post_form("/api/documents/1/recall", &[("reason", "x")])
        .await;
    assert_eq!(reply.status, StatusCode::UNAUTHORIZED);

    let token = create_token(&mut client).await;
    let reply = call(
        &mut client,
        Method::GET,
        "/api/documents",
        Some(&token),
        None,
    )
    .await;
    assert_eq!(reply.status, StatusCode::OK, "{}", reply.body);
    assert_eq!(reply.json()["documents"], serde_json::json!([]));
    // A made-up or revoked token is refused; creation and revocation are ledgered.
    let reply = call(
        &mut client,
        Method::GET,
        "/api/documents",
        Some("cgs_madeup"),
        None,
    )
    .await;
    assert_eq!(reply.status, StatusCode::UNAUTHORIZED);
    let tokens = congso_store::accounts::list_api_tokens(&h.db, leader.id)
        .await
        .unwrap();
    let revoke = client
        .submit(&format!("/account/api-tokens/{}/revoke", tokens[0].id), &[])
        .await;
    assert_eq!(revoke.status, StatusCode::SEE_OTHER);
    let reply = call(
        &mut client,
        Method::GET,
        "/api/documents",
        Some(&token),
        None,
    )
    .await;
    assert_eq!(reply.status, StatusCode::UNAUTHORIZED);
    assert_eq!(h.entries_with("auth.api_token.created").await.len(), 1);
    assert_eq!(h.entries_with("auth.api_token.revoked").await.len(), 1);
    // Citizens hold no tokens.
    let mut citizen_client = h.client();
    citizen_client.sign_in(&citizen).await;
    assert_eq!(
        citizen_client.get("/account/api-tokens").await.status,
        StatusCode::FORBIDDEN
    );
}

async fn workflow_through_the_api(db: Db) {
    let h = Harness::with_documents(db, |_| {}).await;
    let clerk = h.user("van.thu", Role::Clerk).await;
    let leader = h.user("lanh.dao", Role::Leader).await;
    let specialist = h.user("chuyen.vien", Role::Specialist).await;
    let mut client = h.client();
    client.sign_in(&clerk).await;
    let clerk_token = create_token(&mut client).await;
    let mut client = h.client();
    client.sign_in(&leader).await;
    let leader_token = create_token(&mut client).await;
    let mut client = h.client();
    client.sign_in(&specialist).await;
    let specialist_token = create_token(&mut client).await;
    let mut api = h.client();

    // Register by multipart with the token (no CSRF token needed: no cookie).
    let boundary = "XyZ-boundary";
    let pdf = congso_archive::samples::text_pdf("API", 1);
    let mut body = Vec::new();
    for (name, value) in [
        ("sender_name", "UBND huyện Tiên Du"),
        ("type_code", "cong-van"),
        ("number", "45"),
        ("notation", "UBND-VP"),
        ("summary", "Về việc báo cáo chuyển đổi số"),
    ] {
        body.extend_from_slice(
            format!("--{boundary}\r\nContent-Disposition: form-data; name=\"{name}\"\r\n\r\n{value}\r\n").as_bytes(),
        );
    }
    body.extend_from_slice(
        format!("--{boundary}\r\nContent-Disposition: form-data; name=\"file\"; filename=\"bc.pdf\"\r\nContent-Type: application/pdf\r\n\r\n").as_bytes(),
    );
    body.extend_from_slice(&pdf);
    body.extend_from_slice(format!("\r\n--{boundary}--\r\n").as_bytes());
    let multipart = |token: &str, body: Vec<u8>| {
        request(Method::POST, "/api/documents/incoming")
            .header(header::AUTHORIZATION, format!("Bearer {token}"))
            .header(
                header::CONTENT_TYPE,
                format!("multipart/form-data; boundary={boundary}"),
            )
            .body(Body::from(body))
            .unwrap()
    };
    let denied = api.send(multipart(&specialist_token, body.clone())).await;
    assert_eq!(denied.status, StatusCode::FORBIDDEN, "{}", denied.body);
    let reply = api.send(multipart(&clerk_token, body.clone())).await;
    assert_eq!(reply.status, StatusCode::CREATED, "{}", reply.body);
    let registered = reply.json();
    let id = registered["document_id"].as_i64().unwrap();
    assert_eq!(registered["arrival_number"], 1);
    let again = api.send(multipart(&clerk_token, body)).await;
    assert_eq!(again.status, StatusCode::CONFLICT);
    assert_eq!(again.json()["error"], "duplicate");
    assert_eq!(again.json()["details"]["document_id"], id);

    // Assign with 5 working days; the specialist is notified, processes it.
    let reply = call(
        &mut api,
        Method::POST,
        &format!("/api/documents/{id}/transition"),
        Some(&leader_token),
        Some(serde_json::json!({"transition": "assign", "assignee_user": specialist.id, "due_working_days": 5})),
    )
    .await;
    assert_eq!(reply.status, StatusCode::OK, "{}", reply.body);
    assert_eq!(reply.json()["state"], "assigned");
    assert!(reply.json()["due_date"].is_string());
    let notes = call(
        &mut api,
        Method::GET,
        "/api/documents/notifications?unread=true",
        Some(&specialist_token),
        None,
    )
    .await;
    let notes = notes.json();
    let list = notes["notifications"].as_array().unwrap();
    assert!(list.iter().any(|note| note["document_id"] == id), "{notes}");
    let note_id = list[0]["id"].as_i64().unwrap();
    let marked = call(
        &mut api,
        Method::POST,
        &format!("/api/documents/notifications/{note_id}/read"),
        Some(&specialist_token),
        None,
    )
    .await;
    assert_eq!(marked.json()["marked"], true);
    for step in ["start", "finish"] {
        let reply = call(
            &mut api,
            Method::POST,
            &format!("/api/documents/{id}/transition"),
            Some(&specialist_token),
            Some(serde_json::json!({"transition": step})),
        )
        .await;
        assert_eq!(reply.status, StatusCode::OK, "{step}: {}", reply.body);
    }
    let detail = call(
        &mut api,
        Method::GET,
        &format!("/api/documents/{id}"),
        Some(&specialist_token),
        None,
    )
    .await;
    assert_eq!(detail.json()["row"]["state"], "done");
    let timeline = call(
        &mut api,
        Method::GET,
        &format!("/api/documents/{id}/timeline"),
        Some(&specialist_token),
        None,
    )
    .await;
    assert!(timeline.json()["events"].as_array().unwrap().len() >= 4);
    let bad = call(
        &mut api,
        Method::POST,
        &format!("/api/documents/{id}/transition"),
        Some(&specialist_token),
        Some(serde_json::json!(["not", "an", "object"])),
    )
    .await;
    assert_eq!(bad.status, StatusCode::BAD_REQUEST);
    let registers = call(
        &mut api,
        Method::GET,
        "/api/documents/registers?from=2000-01-01&until=2100-01-01",
        Some(&clerk_token),
        None,
    )
    .await;
    assert_eq!(registers.status, StatusCode::OK, "{}", registers.body);
    assert_eq!(registers.json()["rows"].as_array().unwrap().len(), 1);
    let package = call(
        &mut api,
        Method::GET,
        &format!("/api/documents/{id}/package"),
        Some(&clerk_token),
        None,
    )
    .await;
    assert_eq!(
        package.status,
        StatusCode::OK,
        "{}",
        crate::harness::logs()
            .lines()
            .filter(|line| line.contains("ERROR"))
            .collect::<Vec<_>>()
            .join("\n")
    );
    assert!(package.body.starts_with("PK"));
    let recall = call(
        &mut api,
        Method::POST,
        &format!("/api/documents/{id}/recall"),
        Some(&leader_token),
        Some(serde_json::json!({"reason": "Gửi nhầm"})),
    )
    .await;
    assert_eq!(recall.status, StatusCode::OK, "{}", recall.body);
    assert!(recall.json()["row"]["recalled_at"].is_i64());
}

/// A multipart body of text fields and files (name, file name, type, bytes).
fn multipart_body(
    fields: &[(&str, &str)],
    files: &[(&str, &str, &str, &[u8])],
) -> (String, Vec<u8>) {
    let boundary = "congso-test-boundary-7MA4YWxk".to_owned();
    let mut body = Vec::new();
    for (name, value) in fields {
        body.extend_from_slice(
            format!("--{boundary}\r\nContent-Disposition: form-data; name=\"{name}\"\r\n\r\n{value}\r\n").as_bytes(),
        );
    }
    for (name, file_name, content_type, bytes) in files {
        body.extend_from_slice(
            format!("--{boundary}\r\nContent-Disposition: form-data; name=\"{name}\"; filename=\"{file_name}\"\r\nContent-Type: {content_type}\r\n\r\n").as_bytes(),
        );
        body.extend_from_slice(bytes);
        body.extend_from_slice(b"\r\n");
    }
    body.extend_from_slice(format!("--{boundary}--\r\n").as_bytes());
    (boundary, body)
}

async fn post_multipart(
    client: &mut Client,
    path: &str,
    token: &str,
    fields: &[(&str, &str)],
    files: &[(&str, &str, &str, &[u8])],
) -> Reply {
    let (boundary, body) = multipart_body(fields, files);
    client
        .send(
            request(Method::POST, path)
                .header(header::AUTHORIZATION, format!("Bearer {token}"))
                .header(
                    header::CONTENT_TYPE,
                    format!("multipart/form-data; boundary={boundary}"),
                )
                .body(Body::from(body))
                .unwrap(),
        )
        .await
}

/// Signs in as `user` and creates a token on the account page.
async fn token_for(h: &Harness, user: &crate::harness::TestUser) -> String {
    let mut client = h.client();
    client.sign_in(user).await;
    create_token(&mut client).await
}

const INCOMING: &[(&str, &str)] = &[
    ("sender_name", "Sở Tài chính tỉnh Bắc Ninh"),
    ("sender_code", "000.00.12.H06"),
    ("type_code", "cong-van"),
    ("number", "318"),
    ("notation", "STC-NS"),
    ("issue_date", "2026-11-20"),
    (
        "summary",
        "Về việc hướng dẫn lập dự toán ngân sách năm 2027",
    ),
    ("signer_name", "Trần Thị Bình"),
    ("signer_position", "Giám đốc"),
    ("page_count", "3"),
    ("urgency", "1"),
];

/// Documents, timeline events and files stored, and the ledger size.
async fn stored(h: &Harness) -> ((i64, i64, i64), u64) {
    (
        congso_store::documents::counts(&h.db).await.unwrap(),
        h.ledger.size(),
    )
}

async fn edxml_round_trip_and_hostile_packages(db: Db) {
    let h = Harness::with_documents(db, |_| {}).await;
    let clerk = h.user("van.thu", Role::Clerk).await;
    let token = token_for(&h, &clerk).await;
    let mut api = h.client();

    // A document registered over the API, then exported as edXML.
    let pdf = congso_archive::samples::text_pdf("Du toan 2027", 2);
    let reply = post_multipart(
        &mut api,
        "/api/documents/incoming",
        &token,
        INCOMING,
        &[("file", "du-toan.pdf", "application/pdf", &pdf)],
    )
    .await;
    assert_eq!(reply.status, StatusCode::CREATED, "{}", reply.body);
    let first = reply.json()["document_id"].as_i64().unwrap();
    let exported = call(
        &mut api,
        Method::GET,
        &format!("/api/documents/{first}/edxml"),
        Some(&token),
        None,
    )
    .await;
    assert_eq!(exported.status, StatusCode::OK, "{}", exported.body);
    assert!(exported.content_type().starts_with("application/xml"));
    assert!(exported
        .body
        .contains("http://www.mic.gov.vn/TBT/QCVN_102_2016"));
    let package = exported.body.clone().into_bytes();

    // Imported again as an incoming document (it now comes from this
    // agency): the same Decree 30 metadata and the same file.
    let reply = post_multipart(
        &mut api,
        "/api/documents/incoming/edxml",
        &token,
        &[],
        &[("package", "van-ban.edxml", "application/xml", &package)],
    )
    .await;
    assert_eq!(reply.status, StatusCode::CREATED, "{}", reply.body);
    let imported = reply.json()["Registered"]["registered"]["document_id"]
        .as_i64()
        .unwrap_or_else(|| panic!("{}", reply.body));
    assert_ne!(imported, first);
    let detail = |id: i64| {
        let path = format!("/api/documents/{id}");
        let token = token.clone();
        let mut client = h.client();
        async move {
            call(&mut client, Method::GET, &path, Some(&token), None)
                .await
                .json()
        }
    };
    let (original, copy) = (detail(first).await, detail(imported).await);
    for field in [
        "type_code",
        "number",
        "notation",
        "issue_date",
        "summary",
        "signer",
        "urgency",
        "secrecy",
        "page_count",
    ] {
        assert_eq!(
            original["metadata"][field], copy["metadata"][field],
            "{field}: {original} / {copy}"
        );
    }
    assert_eq!(copy["row"]["direction"], "incoming");
    let file_hash = |detail: &serde_json::Value| {
        detail["files"]
            .as_array()
            .unwrap()
            .iter()
            .find(|file| file["kind"] == "original")
            .map(|file| file["sha256"].clone())
    };
    assert_eq!(file_hash(&original), file_hash(&copy));
    assert!(file_hash(&copy).is_some());

    // The same package once more: refused as a duplicate, pointing to the
    // registration just made.
    let again = post_multipart(
        &mut api,
        "/api/documents/incoming/edxml",
        &token,
        &[],
        &[("package", "van-ban.edxml", "application/xml", &package)],
    )
    .await;
    assert_eq!(again.status, StatusCode::CONFLICT, "{}", again.body);
    assert_eq!(again.json()["details"]["document_id"], imported);

    // Hostile and malformed packages: a 4xx naming the problem, nothing
    // registered, no number used up.
    let before = stored(&h).await;
    let text = String::from_utf8(package.clone()).unwrap();
    let laughs = format!(
        "<?xml version=\"1.0\"?>\n<!DOCTYPE edXML [<!ENTITY a \"aaaaaaaaaa\"><!ENTITY b \"&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;\"><!ENTITY c \"&b;&b;&b;&b;&b;&b;&b;&b;&b;&b;\">]>\n{}",
        text.trim_start_matches("<?xml version=\"1.0\" encoding=\"UTF-8\"?>")
            .replacen("</edXML:Subject>", "&c;</edXML:Subject>", 1)
    );
    let external = text.replacen(
        "<edXML",
        "<!DOCTYPE edXML SYSTEM \"file:///etc/passwd\"><edXML",
        1,
    );
    let huge_attribute = text.replacen(
        "<edXML:Subject>",
        &format!("<edXML:Subject note=\"{}\">", "A".repeat(4 << 20)),
        1,
    );
    let hostile: [(&str, &[u8]); 5] = [
        ("entity expansion", laughs.as_bytes()),
        ("external DTD", external.as_bytes()),
        ("huge attribute", huge_attribute.as_bytes()),
        ("not XML", b"%PDF-1.7 this is not edXML"),
        ("truncated", &package[..package.len() / 2]),
    ];
    for (what, body) in hostile {
        let reply = post_multipart(
            &mut api,
            "/api/documents/incoming/edxml",
            &token,
            &[],
            &[("package", "x.edxml", "application/xml", body)],
        )
        .await;
        assert!(
            reply.status.is_client_error(),
            "{what}: {} {}",
            reply.status,
            reply.body
        );
        let error = reply.json();
        assert!(
            error["error"] == "edxml_unreadable" || error["error"] == "edxml_rejected",
            "{what}: {error}"
        );
        assert!(
            !error["message"].as_str().unwrap_or("").is_empty(),
            "{what}: {error}"
        );
    }

    // Malformed fields: every one is reported with its edXML path.
    let id_start = text.find("<edXML:DocumentId>").unwrap();
    let id_end = text.find("</edXML:DocumentId>").unwrap();
    let malformed = format!(
        "{}<edXML:DocumentId>000.00.00.H99,2026/11/29,1/XX</edXML:DocumentId>{}",
        &text[..id_start],
        &text[id_end + "</edXML:DocumentId>".len()..]
    );
    let subject_start = malformed.find("<edXML:Subject>").unwrap();
    let subject_end = malformed.find("</edXML:Subject>").unwrap();
    let malformed = format!(
        "{}<edXML:Subject></edXML:Subject>{}",
        &malformed[..subject_start],
        &malformed[subject_end + "</edXML:Subject>".len()..]
    );
    let date_start = malformed.find("<edXML:PromulgationDate>").unwrap();
    let date_end = malformed.find("</edXML:PromulgationDate>").unwrap();
    let malformed = format!(
        "{}<edXML:PromulgationDate>2026/13/45</edXML:PromulgationDate>{}",
        &malformed[..date_start],
        &malformed[date_end + "</edXML:PromulgationDate>".len()..]
    );
    let reply = post_multipart(
        &mut api,
        "/api/documents/incoming/edxml",
        &token,
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
    let error = reply.json();
    assert_eq!(error["error"], "edxml_rejected");
    let issues = error["details"]["issues"].as_array().unwrap();
    let paths: Vec<&str> = issues
        .iter()
        .filter_map(|issue| issue["path"].as_str())
        .collect();
    for field in ["Subject", "PromulgationDate"] {
        assert!(
            paths.iter().any(|path| path.contains(field)),
            "{field} is named: {paths:?}"
        );
    }
    assert_eq!(stored(&h).await, before, "nothing was registered");

    // The next registration gets the next arrival number: none was used up.
    let next = post_multipart(
        &mut api,
        "/api/documents/incoming",
        &token,
        &[
            ("sender_name", "UBND huyện Tiên Du"),
            ("type_code", "cong-van"),
            ("summary", "Về việc báo cáo tiến độ giải ngân"),
        ],
        &[],
    )
    .await;
    assert_eq!(next.status, StatusCode::CREATED, "{}", next.body);
    assert_eq!(next.json()["arrival_number"], 3);
}

async fn bad_files_over_the_api_register_nothing(db: Db) {
    let h = Harness::with_documents(db, |_| {}).await;
    let clerk = h.user("van.thu", Role::Clerk).await;
    let token = token_for(&h, &clerk).await;
    let mut api = h.client();
    let before = stored(&h).await;

    let mut encrypted = congso_archive::samples::text_pdf("Mat khau", 1);
    let trailer = encrypted
        .windows(7)
        .rposition(|window| window == b"trailer")
        .unwrap();
    let rest = encrypted.split_off(trailer + 7);
    encrypted.truncate(trailer);
    encrypted.extend_from_slice(
        b"trailer\n<< /Encrypt << /Filter /Standard /V 2 /R 3 /O <00> /U <00> /P -4 >> ",
    );
    encrypted.extend_from_slice(rest.strip_prefix(b"\n<<").unwrap_or(&rest));
    let corrupt = b"%PDF-1.7\n%garbage, no objects and no end-of-file marker\n".to_vec();
    // (file name, declared type, label, bytes, expected status, expected text)
    type Case<'a> = (&'a str, &'a str, &'a str, &'a [u8], StatusCode, &'a str);
    let cases: &[Case] = &[
        (
            "corrupt PDF",
            "hong.pdf",
            "application/pdf",
            &corrupt,
            StatusCode::BAD_REQUEST,
            "pdf_corrupt",
        ),
        (
            "encrypted PDF",
            "mat-khau.pdf",
            "application/pdf",
            &encrypted,
            StatusCode::BAD_REQUEST,
            "pdf_encrypted",
        ),
        (
            "text sent as a PDF",
            "gia.pdf",
            "application/pdf",
            b"plain text pretending to be a PDF",
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
            "",
        ),
        (
            "a PDF sent as a Word file",
            "van-ban.docx",
            "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
            &congso_archive::samples::text_pdf("Word", 1),
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
            "",
        ),
        (
            "an executable",
            "virus.exe",
            "application/x-msdownload",
            b"MZ\x90\x00\x03",
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
            "",
        ),
    ];
    for (what, name, mime, bytes, status, code) in cases {
        let reply = post_multipart(
            &mut api,
            "/api/documents/incoming",
            &token,
            INCOMING,
            &[("file", *name, *mime, *bytes)],
        )
        .await;
        assert_eq!(reply.status, *status, "{what}: {}", reply.body);
        let error = reply.json();
        if !code.is_empty() {
            assert_eq!(error["error"], *code, "{what}: {error}");
        }
        assert!(
            error["message"].as_str().is_some_and(|m| !m.is_empty()),
            "{what}: {error}"
        );
    }
    // Metadata errors name each field.
    for (fields, expected) in [
        (vec![("issue_date", "2026-02-30")], vec!["issue_date"]),
        (
            vec![("type_code", "khong-co-loai-nay")],
            vec!["summary", "type_code"],
        ),
    ] {
        let reply = post_multipart(&mut api, "/api/documents/incoming", &token, &fields, &[]).await;
        assert_eq!(reply.status, StatusCode::BAD_REQUEST, "{}", reply.body);
        let named: Vec<String> = reply.json()["details"]["fields"]
            .as_array()
            .unwrap_or_else(|| panic!("{}", reply.body))
            .iter()
            .map(|field| field["field"].as_str().unwrap().to_owned())
            .collect();
        for field in expected {
            assert!(named.iter().any(|f| f == field), "{field}: {named:?}");
        }
    }
    assert_eq!(stored(&h).await, before, "nothing was registered");

    // A PDF cut in the middle and given a new end-of-file marker has lost
    // its cross-reference offset: refused, nothing registered.
    let mut truncated = congso_archive::samples::text_pdf("Cat doi", 1);
    truncated.truncate(truncated.len() / 2);
    truncated.extend_from_slice(b"\n%%EOF\n");
    let reply = post_multipart(
        &mut api,
        "/api/documents/incoming",
        &token,
        INCOMING,
        &[("file", "cat-doi.pdf", "application/pdf", &truncated)],
    )
    .await;
    assert_eq!(reply.status, StatusCode::BAD_REQUEST, "{}", reply.body);
    assert!(reply.body.contains("pdf_corrupt"), "{}", reply.body);
    assert_eq!(stored(&h).await, before, "nothing was registered");
}

async fn secret_documents_answer_404_to_those_not_cleared(db: Db) {
    let h = Harness::with_documents(db, |_| {}).await;
    let cleared = h.user("van.thu", Role::Clerk).await;
    let uncleared = h.user("van.thu.hai", Role::Clerk).await;
    let specialist = h.user("chuyen.vien", Role::Specialist).await;
    let security = h.user("an.ninh", Role::SecurityOfficer).await;
    let service = h.documents.as_ref().unwrap();
    let officer = service.acting(security.id, "test").await.unwrap();
    service
        .set_clearance(&officer, cleared.id, congso_docs::model::Secrecy::Secret)
        .await
        .unwrap();
    let cleared_token = token_for(&h, &cleared).await;
    let uncleared_token = token_for(&h, &uncleared).await;
    let specialist_token = token_for(&h, &specialist).await;
    let mut api = h.client();

    let mut fields = INCOMING.to_vec();
    fields.retain(|(name, _)| *name != "summary");
    fields.push(("summary", "Kế hoạch bảo vệ bí mật nhà nước năm 2027"));
    fields.push(("secrecy", "1"));
    let pdf = congso_archive::samples::text_pdf("Mat", 1);
    let reply = post_multipart(
        &mut api,
        "/api/documents/incoming",
        &cleared_token,
        &fields,
        &[("file", "mat.pdf", "application/pdf", &pdf)],
    )
    .await;
    assert_eq!(reply.status, StatusCode::CREATED, "{}", reply.body);
    let id = reply.json()["document_id"].as_i64().unwrap();
    let detail = call(
        &mut api,
        Method::GET,
        &format!("/api/documents/{id}"),
        Some(&cleared_token),
        None,
    )
    .await;
    assert_eq!(detail.status, StatusCode::OK, "{}", detail.body);
    let file_id = detail.json()["files"][0]["id"].as_i64().unwrap();
    let missing = id + 1000;
    let paths = |id: i64, file_id: i64| {
        vec![
            format!("/api/documents/{id}"),
            format!("/api/documents/{id}/timeline"),
            format!("/api/documents/{id}/signatures"),
            format!("/api/documents/{id}/files/{file_id}"),
            format!("/api/documents/{id}/package"),
            format!("/api/documents/{id}/edxml"),
        ]
    };
    for token in [&uncleared_token, &specialist_token] {
        for (path, missing_path) in paths(id, file_id)
            .iter()
            .zip(paths(missing, file_id + 1000))
        {
            let hidden = call(&mut api, Method::GET, path, Some(token), None).await;
            let absent = call(&mut api, Method::GET, &missing_path, Some(token), None).await;
            assert_eq!(hidden.status, absent.status, "{path}: {}", hidden.body);
            assert_eq!(hidden.body, absent.body, "{path}");
            assert!(
                matches!(hidden.status, StatusCode::NOT_FOUND | StatusCode::FORBIDDEN),
                "{path}: {}",
                hidden.status
            );
        }
        // Never listed, searched or exported.
        for path in [
            "/api/documents?limit=500".to_owned(),
            "/api/documents?q=bi+mat+nha+nuoc".to_owned(),
            "/api/documents?sender=So+Tai+chinh".to_owned(),
            "/api/documents/registers?from=2000-01-01&until=2100-01-01".to_owned(),
            "/api/documents/registers?from=2000-01-01&until=2100-01-01&secret=true".to_owned(),
            "/api/documents/registers?from=2000-01-01&until=2100-01-01&format=csv".to_owned(),
            "/api/documents/registers?from=2000-01-01&until=2100-01-01&secret=true&format=csv"
                .to_owned(),
        ] {
            let reply = call(&mut api, Method::GET, &path, Some(token), None).await;
            assert!(
                !reply.body.contains("bảo vệ bí mật"),
                "{path}: {}",
                reply.body
            );
        }
    }
    // The uncleared clerk gets 404 (not 403) on the document itself: the
    // same answer as for a document that does not exist.
    let hidden = call(
        &mut api,
        Method::GET,
        &format!("/api/documents/{id}"),
        Some(&uncleared_token),
        None,
    )
    .await;
    assert_eq!(hidden.status, StatusCode::NOT_FOUND);

    // The cleared clerk sees it everywhere.
    for path in [
        format!("/api/documents/{id}"),
        format!("/api/documents/{id}/files/{file_id}"),
        format!("/api/documents/{id}/package"),
    ] {
        let reply = call(&mut api, Method::GET, &path, Some(&cleared_token), None).await;
        assert_eq!(reply.status, StatusCode::OK, "{path}: {}", reply.body);
    }
    let search = call(
        &mut api,
        Method::GET,
        "/api/documents?q=bi+mat+nha+nuoc",
        Some(&cleared_token),
        None,
    )
    .await;
    assert!(search.body.contains("bảo vệ bí mật"), "{}", search.body);
    let register = call(
        &mut api,
        Method::GET,
        "/api/documents/registers?from=2000-01-01&until=2100-01-01&secret=true&format=csv",
        Some(&cleared_token),
        None,
    )
    .await;
    assert_eq!(register.status, StatusCode::OK, "{}", register.body);
    assert!(register.body.contains("bảo vệ bí mật"), "{}", register.body);
}

on_both_databases!(
    every_route_is_described_and_every_description_served,
    tokens_not_cookies,
    workflow_through_the_api,
    edxml_round_trip_and_hostile_packages,
    bad_files_over_the_api_register_nothing,
    secret_documents_answer_404_to_those_not_cleared,
);

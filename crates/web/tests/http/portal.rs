//! The portal's staff screens end to end: an editor writes (hostile HTML
//! cleaned on save, field errors shown with nothing saved) and sends for
//! review, a leader publishes; the public site shows the item only once
//! it is published and stops when it is unpublished; revisions keep every
//! version; roles and CSRF are enforced. An issued document is published to
//! the portal with its metadata and files, and publishing it again updates
//! the same item. Images are decoded, resized and served with `srcset`.

use axum::http::{header, StatusCode};
use congso_core::access::Role;
use congso_store::portal::{self as store, NewCategory};
use congso_store::Db;

use crate::harness::{request, vi, Client, Harness, Reply};

async fn categories(h: &Harness) {
    for (slug, kind, name, retention, position) in [
        ("tin-tuc", "news", "Tin tức", Some(730), 1),
        (
            "van-ban-chi-dao",
            "legal",
            "Văn bản chỉ đạo, điều hành",
            None,
            2,
        ),
    ] {
        store::upsert_category(
            &h.db,
            &NewCategory {
                slug: slug.into(),
                kind: kind.into(),
                name: name.into(),
                name_en: String::new(),
                retention_days: retention,
                position,
            },
        )
        .await
        .unwrap();
    }
}

/// The item id a create redirected to.
fn item_id(reply: &Reply) -> i64 {
    assert_eq!(reply.status, StatusCode::SEE_OTHER, "{}", reply.body);
    reply
        .location()
        .strip_prefix("/staff/portal/")
        .and_then(|rest| rest.split(['?', '/']).next())
        .and_then(|id| id.parse().ok())
        .unwrap_or_else(|| panic!("redirected to {}", reply.location()))
}

async fn item_count(h: &Harness) -> usize {
    store::all_items(&h.db, 1000, 0).await.unwrap().len()
}

const HOSTILE: &str =
    "<p onclick=\"steal()\">Ủy ban nhân dân tỉnh tổ chức hội nghị chuyển đổi số.</p>\
    <script>alert('x')</script><img src=\"/a.png\" alt=\"Hội nghị\" onerror=\"alert(1)\">\
    <a href=\"javascript:alert(2)\">liên kết</a><style>body{display:none}</style>";

async fn write_review_publish_unpublish(db: Db) {
    let h = Harness::new(db).await;
    categories(&h).await;
    let specialist = h.user("chuyen.vien", Role::Specialist).await;
    let leader = h.user("lanh.dao", Role::Leader).await;
    let mut editor = h.client();
    editor.sign_in(&specialist).await;

    // The staff home links to the portal screens; the list and form render.
    let home = editor.get("/staff").await;
    assert!(
        home.body.contains("href=\"/staff/portal\""),
        "{}",
        home.body
    );
    let list = editor.get("/staff/portal").await;
    assert_eq!(list.status, StatusCode::OK, "{}", list.body);
    assert!(list.body.contains("Biên tập cổng thông tin"));
    let form = editor.get("/staff/portal/new").await;
    assert_eq!(form.status, StatusCode::OK);
    assert!(form.body.contains("<label for=\"title\">"), "{}", form.body);
    assert!(form.body.contains("<main"), "landmark");

    // Field errors: both named, tied to their fields, nothing saved.
    let bad = editor
        .submit(
            "/staff/portal",
            &[
                ("title", "   "),
                ("category", "khong-co"),
                ("body", "<p>x</p>"),
            ],
        )
        .await;
    assert_eq!(bad.status, StatusCode::BAD_REQUEST, "{}", bad.body);
    assert!(bad.body.contains("Hãy nhập tiêu đề."), "{}", bad.body);
    assert!(bad
        .body
        .contains("Hãy chọn một chuyên mục có trong danh sách."));
    assert!(
        bad.body.contains("aria-describedby=\"title-error\""),
        "{}",
        bad.body
    );
    assert!(bad.body.contains("id=\"title-error\""));
    assert!(bad.body.contains("aria-invalid=\"true\""));
    assert!(bad.body.contains("href=\"#category\""));
    assert!(
        bad.body.contains("&lt;p&gt;x&lt;/p&gt;"),
        "the body is kept in the form"
    );
    assert_eq!(item_count(&h).await, 0, "nothing half-saved");

    // Hostile HTML is cleaned on save.
    let created = editor
        .submit(
            "/staff/portal",
            &[
                ("title", "Hội nghị chuyển đổi số <script>x</script>"),
                ("category", "tin-tuc"),
                ("summary", "Tóm tắt hội nghị"),
                ("body", HOSTILE),
            ],
        )
        .await;
    let id = item_id(&created);
    let stored = store::item(&h.db, id).await.unwrap().unwrap();
    for forbidden in [
        "<script",
        "onerror",
        "onclick",
        "javascript:",
        "<style",
        "alert(",
    ] {
        assert!(
            !stored.body_html.contains(forbidden),
            "{forbidden} in {}",
            stored.body_html
        );
    }
    assert!(stored.body_html.contains("Ủy ban nhân dân tỉnh"));
    assert!(stored.body_html.contains("alt=\"Hội nghị\""));
    let page = editor.get(created.location()).await;
    assert!(page.body.contains("Đã lưu bản nháp."), "{}", page.body);
    assert!(!page.body.contains("<script>alert"), "{}", page.body);
    assert!(
        page.body.contains("&lt;script&gt;x&lt;/script&gt;"),
        "the title is escaped"
    );

    // Not public while a draft.
    let mut public = h.client();
    assert_eq!(
        public.get(&format!("/noi-dung/{id}")).await.status,
        StatusCode::NOT_FOUND
    );

    // A second revision; the history shows both with their content.
    let edit = editor.get(&format!("/staff/portal/{id}/edit")).await;
    assert_eq!(edit.status, StatusCode::OK);
    assert!(edit.body.contains("name=\"revision\" value=\"1\""));
    let saved = editor
        .submit(
            &format!("/staff/portal/{id}/edit"),
            &[
                ("revision", "1"),
                ("title", "Hội nghị chuyển đổi số năm 2026"),
                ("category", "tin-tuc"),
                ("summary", "Tóm tắt mới"),
                ("body", "<p>Nội dung đã sửa.</p>"),
            ],
        )
        .await;
    assert_eq!(saved.status, StatusCode::SEE_OTHER, "{}", saved.body);
    // A stale revision is refused and the form keeps the text.
    let stale = editor
        .submit(
            &format!("/staff/portal/{id}/edit"),
            &[
                ("revision", "1"),
                ("title", "Bản ghi đè"),
                ("category", "tin-tuc"),
                ("body", "<p>ghi đè</p>"),
            ],
        )
        .await;
    assert_eq!(stale.status, StatusCode::CONFLICT, "{}", stale.body);
    assert!(
        stale.body.contains("vừa được người khác lưu"),
        "{}",
        stale.body
    );
    assert!(stale.body.contains("Bản ghi đè"));
    assert_eq!(store::item(&h.db, id).await.unwrap().unwrap().revision, 2);
    let item_page = editor.get(&format!("/staff/portal/{id}")).await;
    assert!(item_page
        .body
        .contains(&format!("/staff/portal/{id}/revisions/1")));
    assert!(item_page
        .body
        .contains(&format!("/staff/portal/{id}/revisions/2")));
    let first = editor.get(&format!("/staff/portal/{id}/revisions/1")).await;
    assert_eq!(first.status, StatusCode::OK);
    assert!(
        first.body.contains("Ủy ban nhân dân tỉnh tổ chức hội nghị"),
        "{}",
        first.body
    );
    assert!(first.body.contains("phiên bản hiện hành là 2"));
    assert_eq!(
        editor
            .get(&format!("/staff/portal/{id}/revisions/9"))
            .await
            .status,
        StatusCode::NOT_FOUND
    );

    // The editor cannot publish; sends for review.
    let refused = editor
        .submit(&format!("/staff/portal/{id}/publish"), &[])
        .await;
    assert_eq!(refused.status, StatusCode::FORBIDDEN);
    assert!(refused.body.contains(vi::FORBIDDEN));
    let submitted = editor
        .submit(&format!("/staff/portal/{id}/submit"), &[])
        .await;
    assert_eq!(
        submitted.status,
        StatusCode::SEE_OTHER,
        "{}",
        submitted.body
    );
    let again = editor
        .submit(&format!("/staff/portal/{id}/submit"), &[])
        .await;
    assert_eq!(again.status, StatusCode::CONFLICT, "{}", again.body);

    // The leader filters the list by status and publishes.
    let mut boss = h.client();
    boss.sign_in(&leader).await;
    let review = boss.get("/staff/portal?status=review").await;
    assert!(review
        .body
        .contains(&format!("href=\"/staff/portal/{id}\"")));
    let drafts = boss.get("/staff/portal?status=draft").await;
    assert!(!drafts
        .body
        .contains(&format!("href=\"/staff/portal/{id}\"")));
    let legal = boss.get("/staff/portal?category=van-ban-chi-dao").await;
    assert!(!legal.body.contains(&format!("href=\"/staff/portal/{id}\"")));
    assert_eq!(
        boss.get("/staff/portal?status=bogus").await.status,
        StatusCode::BAD_REQUEST
    );
    let bad_time = boss
        .submit(
            &format!("/staff/portal/{id}/publish"),
            &[("publish_at", "ngày mai")],
        )
        .await;
    assert_eq!(bad_time.status, StatusCode::BAD_REQUEST);
    assert!(bad_time.body.contains("publish"), "{}", bad_time.body);
    let published = boss
        .submit(
            &format!("/staff/portal/{id}/publish"),
            &[("publish_at", ""), ("unpublish_at", "")],
        )
        .await;
    assert_eq!(
        published.status,
        StatusCode::SEE_OTHER,
        "{}",
        published.body
    );
    let public_page = public.get(&format!("/noi-dung/{id}")).await;
    assert_eq!(public_page.status, StatusCode::OK);
    assert!(public_page.body.contains("Nội dung đã sửa."));

    // A published item can only be changed by someone who may publish.
    let edit_live = editor
        .submit(
            &format!("/staff/portal/{id}/edit"),
            &[
                ("revision", "2"),
                ("title", "Sửa khi đang đăng"),
                ("category", "tin-tuc"),
                ("body", "<p>x</p>"),
            ],
        )
        .await;
    assert_eq!(
        edit_live.status,
        StatusCode::FORBIDDEN,
        "{}",
        edit_live.body
    );

    // Unpublished: gone from the public site, kept for staff.
    let down = boss
        .submit(&format!("/staff/portal/{id}/unpublish"), &[])
        .await;
    assert_eq!(down.status, StatusCode::SEE_OTHER, "{}", down.body);
    assert_eq!(
        public.get(&format!("/noi-dung/{id}")).await.status,
        StatusCode::NOT_FOUND
    );
    assert_eq!(
        editor.get(&format!("/staff/portal/{id}")).await.status,
        StatusCode::OK
    );

    // A scheduled publication waits for its time.
    boss.submit(
        &format!("/staff/portal/{id}/publish"),
        &[("publish_at", "2099-01-01T08:00")],
    )
    .await;
    let item = store::item(&h.db, id).await.unwrap().unwrap();
    assert_eq!(item.status, "scheduled");
    assert_eq!(item.publish_at, Some(4_070_912_400_000_000));
    assert_eq!(
        public.get(&format!("/noi-dung/{id}")).await.status,
        StatusCode::NOT_FOUND
    );

    // Every step is in the ledger.
    for action in [
        "portal.item_saved",
        "portal.item_submitted",
        "portal.item_published",
        "portal.item_unpublished",
        "portal.item_scheduled",
    ] {
        assert!(!h.entries_with(action).await.is_empty(), "{action}");
    }

    // The categories page shows the retention periods, in English too.
    let categories = boss.get("/staff/portal/categories").await;
    assert!(
        categories.body.contains("đăng 730 ngày"),
        "{}",
        categories.body
    );
    assert!(categories.body.contains("đăng không thời hạn"));
    boss.get("/lang/en").await;
    let english = boss.get("/staff/portal/categories").await;
    assert!(
        english.body.contains("online for 730 days"),
        "{}",
        english.body
    );
}

async fn portal_screens_need_portal_roles_and_csrf(db: Db) {
    let h = Harness::new(db).await;
    categories(&h).await;
    let clerk = h.user("van.thu", Role::Clerk).await;
    let security = h.user("an.ninh", Role::SecurityOfficer).await;
    let citizen = h.user("cong.dan", Role::Citizen).await;
    let leader = h.user("lanh.dao", Role::Leader).await;

    // Anonymous visitors are sent to log in.
    let mut anonymous = h.client();
    let reply = anonymous.get("/staff/portal").await;
    assert_eq!(reply.status, StatusCode::SEE_OTHER);
    assert!(
        reply.location().starts_with("/login"),
        "{}",
        reply.location()
    );

    for user in [&security, &citizen] {
        let mut client = h.client();
        client.sign_in(user).await;
        for path in [
            "/staff/portal",
            "/staff/portal/new",
            "/staff/portal/categories",
        ] {
            let reply = client.get(path).await;
            assert_eq!(
                reply.status,
                StatusCode::FORBIDDEN,
                "{} {path}",
                user.username
            );
        }
        let reply = client
            .submit("/staff/portal", &[("title", "x"), ("category", "tin-tuc")])
            .await;
        assert_eq!(reply.status, StatusCode::FORBIDDEN);
    }
    assert_eq!(item_count(&h).await, 0);

    // A leader reads but does not write.
    let mut boss = h.client();
    boss.sign_in(&leader).await;
    assert_eq!(boss.get("/staff/portal").await.status, StatusCode::OK);
    assert_eq!(
        boss.get("/staff/portal/new").await.status,
        StatusCode::FORBIDDEN
    );

    // Without a token, or with a reused one, nothing is saved.
    let mut client = h.client();
    client.sign_in(&clerk).await;
    let fields = [
        ("title", "Thông báo"),
        ("category", "tin-tuc"),
        ("body", "<p>x</p>"),
    ];
    let reply = client.post_form("/staff/portal", &fields).await;
    assert_eq!(reply.status, StatusCode::FORBIDDEN);
    assert!(reply.body.contains(vi::CSRF), "{}", reply.body);
    let token = client.token().await;
    let mut with_token = vec![("csrf", token.as_str())];
    with_token.extend_from_slice(&fields);
    let first = client.post_form("/staff/portal", &with_token).await;
    assert_eq!(first.status, StatusCode::SEE_OTHER, "{}", first.body);
    let replay = client.post_form("/staff/portal", &with_token).await;
    assert_eq!(
        replay.status,
        StatusCode::FORBIDDEN,
        "a token is single-use"
    );
    assert_eq!(item_count(&h).await, 1);
    let id = item_id(&first);
    // A cross-site post is refused even with a token.
    let token = client.token().await;
    let cross = client
        .send(
            request(
                axum::http::Method::POST,
                &format!("/staff/portal/{id}/submit"),
            )
            .header(header::CONTENT_TYPE, "application/x-www-form-urlencoded")
            .header(header::ORIGIN, "https://evil.example")
            .body(axum::body::Body::from(format!("csrf={token}")))
            .unwrap(),
        )
        .await;
    assert_eq!(cross.status, StatusCode::FORBIDDEN);
    assert_eq!(
        store::item(&h.db, id).await.unwrap().unwrap().status,
        "draft"
    );
    assert!(h.entries_with("security.csrf_rejected").await.len() >= 2);
}

fn jpeg(width: u32, height: u32) -> Vec<u8> {
    let mut out = Vec::new();
    image::RgbImage::from_fn(width, height, |x, y| {
        image::Rgb([(x % 256) as u8, 120, (y % 256) as u8])
    })
    .write_to(
        &mut std::io::Cursor::new(&mut out),
        image::ImageFormat::Jpeg,
    )
    .unwrap();
    out
}

/// A PNG whose header claims `side` × `side` pixels with no real data.
fn bomb(side: u32) -> Vec<u8> {
    fn chunk(out: &mut Vec<u8>, kind: &[u8; 4], data: &[u8]) {
        out.extend_from_slice(&(data.len() as u32).to_be_bytes());
        let mut crc_input = kind.to_vec();
        crc_input.extend_from_slice(data);
        out.extend_from_slice(&crc_input);
        let mut crc = 0xffff_ffffu32;
        for byte in &crc_input {
            crc ^= u32::from(*byte);
            for _ in 0..8 {
                crc = if crc & 1 == 1 {
                    (crc >> 1) ^ 0xedb8_8320
                } else {
                    crc >> 1
                };
            }
        }
        out.extend_from_slice(&(!crc).to_be_bytes());
    }
    let mut out = b"\x89PNG\r\n\x1a\n".to_vec();
    let mut ihdr = side.to_be_bytes().to_vec();
    ihdr.extend_from_slice(&side.to_be_bytes());
    ihdr.extend_from_slice(&[8, 2, 0, 0, 0]);
    chunk(&mut out, b"IHDR", &ihdr);
    chunk(
        &mut out,
        b"IDAT",
        &[0x78, 0x9c, 0x03, 0x00, 0x00, 0x00, 0x00, 0x01],
    );
    chunk(&mut out, b"IEND", &[]);
    out
}

async fn upload_image(
    client: &mut Client,
    id: i64,
    alt: &str,
    name: &str,
    mime: &str,
    bytes: &[u8],
) -> Reply {
    let token = client.token().await;
    let token = serde_urlencoded::to_string([("csrf", token)]).unwrap();
    client
        .post_multipart(
            &format!("/staff/portal/{id}/images?{token}"),
            &[("alt", alt)],
            &[("image", name, mime, bytes)],
        )
        .await
}

async fn images_are_resized_and_served_with_srcset(db: Db) {
    let h = Harness::new(db).await;
    categories(&h).await;
    let specialist = h.user("chuyen.vien", Role::Specialist).await;
    let leader = h.user("lanh.dao", Role::Leader).await;
    let mut editor = h.client();
    editor.sign_in(&specialist).await;
    let created = editor
        .submit(
            "/staff/portal",
            &[
                ("title", "Ảnh hội nghị"),
                ("category", "tin-tuc"),
                ("body", "<p>Ảnh.</p>"),
            ],
        )
        .await;
    let id = item_id(&created);

    // Refusals: no alt text, garbage, a decompression bomb, a GIF; nothing
    // is stored for any of them.
    let photo = jpeg(1600, 900);
    let no_alt = upload_image(&mut editor, id, "  ", "a.jpg", "image/jpeg", &photo).await;
    assert_eq!(no_alt.status, StatusCode::BAD_REQUEST, "{}", no_alt.body);
    assert!(no_alt.body.contains("alt"), "{}", no_alt.body);
    let garbage = upload_image(
        &mut editor,
        id,
        "Ảnh",
        "a.jpg",
        "image/jpeg",
        b"MZ\x90\x00 not an image",
    )
    .await;
    assert_eq!(garbage.status, StatusCode::BAD_REQUEST);
    assert!(
        garbage.body.contains("not a JPEG or PNG"),
        "{}",
        garbage.body
    );
    let bomb = upload_image(
        &mut editor,
        id,
        "Ảnh",
        "bom.png",
        "image/png",
        &bomb(60_000),
    )
    .await;
    assert_eq!(bomb.status, StatusCode::BAD_REQUEST);
    assert!(bomb.body.contains("too large"), "{}", bomb.body);
    let no_token = editor
        .post_multipart(
            &format!("/staff/portal/{id}/images"),
            &[("alt", "Ảnh")],
            &[("image", "a.jpg", "image/jpeg", &photo)],
        )
        .await;
    assert_eq!(no_token.status, StatusCode::FORBIDDEN);
    assert!(congso_store::portal_media::images(&h.db, id)
        .await
        .unwrap()
        .is_empty());

    // A real photo: two widths, EXIF-free JPEG, dimensions kept in ratio.
    let added = upload_image(
        &mut editor,
        id,
        "Toàn cảnh hội nghị",
        "hoi-nghi.jpg",
        "image/jpeg",
        &photo,
    )
    .await;
    assert_eq!(added.status, StatusCode::SEE_OTHER, "{}", added.body);
    let transparent = {
        let mut out = Vec::new();
        image::RgbaImage::from_pixel(300, 200, image::Rgba([0, 0, 0, 0]))
            .write_to(&mut std::io::Cursor::new(&mut out), image::ImageFormat::Png)
            .unwrap();
        out
    };
    let logo = upload_image(
        &mut editor,
        id,
        "Biểu trưng",
        "logo.png",
        "image/png",
        &transparent,
    )
    .await;
    assert_eq!(logo.status, StatusCode::SEE_OTHER, "{}", logo.body);
    assert!(!h.entries_with("portal.image_added").await.is_empty());
    let images = congso_store::portal_media::images(&h.db, id).await.unwrap();
    assert_eq!(images.len(), 2);
    let photo_id = images[0].id;
    let logo_id = images[1].id;
    assert_eq!((images[0].width, images[0].height), (1600, 900));

    // Staff see it while the item is a draft; the public does not.
    let staff_view = editor.get(&format!("/anh/{photo_id}/480.jpg")).await;
    assert_eq!(staff_view.status, StatusCode::OK);
    assert_eq!(
        staff_view.headers[header::CACHE_CONTROL],
        "private, no-store"
    );
    let mut public = h.client();
    assert_eq!(
        public.get(&format!("/anh/{photo_id}/480.jpg")).await.status,
        StatusCode::NOT_FOUND
    );

    editor
        .submit(&format!("/staff/portal/{id}/submit"), &[])
        .await;
    let mut boss = h.client();
    boss.sign_in(&leader).await;
    boss.submit(&format!("/staff/portal/{id}/publish"), &[])
        .await;

    let page = public.get(&format!("/noi-dung/{id}")).await;
    assert_eq!(page.status, StatusCode::OK);
    let srcset = format!("srcset=\"/anh/{photo_id}/480.jpg 480w, /anh/{photo_id}/960.jpg 960w\"");
    assert!(page.body.contains(&srcset), "{}", page.body);
    assert!(
        page.body.contains("width=\"960\" height=\"540\""),
        "{}",
        page.body
    );
    assert!(page.body.contains("alt=\"Toàn cảnh hội nghị\""));
    assert!(
        page.body
            .contains(&format!("src=\"/anh/{logo_id}/300.png\"")),
        "{}",
        page.body
    );

    for (width, height) in [(480u32, 270u32), (960, 540)] {
        let reply = public.get(&format!("/anh/{photo_id}/{width}.jpg")).await;
        assert_eq!(reply.status, StatusCode::OK);
        assert_eq!(reply.content_type(), "image/jpeg");
        assert_eq!(
            reply.headers[header::CACHE_CONTROL],
            "public, max-age=31536000, immutable"
        );
        let etag = reply.headers[header::ETAG].to_str().unwrap().to_owned();
        let again = public
            .send(
                request(
                    axum::http::Method::GET,
                    &format!("/anh/{photo_id}/{width}.jpg"),
                )
                .header(header::IF_NONE_MATCH, &etag)
                .body(axum::body::Body::empty())
                .unwrap(),
            )
            .await;
        assert_eq!(again.status, StatusCode::NOT_MODIFIED);
        let variant = congso_store::portal_media::variant(&h.db, photo_id, i64::from(width))
            .await
            .unwrap()
            .unwrap()
            .0;
        assert_eq!(
            (variant.width, variant.height),
            (i64::from(width), i64::from(height))
        );
        assert_eq!(format!("\"{}\"", hex::encode(&variant.sha256)), etag);
    }
    let logo_reply = public.get(&format!("/anh/{logo_id}/300.png")).await;
    assert_eq!(logo_reply.content_type(), "image/png");
    for missing in [
        format!("/anh/{photo_id}/300.jpg"),
        format!("/anh/{photo_id}/480.png"),
        format!("/anh/{photo_id}/x.jpg"),
        "/anh/999999/480.jpg".to_owned(),
    ] {
        assert_eq!(
            public.get(&missing).await.status,
            StatusCode::NOT_FOUND,
            "{missing}"
        );
    }
}

async fn issued_documents_are_published_once_with_their_files(db: Db) {
    let h = Harness::with_documents(db, |_| {}).await;
    categories(&h).await;
    let clerk = h.user("van.thu", Role::Clerk).await;
    let leader = h.user("lanh.dao", Role::Leader).await;
    let specialist = h.user("chuyen.vien", Role::Specialist).await;
    let mut writer = h.client();
    writer.sign_in(&specialist).await;
    let token = writer.token().await;
    let action = format!(
        "/documents/outgoing?{}",
        serde_urlencoded::to_string([("csrf", token)]).unwrap()
    );
    let file = congso_archive::samples::text_pdf("Quyet dinh", 1);
    let reply = writer
        .post_multipart(
            &action,
            &[
                ("type_code", "quyet-dinh"),
                ("summary", "Về việc ban hành quy chế làm việc"),
                ("recipients", "Như Điều 3"),
                ("signer_position", "GIÁM ĐỐC"),
                ("signer_name", "Nguyễn Văn An"),
                ("urgency", "0"),
                ("secrecy", "0"),
            ],
            &[
                ("file", "quy-che.pdf", "application/pdf", &file),
                ("attachment", "phu-luc.txt", "text/plain", b"Phu luc"),
            ],
        )
        .await;
    assert_eq!(reply.status, StatusCode::SEE_OTHER, "{}", reply.body);
    let doc: i64 = reply
        .location()
        .strip_prefix("/documents/")
        .and_then(|rest| rest.split('?').next())
        .and_then(|id| id.parse().ok())
        .unwrap();

    // Not issued yet: no portal section, and the action is refused.
    let mut boss = h.client();
    boss.sign_in(&leader).await;
    let early = boss.submit(&format!("/documents/{doc}/portal"), &[]).await;
    assert_eq!(early.status, StatusCode::CONFLICT, "{}", early.body);
    assert_eq!(item_count(&h).await, 0);

    writer
        .submit(
            &format!("/documents/{doc}/transition"),
            &[("transition", "submit")],
        )
        .await;
    for step in ["review", "approve"] {
        let reply = boss
            .submit(
                &format!("/documents/{doc}/transition"),
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
    h.pki
        .as_ref()
        .unwrap()
        .issue(
            &h.ledger,
            &congso_core::audit::Actor::Operator("test".into()),
            "lanh.dao",
            congso_archive::KeyAlgorithm::EcdsaP256,
        )
        .await
        .unwrap();
    let signed = boss.submit(&format!("/documents/{doc}/sign"), &[]).await;
    assert_eq!(signed.status, StatusCode::SEE_OTHER, "{}", signed.body);
    let mut clerk_client = h.client();
    clerk_client.sign_in(&clerk).await;
    let issued = clerk_client
        .submit(
            &format!("/documents/{doc}/transition"),
            &[("transition", "issue")],
        )
        .await;
    assert_eq!(issued.status, StatusCode::SEE_OTHER, "{}", issued.body);

    // The clerk (an editor) puts it on the portal for review.
    let page = clerk_client.get(&format!("/documents/{doc}")).await;
    assert!(
        page.body
            .contains(&format!("action=\"/documents/{doc}/portal\"")),
        "{}",
        page.body
    );
    let sent = clerk_client
        .submit(
            &format!("/documents/{doc}/portal"),
            &[("category", "van-ban-chi-dao")],
        )
        .await;
    assert_eq!(sent.status, StatusCode::SEE_OTHER, "{}", sent.body);
    assert!(sent.location().contains("portal-notice-document-review"));
    let items = store::all_items(&h.db, 10, 0).await.unwrap();
    assert_eq!(items.len(), 1);
    let item = &items[0];
    assert_eq!(item.status, "review");
    assert_eq!(
        item.external_id.as_deref(),
        Some(format!("van-ban-{doc}").as_str())
    );
    let metadata: serde_json::Value = serde_json::from_str(&item.metadata).unwrap();
    assert_eq!(metadata["number"], "01/QĐ-STTTT");
    assert_eq!(metadata["signer"], "Nguyễn Văn An");
    assert_eq!(metadata["document_type"], "Quyết định");
    assert!(item.title.contains("01/QĐ-STTTT"), "{}", item.title);
    assert_eq!(item.summary, "Về việc ban hành quy chế làm việc");
    let attachments = metadata["attachments"].as_array().unwrap();
    assert_eq!(attachments.len(), 2, "{metadata}");
    let signed_url = attachments[0]["url"].as_str().unwrap().to_owned();
    let attachment_url = attachments[1]["url"].as_str().unwrap().to_owned();

    // Not public yet: neither the item nor its files.
    let mut public = h.client();
    assert_eq!(
        public.get(&format!("/noi-dung/{}", item.id)).await.status,
        StatusCode::NOT_FOUND
    );
    assert_eq!(public.get(&signed_url).await.status, StatusCode::NOT_FOUND);

    // The leader publishes it again from the document: same item, now live.
    let published = boss
        .submit(
            &format!("/documents/{doc}/portal"),
            &[("category", "van-ban-chi-dao")],
        )
        .await;
    assert_eq!(
        published.status,
        StatusCode::SEE_OTHER,
        "{}",
        published.body
    );
    assert!(published
        .location()
        .contains("portal-notice-document-published"));
    // Once more through the JSON API with a bearer token: still one item.
    let created = boss
        .submit("/account/api-tokens", &[("name", "Cổng"), ("days", "30")])
        .await;
    let start = created.body.find("cgs_").expect("the token is shown once");
    let token: String = created.body[start..]
        .chars()
        .take_while(|c| c.is_ascii_alphanumeric() || *c == '_' || *c == '-')
        .collect();
    let again = boss
        .send(
            request(
                axum::http::Method::POST,
                &format!("/api/documents/{doc}/portal"),
            )
            .header(header::AUTHORIZATION, format!("Bearer {token}"))
            .header(header::CONTENT_TYPE, "application/json")
            .body(axum::body::Body::from("{}"))
            .unwrap(),
        )
        .await;
    assert_eq!(again.status, StatusCode::OK, "{}", again.body);
    let answer = again.json();
    assert_eq!(answer["item_id"], item.id);
    assert_eq!(answer["updated"], true);
    assert_eq!(answer["status"], "published");
    let items = store::all_items(&h.db, 10, 0).await.unwrap();
    assert_eq!(items.len(), 1, "re-publishing updates, never duplicates");
    assert_eq!(items[0].status, "published");
    assert!(items[0].revision >= 2);
    assert_eq!(h.entries_with("portal.document_published").await.len(), 3);

    let page = public.get(&format!("/noi-dung/{}", item.id)).await;
    assert_eq!(page.status, StatusCode::OK);
    for text in [
        "01/QĐ-STTTT",
        "Nguyễn Văn An",
        "Về việc ban hành quy chế làm việc",
        "quy-che",
        "phu-luc.txt",
    ] {
        assert!(page.body.contains(text), "{text}: {}", page.body);
    }
    let download = public.get(&signed_url).await;
    assert_eq!(download.status, StatusCode::OK, "{signed_url}");
    assert_eq!(download.content_type(), "application/pdf");
    assert!(download.body.starts_with("%PDF"));
    let text = public.get(&attachment_url).await;
    assert_eq!(text.body, "Phu luc");
    // Files of the document that were not published stay private.
    let files = congso_store::portal_media::item_files(&h.db, item.id)
        .await
        .unwrap();
    let all_files: Vec<i64> = h
        .documents
        .as_ref()
        .unwrap()
        .files(
            &h.documents
                .as_ref()
                .unwrap()
                .acting(clerk.id, "t")
                .await
                .unwrap(),
            doc,
        )
        .await
        .unwrap()
        .iter()
        .map(|file| file.id)
        .collect();
    for file_id in all_files {
        if !files.iter().any(|file| file.file_id == file_id) {
            assert_eq!(
                public
                    .get(&format!("/van-ban/{doc}/tep/{file_id}"))
                    .await
                    .status,
                StatusCode::NOT_FOUND
            );
        }
    }

    // Recalling the document takes its files off the public site.
    let recall = boss
        .submit(
            &format!("/documents/{doc}/recall"),
            &[("reason", "Ban hành nhầm")],
        )
        .await;
    assert_eq!(recall.status, StatusCode::SEE_OTHER, "{}", recall.body);
    assert_eq!(public.get(&signed_url).await.status, StatusCode::NOT_FOUND);
    // ... and the item itself: a recalled document is not left online as
    // if it were in force. It stays in the staff archive, unpublished, with
    // a ledger entry by the person who recalled it.
    assert_eq!(
        public.get(&format!("/noi-dung/{}", item.id)).await.status,
        StatusCode::NOT_FOUND
    );
    let withdrawn = store::all_items(&h.db, 10, 0).await.unwrap();
    assert_eq!(withdrawn.len(), 1, "kept for staff");
    assert_eq!(withdrawn[0].status, "unpublished");
    let unpublished = h.entries_with("portal.item_unpublished").await;
    assert_eq!(unpublished.len(), 1);
    assert_eq!(unpublished[0].actor, "user:lanh.dao");
    let refused = boss.submit(&format!("/documents/{doc}/portal"), &[]).await;
    assert_eq!(refused.status, StatusCode::CONFLICT, "{}", refused.body);
    // People without portal roles cannot publish documents.
    let mut security = h.client();
    let officer = h.user("an.ninh", Role::SecurityOfficer).await;
    security.sign_in(&officer).await;
    assert_eq!(
        security
            .submit(&format!("/documents/{doc}/portal"), &[])
            .await
            .status,
        StatusCode::FORBIDDEN
    );
}

/// Writes, sends for review and publishes an item; returns its id.
async fn published_item(editor: &mut Client, boss: &mut Client, title: &str, body: &str) -> i64 {
    let created = editor
        .submit(
            "/staff/portal",
            &[("title", title), ("category", "tin-tuc"), ("body", body)],
        )
        .await;
    let id = item_id(&created);
    let submitted = editor
        .submit(&format!("/staff/portal/{id}/submit"), &[])
        .await;
    assert_eq!(
        submitted.status,
        StatusCode::SEE_OTHER,
        "{}",
        submitted.body
    );
    let published = boss
        .submit(&format!("/staff/portal/{id}/publish"), &[])
        .await;
    assert_eq!(
        published.status,
        StatusCode::SEE_OTHER,
        "{}",
        published.body
    );
    id
}

/// The ids of a public search, in order.
async fn search_ids(public: &mut Client, query: &str) -> Vec<String> {
    let reply = public
        .get(&format!(
            "/api/search?{}",
            serde_urlencoded::to_string([("q", query)]).unwrap()
        ))
        .await;
    assert_eq!(reply.status, StatusCode::OK, "{}", reply.body);
    reply.json()["results"]
        .as_array()
        .unwrap()
        .iter()
        .map(|result| {
            // Absolute addresses: keep the path.
            let url = result["url"].as_str().unwrap_or_default();
            let path = url
                .split_once("://")
                .map_or(url, |(_, rest)| rest.find('/').map_or("", |at| &rest[at..]));
            path.to_owned()
        })
        .collect()
}

async fn staff_edit_synonyms_and_best_bets(db: Db) {
    let h = Harness::new(db).await;
    categories(&h).await;
    let specialist = h.user("chuyen.vien", Role::Specialist).await;
    let leader = h.user("lanh.dao", Role::Leader).await;
    let mut editor = h.client();
    editor.sign_in(&specialist).await;
    let mut boss = h.client();
    boss.sign_in(&leader).await;
    let conference = published_item(
        &mut editor,
        &mut boss,
        "Hội nghị chuyển đổi số năm 2026",
        "<p>Ủy ban nhân dân tỉnh tổ chức hội nghị chuyển đổi số.</p>",
    )
    .await;
    let permit = published_item(
        &mut editor,
        &mut boss,
        "Thông báo về giấy phép xây dựng nhà ở",
        "<p>Hướng dẫn thủ tục cấp giấy phép xây dựng nhà ở riêng lẻ.</p>",
    )
    .await;
    let mut public = h.client();

    // The page shows the lists in force: the shipped synonyms, no bets.
    let page = boss.get("/staff/portal/search-lists").await;
    assert_eq!(page.status, StatusCode::OK, "{}", page.body);
    assert!(page.body.contains("UBND, Ủy ban nhân dân"), "{}", page.body);
    assert!(page
        .body
        .contains("Đang dùng danh sách mặc định của congso."));
    assert!(page.body.contains("<label for=\"best_bets\">"));
    // Editors see the lists but may not change them.
    let seen = editor.get("/staff/portal/search-lists").await;
    assert_eq!(seen.status, StatusCode::OK);
    assert!(seen.body.contains("readonly"));
    let refused = editor
        .submit(
            "/staff/portal/search-lists",
            &[("list", "best_bets"), ("text", "x => 1")],
        )
        .await;
    assert_eq!(refused.status, StatusCode::FORBIDDEN);

    // A list that does not parse is refused with its line; nothing saved.
    let bad = boss
        .submit(
            "/staff/portal/search-lists",
            &[
                ("list", "best_bets"),
                ("text", "# ghi chú\nhoi nghi => /tim-kiem?q=x\n"),
            ],
        )
        .await;
    assert_eq!(bad.status, StatusCode::BAD_REQUEST, "{}", bad.body);
    assert!(bad.body.contains("line 2"), "{}", bad.body);
    assert!(bad.body.contains("role=\"alert\""));
    assert!(
        bad.body.contains("hoi nghi =&gt; /tim-kiem?q=x"),
        "the text is kept"
    );
    let wrong_list = boss
        .submit(
            "/staff/portal/search-lists",
            &[("list", "other"), ("text", "")],
        )
        .await;
    assert_eq!(wrong_list.status, StatusCode::BAD_REQUEST);
    let huge = "a, b\n".repeat(200_000);
    let too_long = boss
        .submit(
            "/staff/portal/search-lists",
            &[("list", "synonyms"), ("text", &huge)],
        )
        .await;
    assert!(too_long.status.is_client_error(), "{}", too_long.status);
    assert!(store::search_lists(&h.db).await.unwrap().is_empty());
    assert!(h.entries_with("portal.search_list_saved").await.is_empty());

    // A best bet puts the permit notice first for "hội nghị" queries.
    let before = search_ids(&mut public, "hoi nghi").await;
    assert_eq!(
        before.first().map(String::as_str),
        Some(format!("/noi-dung/{conference}").as_str())
    );
    let saved = boss
        .submit(
            "/staff/portal/search-lists",
            &[
                ("list", "best_bets"),
                ("text", &format!("Hội nghị => /noi-dung/{permit}\r\n")),
            ],
        )
        .await;
    assert_eq!(saved.status, StatusCode::SEE_OTHER, "{}", saved.body);
    let after = search_ids(&mut public, "HOI NGHI").await;
    assert_eq!(after[0], format!("/noi-dung/{permit}"), "{after:?}");
    assert!(after.contains(&format!("/noi-dung/{conference}")));

    // An agency abbreviation: "gpxdno" finds the permit once it is listed.
    assert!(!search_ids(&mut public, "gpxdno")
        .await
        .contains(&format!("/noi-dung/{permit}")));
    let synonyms = format!(
        "{}\nGPXDNO, giấy phép xây dựng\n",
        congso_search::SHIPPED_SYNONYMS
    );
    let saved = boss
        .submit(
            "/staff/portal/search-lists",
            &[("list", "synonyms"), ("text", &synonyms)],
        )
        .await;
    assert_eq!(saved.status, StatusCode::SEE_OTHER, "{}", saved.body);
    assert_eq!(
        search_ids(&mut public, "gpxdno").await.first(),
        Some(&format!("/noi-dung/{permit}"))
    );
    let page = boss.get(saved.location()).await;
    assert!(page.body.contains("Đã lưu danh sách"), "{}", page.body);
    assert!(page.body.contains("GPXDNO, giấy phép xây dựng"));
    assert!(page.body.contains("bởi lanh.dao"), "{}", page.body);

    // Both saves are in the database and the ledger, by the leader.
    let lists = store::search_lists(&h.db).await.unwrap();
    assert_eq!(lists.len(), 2);
    let entries = h.entries_with("portal.search_list_saved").await;
    assert_eq!(entries.len(), 2);
    assert!(entries.iter().all(|entry| entry.actor == "user:lanh.dao"));
}

on_both_databases!(
    write_review_publish_unpublish,
    portal_screens_need_portal_roles_and_csrf,
    images_are_resized_and_served_with_srcset,
    issued_documents_are_published_once_with_their_files,
    staff_edit_synonyms_and_best_bets,
);

//! `/staff/data-services`: who may open it, the form made from a service's
//! declared input, a refused form kept with its values, and an answer shown
//! with its proof. The gateway here stands in for the federation (which
//! `crates/congso/tests/federation.rs` runs for real across three nodes):
//! it lists one service and records the calls it is asked to make.

use std::sync::{Arc, Mutex};

use axum::http::StatusCode;
use congso_core::access::Role;
use congso_store::Db;
use congso_web::data_services::{
    BoxFuture, CallResult, DataServiceGateway, OfferedService, ServiceCall,
};

use crate::harness::Harness;

on_both_databases!(data_service_screen);

#[derive(Default)]
struct StandIn {
    calls: Mutex<Vec<(ServiceCall, String)>>,
}

impl DataServiceGateway for StandIn {
    fn services(&self) -> Vec<OfferedService> {
        vec![OfferedService {
            provider: "000.00.01.H26".into(),
            provider_name: "UBND tỉnh Lào Cai".into(),
            code: "ho-tich.tra-cuu-cu-tru".into(),
            name: "Tra cứu thông tin cư trú".into(),
            description: "Theo số định danh cá nhân".into(),
            input_schema: serde_json::json!({
                "type": "object",
                "required": ["cccd"],
                "properties": {"cccd": {"type": "string", "title": "Số CCCD", "maxLength": 12}}
            }),
            output_schema: serde_json::json!({
                "type": "object",
                "properties": {"ho_ten": {"type": "string", "title": "Họ và tên"}}
            }),
        }]
    }

    fn call<'a>(
        &'a self,
        call: ServiceCall,
        username: &'a str,
    ) -> BoxFuture<'a, Result<CallResult, String>> {
        Box::pin(async move {
            let found = call.input["cccd"] == "001099012345";
            self.calls.lock().unwrap().push((call, username.to_owned()));
            Ok(CallResult {
                request_id: "7f".repeat(16),
                outcome: if found { "ok" } else { "invalid_input" }.into(),
                message: String::new(),
                errors: if found {
                    Vec::new()
                } else {
                    vec!["/cccd: không phải số CCCD".into()]
                },
                result: found.then(|| serde_json::json!({"ho_ten": "Nguyễn Văn An"})),
                answered_at: Some(1_780_000_000_000_000),
                request_sha256: "ab".repeat(32),
                response_sha256: Some("cd".repeat(32)),
            })
        })
    }
}

async fn data_service_screen(db: Db) {
    let h = Harness::new(db).await;
    let clerk_user = h.user("van.thu", Role::Clerk).await;
    let it_user = h.user("it.officer", Role::ItOfficer).await;
    let mut clerk = h.client();
    clerk.sign_in(&clerk_user).await;
    let mut it = h.client();
    it.sign_in(&it_user).await;

    // Not in a federation yet: said so; the IT officer may not look.
    let page = clerk.get("/staff/data-services").await;
    assert_eq!(page.status, StatusCode::OK, "{}", page.body);
    assert!(
        page.body.contains("chưa tham gia mạng liên thông"),
        "{}",
        page.body
    );
    assert_eq!(
        it.get("/staff/data-services").await.status,
        StatusCode::FORBIDDEN
    );
    let staff = clerk.get("/staff").await;
    assert!(staff.body.contains("href=\"/staff/data-services\""));

    let gateway = Arc::new(StandIn::default());
    assert!(h.state.set_data_services(gateway.clone()));
    let page = clerk.get("/staff/data-services").await;
    assert!(
        page.body.contains("Tra cứu thông tin cư trú"),
        "{}",
        page.body
    );
    assert!(page.body.contains("Số CCCD"));
    assert!(page.body.contains("name=\"in.cccd\""));
    assert!(page.body.contains("maxlength=\"12\""));

    // No purpose: refused, values kept, nothing called.
    let fields = [
        ("provider", "000.00.01.H26"),
        ("service", "ho-tich.tra-cuu-cu-tru"),
        ("in.cccd", "001099012345"),
        ("purpose", "  "),
    ];
    let refused = clerk.submit("/staff/data-services/call", &fields).await;
    assert_eq!(refused.status, StatusCode::BAD_REQUEST, "{}", refused.body);
    assert!(
        refused.alert().unwrap_or_default().contains("mục đích"),
        "{}",
        refused.body
    );
    assert!(refused.body.contains("value=\"001099012345\""));
    assert!(gateway.calls.lock().unwrap().is_empty());
    // A service not in the directory: 404.
    let unknown = clerk
        .submit(
            "/staff/data-services/call",
            &[
                ("provider", "000.00.01.H26"),
                ("service", "khong-co"),
                ("purpose", "x"),
            ],
        )
        .await;
    assert_eq!(unknown.status, StatusCode::NOT_FOUND);

    // A call: the answer with its field titles and proof, never cached.
    let mut fields = fields;
    fields[3] = ("purpose", "Giải quyết hồ sơ đăng ký thường trú số 12/2026");
    let answered = clerk.submit("/staff/data-services/call", &fields).await;
    assert_eq!(answered.status, StatusCode::OK, "{}", answered.body);
    assert!(answered.body.contains("Có kết quả"), "{}", answered.body);
    assert!(answered.body.contains("Họ và tên"));
    assert!(answered.body.contains("Nguyễn Văn An"));
    assert!(answered.body.contains(&"cd".repeat(32)));
    {
        let calls = gateway.calls.lock().unwrap();
        let (call, username) = &calls[0];
        assert_eq!(username, "van.thu");
        assert_eq!(call.input, serde_json::json!({"cccd": "001099012345"}));
        assert_eq!(
            call.purpose,
            "Giải quyết hồ sơ đăng ký thường trú số 12/2026"
        );
        assert_eq!(call.user_id, clerk_user.id.to_string());
    }
    // A refusal is shown as one, with the provider's field errors.
    fields[2] = ("in.cccd", "12345");
    let invalid = clerk.submit("/staff/data-services/call", &fields).await;
    assert_eq!(invalid.status, StatusCode::OK);
    assert!(
        invalid.body.contains("Dữ liệu đầu vào không hợp lệ"),
        "{}",
        invalid.body
    );
    assert!(invalid.body.contains("/cccd: không phải số CCCD"));
    // The IT officer may not call either.
    assert_eq!(
        it.submit("/staff/data-services/call", &fields).await.status,
        StatusCode::FORBIDDEN
    );
}

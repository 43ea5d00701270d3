//! Checks every API answer the end-to-end tests receive against the OpenAPI
//! document the server serves (`GET /api/v1/openapi.json`): the status must be
//! documented for that path and method, and a JSON body must match its schema.

use std::sync::OnceLock;

use serde_json::{Value, json};

fn document() -> &'static Value {
    static DOC: OnceLock<Value> = OnceLock::new();
    DOC.get_or_init(|| {
        let url = format!("{}/api/v1/openapi.json", crate::support::base_url());
        let body = ureq::get(&url)
            .call()
            .expect("GET /api/v1/openapi.json")
            .body_mut()
            .read_to_string()
            .expect("body");
        let doc: Value = serde_json::from_str(&body).expect("the OpenAPI document is JSON");
        assert_eq!(doc["openapi"], "3.1.0");
        doc
    })
}

/// The documented path template that `path` (under /api/v1, no query) matches.
fn template(doc: &Value, path: &str) -> Option<String> {
    let segments: Vec<&str> = path.trim_matches('/').split('/').collect();
    doc["paths"]
        .as_object()?
        .keys()
        .find(|t| {
            let parts: Vec<&str> = t.trim_matches('/').split('/').collect();
            parts.len() == segments.len()
                && parts
                    .iter()
                    .zip(&segments)
                    .all(|(p, s)| p.starts_with('{') || p == s)
        })
        .cloned()
}

/// Follows a local `$ref` (`#/components/...`).
fn resolve<'a>(doc: &'a Value, v: &'a Value) -> &'a Value {
    match v["$ref"].as_str().and_then(|r| r.strip_prefix("#/")) {
        Some(pointer) => doc.pointer(&format!("/{pointer}")).unwrap_or(v),
        None => v,
    }
}

/// Panics unless the answer is documented and its JSON body fits the schema.
pub fn check(
    method: &str,
    path_and_query: &str,
    status: u16,
    content_type: Option<&str>,
    body: &[u8],
) {
    let Some(path) = path_and_query
        .split('?')
        .next()
        .and_then(|p| p.strip_prefix("/api/v1"))
    else {
        return; // not the API (the SPA, the scheduler trigger)
    };
    if path.starts_with("/_test/") {
        return; // test-only hooks are not part of the API
    }
    let doc = document();
    if method == "OPTIONS" {
        return; // CORS preflight, answered for every path
    }
    // An undocumented path is a 404, an undocumented method a 405: both errors.
    let error = json!({ "content": { "application/json": {
        "schema": { "$ref": "#/components/schemas/ErrorResponse" } } } });
    let Some(template) = template(doc, path) else {
        assert_eq!(
            status, 404,
            "{method} {path}: the path is not in the OpenAPI document"
        );
        return validate(
            doc,
            &format!("{method} {path}"),
            status,
            &error,
            content_type,
            body,
        );
    };
    let operation = &doc["paths"][&template][method.to_lowercase()];
    if !operation.is_object() {
        assert_eq!(
            status, 405,
            "{method} {template}: the method is not in the OpenAPI document"
        );
        return validate(
            doc,
            &format!("{method} {template}"),
            status,
            &error,
            content_type,
            body,
        );
    }
    let response = resolve(doc, &operation["responses"][status.to_string()]);
    assert!(
        response.is_object(),
        "{method} {template}: status {status} is not documented"
    );
    validate(
        doc,
        &format!("{method} {template}"),
        status,
        response,
        content_type,
        body,
    );
}

/// Checks a JSON body against the response's documented schema.
fn validate(
    doc: &Value,
    what: &str,
    status: u16,
    response: &Value,
    content_type: Option<&str>,
    body: &[u8],
) {
    let is_json = content_type.is_some_and(|t| t.starts_with("application/json"));
    if !is_json || body.is_empty() {
        return;
    }
    let Some(schema) = response["content"]["application/json"].get("schema") else {
        return;
    };
    let instance: Value = serde_json::from_slice(body).expect("JSON body");
    // Root the schema in a document that carries the components, so that
    // `#/components/schemas/...` references resolve.
    let root = json!({ "allOf": [schema], "components": doc["components"] });
    let validator = jsonschema::validator_for(&root)
        .unwrap_or_else(|e| panic!("{what} {status}: bad schema: {e}"));
    let errors: Vec<String> = validator
        .iter_errors(&instance)
        .map(|e| format!("{e} at {}", e.instance_path()))
        .collect();
    assert!(
        errors.is_empty(),
        "{what} {status}: the answer does not match the OpenAPI document: {errors:#?}\n{instance}"
    );
}

#[test]
fn the_document_describes_every_route() {
    let doc = document();
    let mut paths: Vec<&str> = doc["paths"]
        .as_object()
        .unwrap()
        .keys()
        .map(String::as_str)
        .collect();
    paths.sort();
    assert_eq!(
        paths,
        [
            "/collections",
            "/collections/{id}",
            "/collections/{id}/cancel",
            "/collections/{id}/close",
            "/collections/{id}/documents",
            "/collections/{id}/numbers",
            "/collections/{id}/result",
            "/events",
            "/events/ticket",
            "/health",
            "/jobs",
            "/jobs/{id}",
            "/jobs/{id}/cancel",
            "/jobs/{id}/numbers",
            "/jobs/{id}/pages/{page}",
            "/jobs/{id}/result",
            "/jobs/{id}/tables",
            "/openapi.json",
            "/tokens",
            "/uploads/{id}",
            "/webhook-secret",
            "/webhook-secret/rotate",
            "/webhooks/replay",
            "/webhooks/settings"
        ]
    );
    for (path, method) in [
        ("/jobs", "get"),
        ("/jobs", "post"),
        ("/jobs/{id}", "get"),
        ("/jobs/{id}", "delete"),
        ("/jobs/{id}/cancel", "post"),
        ("/jobs/{id}/result", "get"),
        ("/jobs/{id}/numbers", "get"),
        ("/jobs/{id}/pages/{page}", "get"),
        ("/jobs/{id}/tables", "get"),
        ("/collections", "get"),
        ("/collections", "post"),
        ("/collections/{id}", "get"),
        ("/collections/{id}", "delete"),
        ("/collections/{id}/close", "post"),
        ("/collections/{id}/cancel", "post"),
        ("/collections/{id}/documents", "get"),
        ("/collections/{id}/result", "get"),
        ("/collections/{id}/numbers", "get"),
        ("/tokens", "post"),
        ("/events", "get"),
        ("/events/ticket", "post"),
        ("/webhook-secret", "get"),
        ("/webhook-secret/rotate", "post"),
        ("/webhooks/settings", "get"),
        ("/webhooks/settings", "put"),
        ("/webhooks/replay", "post"),
    ] {
        assert!(doc["paths"][path][method].is_object(), "{method} {path}");
    }
}

#[test]
fn the_check_catches_an_answer_that_does_not_match() {
    document();
    let wrong = br#"{"id":"0f8e3c2a-1b4d-4e5f-9a8b-7c6d5e4f3a2b","filename":"a.pdf"}"#;
    let outcome = std::panic::catch_unwind(|| {
        check(
            "GET",
            "/api/v1/jobs/0f8e3c2a-1b4d-4e5f-9a8b-7c6d5e4f3a2b",
            200,
            Some("application/json"),
            wrong,
        )
    });
    assert!(outcome.is_err(), "a job without state passed the check");
    let undocumented = std::panic::catch_unwind(|| check("GET", "/api/v1/tokens", 200, None, b""));
    assert!(
        undocumented.is_err(),
        "GET /tokens is not an API route but passed"
    );
}

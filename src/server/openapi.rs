//! `/openapi.json`, generated from the Rust types the API serialises, and
//! `/docs`, a reference page rendered from that same document on the server
//! (no CDN, no script: it must work on a PBX network with no internet).

use super::{api, changes, events, health, metrics};
use crate::model::*;
use crate::routes;
use axum::http::header;
use axum::response::IntoResponse;
use axum::routing::get;
use axum::Router;
use bytes::Bytes;
use std::fmt::Write;
use utoipa::openapi::path::Operation;
use utoipa::openapi::{RefOr, Schema};
use utoipa::OpenApi;

#[derive(OpenApi)]
#[openapi(
    info(
        title = "ISPBX Manager API",
        description = "PJSIP endpoints of an Asterisk PBX: the configuration as Asterisk resolves it, and the live state kept from one AMI connection.\n\nEvery path answers JSON unless the client prefers `text/html` (then it serves the dashboard), and sends `Vary: Accept`. JSON answers carry a weak `ETag` and `Cache-Control: no-cache`; send `If-None-Match` to get `304 Not Modified` while nothing changed. Errors are `{\"detail\": …}`.",
    ),
    paths(api::root, api::endpoints, api::endpoint, api::endpoint_config, changes::patch_config, changes::create, changes::delete, changes::preview, changes::list, changes::one, changes::revert, health::healthz, health::readyz, metrics::scrape, events::events),
    components(schemas(ApiRoot, ErrorBody, EndpointListResponse, EndpointSummary, EndpointState, EndpointSource, ContactInfo, AmiStatus, ConfigStatus, Health, Readiness, EndpointDetailResponse, EndpointDetails, EndpointConfigResponse, ChangeRecord, ChangeAccepted, ChangePreview, ChangeEntry, ChangeList, ChangeCheck, Verification, changes::ConfigPatch, changes::NewExtension, changes::PreviewRequest)),
    modifiers(&Security),
    tags((name = "api", description = "The documented API of ISPBX Manager"), (name = "operations", description = "Probes for supervisors and load balancers"), (name = "changes", description = "Changes to the config, written atomically with a backup, reloaded and verified on Asterisk or undone. Off unless ISPBX_WRITES=on"))
)]
pub struct ApiDoc;

/// Who may call what: a bearer token or the dashboard's session cookie on
/// every path but the probes; anonymous reads only when the server allows
/// them. Every such path may answer 401 (no or bad credentials) and 429
/// (over the rate limit), with the usual `{"detail": …}`.
struct Security;

impl utoipa::Modify for Security {
    fn modify(&self, doc: &mut utoipa::openapi::OpenApi) {
        use utoipa::openapi::security::{ApiKey, ApiKeyValue, HttpAuthScheme, HttpBuilder, SecurityRequirement, SecurityScheme};
        use utoipa::openapi::{ContentBuilder, Ref, ResponseBuilder};
        let components = doc.components.get_or_insert_with(Default::default);
        components.add_security_scheme(
            "token",
            SecurityScheme::Http(
                HttpBuilder::new()
                    .scheme(HttpAuthScheme::Bearer)
                    .description(Some("An API token (`ispbx token create NAME --role viewer|admin`, or the dashboard's Accounts page): `Authorization: Bearer ispbx_…`"))
                    .build(),
            ),
        );
        components.add_security_scheme(
            "session",
            SecurityScheme::ApiKey(ApiKey::Cookie(ApiKeyValue::with_description(
                super::auth::COOKIE,
                "The dashboard's session, after POST /login; state-changing requests from another site are refused",
            ))),
        );
        let error = |description: &str| {
            ResponseBuilder::new()
                .description(description)
                .content("application/json", ContentBuilder::new().schema(Some(Ref::from_schema_name("ErrorBody"))).build())
                .build()
        };
        let open = [routes::HEALTHZ, routes::READYZ];
        for (path, item) in doc.paths.paths.iter_mut() {
            if open.contains(&path.as_str()) {
                continue;
            }
            for op in [&mut item.get, &mut item.post, &mut item.patch, &mut item.delete].into_iter().flatten() {
                // The empty requirement: anonymous read, when the server is started with it.
                op.security = Some(vec![SecurityRequirement::new("token", Vec::<String>::new()), SecurityRequirement::new("session", Vec::<String>::new()), SecurityRequirement::default()]);
                let responses = &mut op.responses.responses;
                responses.entry("401".into()).or_insert_with(|| error("No credentials, or a token that is unknown, expired or revoked").into());
                responses.entry("429".into()).or_insert_with(|| error("Over the request rate for this token or address (see Retry-After)").into());
                if op.operation_id.as_deref().is_some_and(|id| ["patch_config", "create", "delete", "revert"].contains(&id)) {
                    responses.entry("403".into()).or_insert_with(|| error("Not an admin, writes off, or a request from another site").into());
                }
            }
        }
    }
}

/// `/openapi.json` and `/docs`. Both are rendered here, once: the document
/// changes only with the binary, so requests just copy bytes.
pub fn routes<S: Clone + Send + Sync + 'static>() -> Router<S> {
    let doc = ApiDoc::openapi();
    let json = Bytes::from(serde_json::to_vec(&doc).unwrap_or_default());
    let page = Bytes::from(docs_page(&doc));
    let answer = |content_type: &'static str, body: Bytes| {
        get(move || {
            let body = body.clone();
            async move {
                ([(header::CONTENT_TYPE, content_type), (header::CACHE_CONTROL, "no-cache")], body).into_response()
            }
        })
    };
    Router::new()
        .route(routes::OPENAPI, answer("application/json", json))
        .route(routes::DOCS, answer("text/html; charset=utf-8", page))
}

fn esc(s: &str) -> String {
    s.replace('&', "&amp;").replace('<', "&lt;").replace('>', "&gt;").replace('"', "&quot;")
}

fn pretty<T: serde::Serialize>(v: &T) -> String {
    serde_json::to_string_pretty(v).unwrap_or_default()
}

fn operation(out: &mut String, method: &str, path: &str, op: &Operation) {
    let id = format!("{method}-{path}").replace(['/', '{', '}'], "-");
    let _ = write!(out, r#"<section class="api-op" id="{}"><h2><code>{} {}</code></h2>"#, esc(&id), method.to_uppercase(), esc(path));
    if let Some(d) = op.description.as_deref().or(op.summary.as_deref()) {
        for para in d.split("\n\n") {
            let _ = write!(out, "<p>{}</p>", esc(para));
        }
    }
    if let Some(params) = op.parameters.as_ref().filter(|p| !p.is_empty()) {
        out.push_str("<h3>Parameters</h3><table><thead><tr><th scope=col>Name</th><th scope=col>In</th><th scope=col>Description</th></tr></thead><tbody>");
        for p in params {
            let location = serde_json::to_value(&p.parameter_in).ok().and_then(|v| v.as_str().map(str::to_string)).unwrap_or_default();
            let _ = write!(out, "<tr><td><code>{}</code></td><td>{}</td><td>{}</td></tr>", esc(&p.name), esc(&location), esc(p.description.as_deref().unwrap_or("")));
        }
        out.push_str("</tbody></table>");
    }
    out.push_str("<h3>Responses</h3><table><thead><tr><th scope=col>Status</th><th scope=col>Description</th><th scope=col>Body</th></tr></thead><tbody>");
    for (status, response) in &op.responses.responses {
        let (desc, body) = match response {
            RefOr::T(r) => {
                let schema = r.content.get("application/json").and_then(|c| c.schema.as_ref()).map(|s| match s {
                    RefOr::Ref(r) => {
                        let name = r.ref_location.rsplit('/').next().unwrap_or("");
                        format!(r##"<a href="#schema-{0}">{0}</a>"##, esc(name))
                    }
                    RefOr::T(_) => "inline".into(),
                });
                (r.description.clone(), schema.unwrap_or_default())
            }
            RefOr::Ref(r) => (String::new(), esc(&r.ref_location)),
        };
        let _ = write!(out, "<tr><td><code>{}</code></td><td>{}</td><td>{}</td></tr>", esc(status), esc(&desc), body);
    }
    out.push_str("</tbody></table></section>");
}

/// The API reference as a page.
fn docs_page(doc: &utoipa::openapi::OpenApi) -> String {
    let mut body = String::new();
    if let Some(d) = &doc.info.description {
        for para in d.split("\n\n") {
            let _ = write!(body, "<p>{}</p>", esc(para));
        }
    }
    let _ = write!(
        body,
        r#"<p>The machine-readable document is at <a href="{0}"><code>{0}</code></a> (OpenAPI 3.1).</p>"#,
        routes::OPENAPI
    );
    for (path, item) in &doc.paths.paths {
        let ops = [("get", &item.get), ("post", &item.post), ("patch", &item.patch), ("delete", &item.delete)];
        for (method, op) in ops {
            if let Some(op) = op {
                operation(&mut body, method, path, op);
            }
        }
    }
    body.push_str("<h2>Schemas</h2>");
    if let Some(components) = &doc.components {
        for (name, schema) in &components.schemas {
            let description = match schema {
                RefOr::T(Schema::Object(o)) => o.description.clone(),
                _ => None,
            };
            let _ = write!(
                body,
                r#"<section class="api-schema" id="schema-{0}"><h3>{0}</h3>{1}<pre><code>{2}</code></pre></section>"#,
                esc(name),
                description.map(|d| format!("<p>{}</p>", esc(&d))).unwrap_or_default(),
                esc(&pretty(schema))
            );
        }
    }
    format!(
        r#"<!DOCTYPE html><html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1"><title>API reference · ISPBX Manager</title><link rel="stylesheet" href="/pkg/ispbx.css"><link rel="icon" href="/favicon.svg" type="image/svg+xml"></head><body><header class="topbar"><a class="brand" href="{root}">ISPBX Manager</a><nav aria-label="Main"><a href="{endpoints}">Endpoints</a> <a href="{docs}" aria-current="page">API</a></nav></header><main class="api-docs"><h1>{} <small>{}</small></h1>{}</main></body></html>"#,
        esc(&doc.info.title),
        esc(&doc.info.version),
        body,
        root = routes::ROOT,
        endpoints = routes::ENDPOINTS,
        docs = routes::DOCS,
    )
}

#[cfg(test)]
mod tests {
    #[test]
    fn every_path_but_the_probes_names_its_credentials_and_their_refusals() {
        let doc = serde_json::to_value(<super::ApiDoc as utoipa::OpenApi>::openapi()).unwrap();
        let schemes = &doc["components"]["securitySchemes"];
        assert_eq!(schemes["token"]["scheme"], "bearer");
        assert_eq!((schemes["session"]["in"].as_str(), schemes["session"]["name"].as_str()), (Some("cookie"), Some("ispbx_session")));
        let list = &doc["paths"]["/endpoints"]["get"];
        assert!(list["responses"]["401"].is_object() && list["responses"]["429"].is_object());
        assert_eq!(list["security"].as_array().unwrap().len(), 3);
        assert!(doc["paths"]["/endpoints/{extension}/config"]["patch"]["responses"]["403"].is_object());
        assert!(doc["paths"]["/endpoints/{extension}"]["delete"]["responses"]["403"].is_object());
        for probe in ["/healthz", "/readyz"] {
            let op = &doc["paths"][probe]["get"];
            assert!(op["security"].is_null() && op["responses"]["401"].is_null(), "{probe}");
        }
    }
}

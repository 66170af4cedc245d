//! What every handler shares. Handlers get it through axum's `State`; server
//! functions get the [`Pbx`] through leptos context; there are no globals.

use super::error::ApiError;
use super::json_body::JsonBody;
use crate::pbx::{Pbx, PbxSnapshot};
use axum::body::Body;
use axum::extract::FromRef;
use axum::http::Request;
use axum::response::Response;
use leptos::prelude::*;
use std::sync::{Arc, Mutex};

#[derive(Clone, Debug)]
pub struct AppState {
    pub leptos_options: LeptosOptions,
    pub pbx: Pbx,
    pub metrics: Arc<super::metrics::Metrics>,
    /// The change feed `/events` streams (one task, shared by every subscriber).
    pub feed: crate::pbx::feed::Feed,
    /// Cancelled when the server stops: streams say so and end.
    pub stopping: tokio_util::sync::CancellationToken,
    /// Who may do what.
    pub access: super::auth::Access,
    list_cache: Arc<Mutex<Option<ListCache>>>,
}

/// `GET /endpoints` as last serialised, and the snapshot it was made from.
#[derive(Debug)]
struct ListCache {
    snapshot: PbxSnapshot,
    body: JsonBody,
}

impl FromRef<AppState> for LeptosOptions {
    fn from_ref(state: &AppState) -> Self {
        state.leptos_options.clone()
    }
}

impl AppState {
    pub fn new(leptos_options: LeptosOptions, pbx: Pbx, access: super::auth::Access) -> Self {
        let feed = crate::pbx::feed::Feed::spawn(pbx.clone());
        AppState {
            leptos_options,
            pbx,
            metrics: Arc::default(),
            feed,
            stopping: Default::default(),
            access,
            list_cache: Arc::default(),
        }
    }

    /// The list as JSON. Pollers ask far more often than Asterisk or the files
    /// change, so it is built once per snapshot.
    pub fn endpoint_list_json(&self) -> Result<JsonBody, ApiError> {
        let snapshot = self.pbx.snapshot();
        let mut cache = self.list_cache.lock().unwrap_or_else(|e| e.into_inner());
        if let Some(c) = cache.as_ref().filter(|c| c.snapshot.same_as(&snapshot)) {
            return Ok(c.body.clone());
        }
        let body = JsonBody::of(&snapshot.endpoint_list()?)?;
        *cache = Some(ListCache { snapshot, body: body.clone() });
        Ok(body)
    }

    /// The dashboard page for a request, rendered whole (resources resolved
    /// first) so the first paint needs no JavaScript.
    pub async fn render_page(&self, req: Request<Body>) -> Response {
        let pbx = self.pbx.clone();
        let accounts = self.access.accounts.clone();
        let options = self.leptos_options.clone();
        let handler = leptos_axum::render_app_async_with_context(
            move || provide_app_context(&pbx, &accounts),
            move || crate::app::shell(options.clone()),
        );
        handler(req).await
    }
}

/// What the dashboard's pages and server functions find in context: the
/// PBX, the accounts, and how a refusal is answered (this edge's one mapping).
pub fn provide_app_context(pbx: &crate::pbx::Pbx, accounts: &crate::pbx::accounts::Accounts) {
    provide_context(pbx.clone());
    provide_context(accounts.clone());
    // Inline scripts carry it; the page's Content-Security-Policy names it.
    leptos::nonce::provide_nonce();
    provide_context(crate::app::change_fns::Refusal(|e| {
        let e = super::error::ApiError::from(e);
        (e.status(), e.to_string())
    }));
    provide_context(crate::app::access_fns::AccountRefusal(|e| {
        let e = super::error::ApiError::from(e);
        (e.status(), e.to_string())
    }));
}

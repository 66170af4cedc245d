//! What every handler and server function shares. Handlers get it through axum's
//! `State`, server functions through leptos context; there are no globals.

use super::config_store::{ConfigSnapshot, ConfigStore};
use super::error::ApiError;
use super::json_body::JsonBody;
use super::live::{Live, LiveSnapshot};
use super::views;
use crate::model::{ConfigStatus, EndpointDetailResponse, EndpointList, EndpointView};
use axum::body::Body;
use axum::extract::FromRef;
use axum::http::Request;
use axum::response::Response;
use leptos::prelude::*;
use std::sync::{Arc, Mutex};

#[derive(Clone, Debug)]
pub struct AppState {
    pub leptos_options: LeptosOptions,
    pub config: ConfigStore,
    pub live: Live,
    list_cache: Arc<Mutex<Option<ListCache>>>,
}

/// `GET /endpoints` as last serialised, and the snapshots it was made from.
/// Holding the Arcs makes pointer equality a safe "nothing changed" test.
#[derive(Debug)]
struct ListCache {
    config: Arc<ConfigSnapshot>,
    live: Arc<LiveSnapshot>,
    body: JsonBody,
}

impl FromRef<AppState> for LeptosOptions {
    fn from_ref(state: &AppState) -> Self {
        state.leptos_options.clone()
    }
}

impl AppState {
    pub fn new(leptos_options: LeptosOptions, config: ConfigStore, live: Live) -> Self {
        AppState { leptos_options, config, live, list_cache: Arc::default() }
    }

    /// The list as JSON. Pollers ask far more often than Asterisk or the files
    /// change, so it is built once per (config, live state) pair.
    pub fn endpoint_list_json(&self) -> Result<JsonBody, ApiError> {
        let snap = self.config.snapshot();
        let live = self.live.snapshot();
        let mut cache = self.list_cache.lock().unwrap_or_else(|e| e.into_inner());
        if let Some(c) = cache.as_ref().filter(|c| Arc::ptr_eq(&c.config, &snap) && Arc::ptr_eq(&c.live, &live)) {
            return Ok(c.body.clone());
        }
        let cfg = snap.good.as_deref().ok_or(ApiError::ConfigUnavailable)?;
        let body = JsonBody::of(&views::endpoint_list(Some(cfg), self.config_status(snap.error.as_deref()), &live))?;
        *cache = Some(ListCache { config: snap, live, body: body.clone() });
        Ok(body)
    }

    fn config_status(&self, error: Option<&str>) -> ConfigStatus {
        ConfigStatus {
            path: self.config.path().display().to_string(),
            error: error.map(str::to_string),
        }
    }

    pub fn endpoint_list(&self) -> Result<EndpointList, ApiError> {
        let snap = self.config.snapshot();
        let cfg = snap.good.as_deref().ok_or(ApiError::ConfigUnavailable)?;
        let live = self.live.snapshot();
        Ok(views::endpoint_list(
            Some(cfg),
            self.config_status(snap.error.as_deref()),
            &live,
        ))
    }

    pub fn endpoint_detail(&self, name: &str) -> Result<EndpointDetailResponse, ApiError> {
        let snap = self.config.snapshot();
        let cfg = snap.good.as_deref().ok_or(ApiError::ConfigUnavailable)?;
        views::endpoint_detail(Some(cfg), &self.live.snapshot(), name).ok_or(ApiError::ExtensionNotFound)
    }

    pub fn endpoint_config(&self, name: &str) -> Result<serde_json::Map<String, serde_json::Value>, ApiError> {
        let snap = self.config.snapshot();
        let cfg = snap.good.as_deref().ok_or(ApiError::ConfigUnavailable)?;
        views::endpoint_config(cfg, name).ok_or(ApiError::ExtensionNotFound)
    }

    pub fn endpoint_view(&self, name: &str) -> Result<EndpointView, ApiError> {
        let snap = self.config.snapshot();
        let cfg = snap.good.as_deref().ok_or(ApiError::ConfigUnavailable)?;
        views::endpoint_view(Some(cfg), &self.live.snapshot(), name).ok_or(ApiError::ExtensionNotFound)
    }

    /// The dashboard page for a request, rendered whole (resources resolved
    /// first) so the first paint needs no JavaScript.
    pub async fn render_page(&self, req: Request<Body>) -> Response {
        let state = self.clone();
        let options = self.leptos_options.clone();
        let handler = leptos_axum::render_app_async_with_context(
            move || provide_context(state.clone()),
            move || crate::app::shell(options.clone()),
        );
        handler(req).await
    }
}

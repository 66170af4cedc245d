//! The web layer: settings, state, the JSON API and the router. Thin by design:
//! what it serves is computed by [`crate::pjsip`] and the live state store.

pub mod api;
pub mod cli;
pub mod config_store;
pub mod error;
pub mod json_body;
pub mod live;
pub mod negotiate;
pub mod openapi;
pub mod routes;
pub mod state;
pub mod views;

//! The web layer, and only that: the router and its middleware, content
//! negotiation, JSON bodies with their validators, the OpenAPI document, and
//! the one place errors become status codes. What it serves comes from the
//! domain layer ([`crate::pbx`]).

pub mod api;
pub mod app_state;
pub mod auth;
pub mod changes;
pub mod client_address;
pub mod error;
pub mod events;
pub mod health;
pub mod json_body;
pub mod metrics;
pub mod negotiate;
pub mod openapi;
pub mod rate_limit;
pub mod tls;
pub mod router;
mod server_fn_status;

//! ISPBX Manager: Asterisk PJSIP configuration and live endpoint state.
//!
//! One crate, two builds: `ssr` is the server (config engine, AMI client, JSON
//! API, server-side rendering); `hydrate` is the dashboard's WASM. [`model`] and
//! [`app`] are shared by both.
// The dashboard's view types nest deeper than rustc's default allows in the WASM release build.
#![recursion_limit = "256"]

pub mod app;
pub mod model;
/// Every path, stated once.
pub mod routes;
/// What is a secret: one rule, asked by the config model, the AMI layer and the logs.
pub mod secret;

#[cfg(feature = "ssr")]
pub mod ami;
/// The PBX as the server knows it: config, live state, the answers built from both.
#[cfg(feature = "ssr")]
pub mod pbx;
#[cfg(feature = "ssr")]
pub mod pjsip;
#[cfg(feature = "ssr")]
pub mod server;
/// A PBX speaking AMI for development, tests and demos; not used by `serve`.
#[cfg(feature = "ssr")]
pub mod simulator;

#[cfg(feature = "hydrate")]
#[wasm_bindgen::prelude::wasm_bindgen]
pub fn hydrate() {
    console_error_panic_hook::set_once();
    leptos::mount::hydrate_body(app::App);
}

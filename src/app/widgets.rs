//! Small pieces shared by the pages.

use crate::model::{AmiStatus, EndpointState};
use leptos::prelude::*;

#[component]
pub fn StateBadge(state: EndpointState) -> impl IntoView {
    view! { <span class=format!("badge badge-{}", state.as_str())>{state.as_str()}</span> }
}

/// "connection lost — retrying in N s" while the server cannot be reached.
#[component]
pub fn ConnectionBanner(retry_in: RwSignal<Option<u64>>) -> impl IntoView {
    view! {
        <Show when=move || retry_in.get().is_some()>
            <div class="banner banner-error" role="alert" data-testid="connection-lost">
                {move || format!(
                    "Connection to the server lost — retrying in {} s",
                    retry_in.get().unwrap_or(0)
                )}
            </div>
        </Show>
    }
}

#[component]
pub fn AmiBanner(ami: AmiStatus) -> impl IntoView {
    (!ami.connected).then(|| {
        view! {
            <div class="banner banner-warning" role="status" data-testid="ami-banner">
                <strong>"AMI not connected. "</strong>
                {ami.detail.unwrap_or_default()}
                " Live status is unknown, so endpoints are shown as offline."
            </div>
        }
    })
}

#[component]
pub fn ErrorPanel(message: String) -> impl IntoView {
    view! {
        <div class="banner banner-error" role="alert">
            <strong>"Cannot show this page: "</strong>{message}
        </div>
    }
}

/// "12.3 ms", or "—" when Asterisk has not measured it.
pub fn rtt(ms: Option<f64>) -> String {
    match ms {
        Some(v) if v > 0.0 => format!("{v:.1} ms"),
        _ => "—".to_string(),
    }
}

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

/// "live" while `/events` is open, "polling every 5 s" while it is not.
#[component]
pub fn FeedModeBadge(mode: RwSignal<super::live_feed::FeedMode>) -> impl IntoView {
    use super::live_feed::{FeedMode, POLL};
    view! {
        <span class="feed-mode" data-testid="feed-mode" data-mode=move || match mode.get() {
            FeedMode::Live => "live",
            FeedMode::Polling => "polling",
        }>
            {move || match mode.get() {
                FeedMode::Live => "live".to_string(),
                FeedMode::Polling => format!("polling every {} s", POLL.as_secs()),
            }}
        </span>
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

/// A broken edit is on disk: the list is the last good config's.
#[component]
pub fn ConfigErrorBanner(error: String) -> impl IntoView {
    view! {
        <div class="banner banner-warning" role="status">
            <strong>"The config on disk has an error; showing the last good one. "</strong>{error}
        </div>
    }
}

/// A page that says "not found" answers 404 when rendered on the server.
pub fn not_found_status() {
    #[cfg(feature = "ssr")]
    {
        if let Some(resp) = use_context::<leptos_axum::ResponseOptions>() {
            resp.set_status(axum::http::StatusCode::NOT_FOUND);
        }
    }
}

/// What the server said when it refused: its words, without the framework's preamble.
pub fn refusal_text(e: &ServerFnError) -> String {
    match e {
        ServerFnError::ServerError(m) => m.clone(),
        other => other.to_string(),
    }
}

/// A server function's refusal, shown where the form that asked is (also
/// when the form was posted without JavaScript and sent back with it).
#[component]
pub fn Refusal(error: ServerFnError) -> impl IntoView {
    view! { <p class="banner banner-error" role="alert">{refusal_text(&error)}</p> }
}

#[component]
pub fn ErrorPanel(message: String) -> impl IntoView {
    view! {
        <div class="banner banner-error" role="alert">
            <strong>"Cannot show this page: "</strong>{message}
        </div>
    }
}

/// A registration's expiry as an admin reads it: "in 59 min 40 s", "expired",
/// or "static" for a contact written in the config.
pub fn expires_in(expires: Option<i64>, now: i64) -> String {
    let Some(at) = expires else { return "static".to_string() };
    let left = at - now;
    if left <= 0 {
        return "expired".to_string();
    }
    let (h, m, s) = (left / 3600, left % 3600 / 60, left % 60);
    match (h, m) {
        (0, 0) => format!("in {s} s"),
        (0, _) => format!("in {m} min {s} s"),
        _ => format!("in {h} h {m} min"),
    }
}

/// "12.3 ms", or "—" when Asterisk has not measured it.
pub fn rtt(ms: Option<f64>) -> String {
    match ms {
        Some(v) if v > 0.0 => format!("{v:.1} ms"),
        _ => "—".to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::expires_in;

    #[test]
    fn expiry_reads_as_time_left() {
        let now = 1_795_517_319;
        assert_eq!(expires_in(None, now), "static");
        assert_eq!(expires_in(Some(now - 1), now), "expired");
        assert_eq!(expires_in(Some(now), now), "expired");
        assert_eq!(expires_in(Some(now + 42), now), "in 42 s");
        assert_eq!(expires_in(Some(now + 3600 - 20), now), "in 59 min 40 s");
        assert_eq!(expires_in(Some(now + 2 * 3600 + 5 * 60 + 9), now), "in 2 h 5 min");
    }
}

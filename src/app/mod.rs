//! The dashboard: server-rendered, then hydrated into a live page.

mod access;
pub mod access_fns;
mod changes;
mod editing;
mod endpoint_detail;
mod endpoint_list;
mod login;
pub mod live_feed;
pub mod change_fns;
pub mod server_fns;
mod widgets;

use leptos::prelude::*;
use leptos_meta::{provide_meta_context, MetaTags, Stylesheet, Title};
use crate::routes::{self, page};
use leptos_router::components::{Route, Router, Routes, A};
use leptos_router::SsrMode;

pub fn shell(options: LeptosOptions) -> impl IntoView {
    #[cfg(feature = "ssr")]
    content_security_policy();
    view! {
        <!DOCTYPE html>
        <html lang="en">
            <head>
                <meta charset="utf-8"/>
                <meta name="viewport" content="width=device-width, initial-scale=1"/>
                <meta name="color-scheme" content="light dark"/>
                <link rel="icon" href="/favicon.svg" type="image/svg+xml"/>
                <HydrationScripts options/>
                <MetaTags/>
            </head>
            <body>
                <App/>
            </body>
        </html>
    }
}

/// What a page may load: its own scripts (the inline ones Leptos writes carry
/// this response's nonce), its WASM, and nothing from elsewhere; no frames.
pub fn content_security_policy_with(nonce: Option<&str>) -> String {
    let scripts = match nonce {
        Some(n) => format!("'self' 'nonce-{n}' 'wasm-unsafe-eval'"),
        None => "'self' 'wasm-unsafe-eval'".to_string(),
    };
    format!(
        "default-src 'self'; script-src {scripts}; style-src 'self'; img-src 'self' data:; connect-src 'self'; \
         object-src 'none'; base-uri 'none'; frame-ancestors 'none'; form-action 'self'"
    )
}

#[cfg(feature = "ssr")]
fn content_security_policy() {
    let Some(res) = use_context::<leptos_axum::ResponseOptions>() else { return };
    let nonce = leptos::nonce::use_nonce();
    let policy = content_security_policy_with(nonce.as_deref());
    if let Ok(v) = axum::http::HeaderValue::from_str(&policy) {
        res.insert_header(axum::http::header::CONTENT_SECURITY_POLICY, v);
    }
}

#[component]
pub fn App() -> impl IntoView {
    provide_meta_context();
    // Set once the WASM has taken over the page (tests and CSS can rely on it).
    let hydrated = RwSignal::new(false);
    Effect::new(move |_| hydrated.set(true));

    view! {
        <Stylesheet id="leptos" href="/pkg/ispbx.css"/>
        <Title text="ISPBX Manager"/>
        <Router>
            <header class="topbar">
                <A href=routes::ROOT attr:class="brand">"ISPBX Manager"</A>
                <nav aria-label="Main">
                    <A href=routes::ENDPOINTS>"Endpoints"</A>
                    <A href=routes::CHANGES>"Changes"</A>
                    <A href=routes::NEW_EXTENSION>"New extension"</A>
                    // Served by the server, not the router: a full page load.
                    <a href=routes::DOCS rel="external">"API"</a>
                </nav>
                <login::UserBadge/>
            </header>
            <main id="main" data-hydrated=move || if hydrated.get() { "true" } else { "false" }>
                <Routes fallback=|| view! { <NotFound/> }>
                    <Route path=page(routes::ROOT) view=endpoint_list::EndpointListPage/>
                    <Route path=page(routes::ENDPOINTS) view=endpoint_list::EndpointListPage/>
                    <Route path=page(routes::ENDPOINT) view=endpoint_detail::EndpointDetailPage/>
                    <Route path=page(routes::ENDPOINT_CONFIG) view=endpoint_detail::EndpointDetailPage/>
                    // Rendered whole before they are sent, so they work without JavaScript.
                    <Route path=page(routes::ENDPOINT_EDIT) view=editing::ReviewPage ssr=SsrMode::Async/>
                    <Route path=page(routes::ENDPOINT_DELETE) view=editing::DeletePage ssr=SsrMode::Async/>
                    <Route path=page(routes::NEW_EXTENSION) view=editing::NewExtensionPage ssr=SsrMode::Async/>
                    <Route path=page(routes::CHANGES) view=changes::ChangesPage/>
                    <Route path=page(routes::LOGIN) view=login::LoginPage/>
                    <Route path=page(routes::CHANGE) view=changes::ChangePage/>
                    <Route path=page(routes::ACCESS) view=access::AccessPage/>
                </Routes>
            </main>
        </Router>
    }
}

#[component]
fn NotFound() -> impl IntoView {
    widgets::not_found_status();
    view! {
        <section class="panel">
            <h1>"Page not found"</h1>
            <p><A href=routes::ENDPOINTS>"Back to the endpoints"</A></p>
        </section>
    }
}

//! `/endpoints/{extension}`: details, contacts, and the effective config with
//! where every value was written.

use super::live_feed::LiveFeed;
use super::server_fns::get_endpoint;
use super::widgets::{expires_in, rtt, AmiBanner, ConnectionBanner, ErrorPanel, FeedModeBadge, StateBadge};
use crate::routes;
use crate::model::{ConfigOption, EndpointView, RelatedObject};
use leptos::prelude::*;
use leptos_router::components::A;
use leptos_router::hooks::use_params_map;

#[component]
pub fn EndpointDetailPage() -> impl IntoView {
    let params = use_params_map();
    let extension = Memo::new(move |_| params.read().get(routes::EXTENSION).unwrap_or_default());
    move || {
        let ext = extension.get();
        view! { <Detail ext/> }
    }
}

#[component]
fn Detail(ext: String) -> impl IntoView {
    let fetch_ext = ext.clone();
    let feed = LiveFeed::new(move || get_endpoint(fetch_ext.clone()));
    let outcome = feed.outcome();
    let data = feed.data();
    view! {
        <p class="crumbs"><A href=routes::ENDPOINTS>"← All endpoints"</A></p>
        <ConnectionBanner retry_in=feed.retry_in/>
        <FeedModeBadge mode=feed.mode/>
        <Transition fallback=|| view! { <p class="muted">"Loading…"</p> }>
            {move || {
                feed.track_first();
                let ext = ext.clone();
                outcome.get().map(|res| match res {
                    Err(e) => view! { <ErrorPanel message=e/> }.into_any(),
                    Ok(()) => view! {
                        {move || match data.get().flatten() {
                            Some(v) => view! { <EndpointPanel v/> }.into_any(),
                            None => view! { <NoSuchEndpoint ext=ext.clone()/> }.into_any(),
                        }}
                    }.into_any(),
                })
            }}
        </Transition>
    }
}

#[component]
fn NoSuchEndpoint(ext: String) -> impl IntoView {
    #[cfg(feature = "ssr")]
    {
        if let Some(resp) = use_context::<leptos_axum::ResponseOptions>() {
            resp.set_status(axum::http::StatusCode::NOT_FOUND);
        }
    }
    view! {
        <section class="panel">
            <h1>"Extension not found"</h1>
            <p>"No endpoint named " <code>{ext}</code> " is configured or known to Asterisk."</p>
        </section>
    }
}

#[component]
fn EndpointPanel(v: EndpointView) -> impl IntoView {
    let d = v.details.clone();
    let s = d.summary.clone();
    let now = v.server_time;
    let source = match s.source {
        crate::model::EndpointSource::Config => "pjsip.conf",
        crate::model::EndpointSource::Wizard => "pjsip_wizard.conf (config wizard)",
        crate::model::EndpointSource::Asterisk => "Asterisk only (not in the config files read)",
    };
    let dash = |v: &str| if v.is_empty() { "—".to_string() } else { v.to_string() };
    view! {
        <AmiBanner ami=v.ami.clone()/>
        <section class="panel">
            <h1>
                <span class="mono" data-testid="detail-name">{s.objectname.clone()}</span>" "
                <StateBadge state=s.state/>
            </h1>
            <p class="muted">{s.callerid.clone().unwrap_or_default()}</p>
            <dl class="details">
                <dt>"Device state"</dt><dd data-testid="detail-devicestate">{s.devicestate.clone()}</dd>
                <dt>"Active channels"</dt><dd>{s.activechannels}</dd>
                <dt>"AORs"</dt><dd>{dash(&d.aors)}</dd>
                <dt>"Inbound auth"</dt><dd>{dash(&d.auths)}</dd>
                <dt>"Outbound auth"</dt><dd>{dash(&d.outbound_auths)}</dd>
                <dt>"Transport"</dt><dd>{dash(&d.transport)}</dd>
                <dt>"Defined in"</dt><dd>{source}</dd>
            </dl>
        </section>
        <section class="panel">
            <h2>"Contacts"</h2>
            {if s.contacts.is_empty() {
                view! { <p class="muted">"No contact registered."</p> }.into_any()
            } else {
                view! {
                    <div class="table-wrap">
                    <table data-testid="contacts">
                        <thead><tr>
                            <th scope="col">"URI"</th><th scope="col">"Status"</th><th scope="col">"Via"</th>
                            <th scope="col">"User agent"</th><th scope="col">"RTT"</th><th scope="col">"Expires"</th>
                        </tr></thead>
                        <tbody>
                            {s.contacts.iter().map(|c| view! {
                                <tr>
                                    <td class="mono">{c.uri.clone()}</td>
                                    <td>{c.status.clone()}</td>
                                    <td class="mono">{c.via.clone().unwrap_or_default()}</td>
                                    <td>{c.user_agent.clone().unwrap_or_default()}</td>
                                    <td class="num">{rtt(c.rtt_ms)}</td>
                                    <td>{expires_in(c.expires, now)}</td>
                                </tr>
                            }).collect_view()}
                        </tbody>
                    </table>
                    </div>
                }.into_any()
            }}
        </section>
        <section class="panel" id="config">
            <h2>"Effective configuration"</h2>
            <p class="muted">"Templates resolved, as Asterisk applies them. Every value shows the line it came from."</p>
            <OptionsTable options=v.options.clone() testid="endpoint-config"/>
        </section>
        {v.related.into_iter().map(|r| view! { <Related r/> }).collect_view()}
    }
}

#[component]
fn Related(r: RelatedObject) -> impl IntoView {
    view! {
        <section class="panel">
            <h2>{format!("{} ", r.kind)}<span class="mono">{r.name.clone()}</span></h2>
            <OptionsTable options=r.options testid="related-config"/>
        </section>
    }
}

#[component]
fn OptionsTable(options: Vec<ConfigOption>, testid: &'static str) -> impl IntoView {
    view! {
        <div class="table-wrap">
        <table class="options" data-testid=testid>
            <thead><tr>
                <th scope="col">"Option"</th><th scope="col">"Value"</th><th scope="col">"Written at"</th>
            </tr></thead>
            <tbody>
                {options.into_iter().map(|o| {
                    let value = if o.secret {
                        view! { <span class="secret" title="hidden">"••••"</span> }.into_any()
                    } else {
                        view! { <span class="mono">{o.value.clone()}</span> }.into_any()
                    };
                    let sources = o.sources.iter().map(|s| {
                        let file = s.file.rsplit('/').next().unwrap_or(&s.file).to_string();
                        let via = s.template.as_ref().map(|t| format!(" (template {t})")).unwrap_or_default();
                        view! { <div class="source"><span class="mono">{format!("{file}:{}", s.line)}</span>{via}</div> }
                    }).collect_view();
                    view! {
                        <tr>
                            <th scope="row" class="mono">{o.name.clone()}</th>
                            <td>{value}</td>
                            <td>{sources}</td>
                        </tr>
                    }
                }).collect_view()}
            </tbody>
        </table>
        </div>
    }
}

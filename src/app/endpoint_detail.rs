//! `/endpoints/{extension}`: details, contacts, and the effective config with
//! where every value was written.

use super::change_fns::{editing_fields, FormFields};
use super::editing::ValueInput;
use super::editing::FieldHelp;
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
    // Asterisk's option table does not change while the page is open.
    let fields = Resource::new(|| (), |_| editing_fields());
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
                            Some(v) => {
                                let fields = v.writes.then(|| fields.get().and_then(Result::ok)).flatten();
                                view! { <EndpointPanel v fields/> }.into_any()
                            }
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
    super::widgets::not_found_status();
    view! {
        <section class="panel">
            <h1>"Extension not found"</h1>
            <p>"No endpoint named " <code>{ext}</code> " is configured or known to Asterisk."</p>
        </section>
    }
}

/// What editing an object of the page takes: whose it is, and the fields of its type.
#[derive(Clone)]
struct Editing {
    extension: String,
    /// `endpoint`, `aor`, `auth`: as the change names it.
    object: &'static str,
    fields: Vec<crate::model::OptionField>,
}

#[component]
fn EndpointPanel(v: EndpointView, fields: Option<FormFields>) -> impl IntoView {
    let d = v.details.clone();
    let s = d.summary.clone();
    let now = v.server_time;
    let source = match s.source {
        crate::model::EndpointSource::Config => "pjsip.conf",
        crate::model::EndpointSource::Wizard => "pjsip_wizard.conf (config wizard)",
        crate::model::EndpointSource::Asterisk => "Asterisk only (not in the config files read)",
    };
    let dash = |v: &str| if v.is_empty() { "—".to_string() } else { v.to_string() };
    let ext = s.objectname.clone();
    let editing = |object: &'static str| {
        fields.as_ref().map(|f| Editing { extension: ext.clone(), object, fields: f.of(object).to_vec() })
    };
    // The aor and auth a change can name: the endpoint's only one.
    let editable = |r: &RelatedObject| match r.kind.as_str() {
        "aor" if d.aors == r.name => editing("aor"),
        "auth" if d.auths == r.name => editing("auth"),
        _ => None,
    };
    let related: Vec<(RelatedObject, Option<Editing>)> = v.related.iter().map(|r| (r.clone(), editable(r))).collect();
    let endpoint_editing = editing("endpoint");
    let actions = v.writes.then(|| {
        let ext = s.objectname.clone();
        view! {
            <p class="actions">
                <A href=routes::with_extension(routes::ENDPOINT_DELETE, &ext) attr:class="button danger" attr:data-testid="delete-extension">"Delete extension…"</A>
                " "
                <A href=format!("{}?endpoint={}", routes::CHANGES, routes::query_value(&ext))>"Changes to this extension"</A>
            </p>
        }
    });
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
            {actions}
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
            <OptionsTable options=v.options.clone() testid="endpoint-config" editing=endpoint_editing/>
        </section>
        {related.into_iter().map(|(r, editing)| view! { <Related r editing/> }).collect_view()}
    }
}

#[component]
fn Related(r: RelatedObject, editing: Option<Editing>) -> impl IntoView {
    view! {
        <section class="panel">
            <h2>{format!("{} ", r.kind)}<span class="mono">{r.name.clone()}</span></h2>
            <OptionsTable options=r.options testid="related-config" editing/>
        </section>
    }
}

#[component]
fn OptionsTable(options: Vec<ConfigOption>, testid: &'static str, editing: Option<Editing>) -> impl IntoView {
    let edit_head = editing.is_some().then(|| view! { <th scope="col">"Change"</th> });
    let set_other = editing.clone().map(|e| view! { <SetOther e/> });
    view! {
        <div class="table-wrap">
        <table class="options" data-testid=testid>
            <thead><tr>
                <th scope="col">"Option"</th><th scope="col">"Value"</th><th scope="col">"Written at"</th>{edit_head}
            </tr></thead>
            <tbody>
                {options.into_iter().map(|o| {
                    let edit = editing.as_ref().map(|e| view! { <td class="edit">{(!o.secret).then(|| view! { <EditRow e=e.clone() o=o.clone()/> })}</td> });
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
                        <tr data-option=o.name.clone()>
                            <th scope="row" class="mono">{o.name.clone()}</th>
                            <td data-label="value">{value}</td>
                            <td>{sources}</td>
                            {edit}
                        </tr>
                    }
                }).collect_view()}
            </tbody>
        </table>
        </div>
        {set_other}
    }
}

/// One option's change, where it stands: a form that leads to the review
/// page (a GET, so it works without JavaScript and can be bookmarked).
#[component]
fn EditRow(e: Editing, o: ConfigOption) -> impl IntoView {
    let field = e.fields.iter().find(|f| f.name.eq_ignore_ascii_case(&o.name)).cloned();
    let id = format!("edit-{}-{}", e.object, o.name);
    let own = o.sources.iter().any(|s| s.template.is_none());
    let template = o.sources.iter().rev().find_map(|s| s.template.clone());
    let action = routes::with_extension(routes::ENDPOINT_EDIT, &e.extension);
    let scope = template.filter(|_| !own).map(|t| {
        let name = format!("{id}-scope");
        view! {
            <fieldset class="scope">
                <legend>"Where"</legend>
                <label><input type="radio" name="scope" value="own" checked=true/>{format!(" {} {} only (overrides the template)", e.object, e.extension)}</label>
                <label><input type="radio" name="scope" value="template" id=name/>{format!(" the template {t}: every object that inherits it")}</label>
            </fieldset>
        }
    });
    let unset = own.then(|| view! { <button type="submit" name="unset" value="yes" class="secondary">"Remove this line"</button> });
    let value = o.edit_value.clone().unwrap_or_else(|| o.value.clone());
    let input = match field {
        Some(f) => view! { <ValueInput field=f.clone() value id=id.clone()/><FieldHelp field=f id=id.clone()/> }.into_any(),
        None => view! { <input type="text" name="value" id=id.clone() value=value class="mono"/> }.into_any(),
    };
    view! {
        <details class="edit" data-testid=format!("edit-{}", o.name)>
            <summary>"Edit"<span class="visually-hidden">{format!(" {}", o.name)}</span></summary>
            <form method="get" action=action>
                <input type="hidden" name="object" value=e.object/>
                <input type="hidden" name="option" value=o.name.clone()/>
                <label for=id.clone()>{format!("New value of {}", o.name)}</label>
                {input}
                {scope}
                <p class="buttons"><button type="submit">"Review change"</button>" "{unset}</p>
            </form>
        </details>
    }
}

/// An option the object does not set yet.
#[component]
fn SetOther(e: Editing) -> impl IntoView {
    let id = format!("set-other-{}", e.object);
    view! {
        <form method="get" action=routes::with_extension(routes::ENDPOINT_EDIT, &e.extension) class="toolbar set-other">
            <input type="hidden" name="object" value=e.object/>
            <label for=id.clone()>{format!("Set another option of this {}", e.object)}</label>
            <select name="option" id=id>
                {e.fields.iter().filter(|f| !f.secret).map(|f| view! { <option value=f.name.clone()>{f.name.clone()}</option> }).collect_view()}
            </select>
            <button type="submit">"Choose"</button>
        </form>
    }
}

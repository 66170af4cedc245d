//! `/changes?endpoint=…&before=…&kind=…`: every change asked of the PBX,
//! newest first; for admins, the access events too (`kind=access|all`).

use super::ResultBadge;
use crate::app::change_fns::list_changes;
use crate::routes;
use leptos::prelude::*;
use leptos_router::components::A;
use leptos_router::hooks::use_query_map;

#[component]
pub fn ChangesPage() -> impl IntoView {
    let query = use_query_map();
    let asked = Memo::new(move |_| {
        let q = query.read();
        (
            q.get("endpoint").filter(|e| !e.is_empty()),
            q.get("before").and_then(|b| b.parse::<i64>().ok()),
            q.get("kind").filter(|k| !k.is_empty()),
        )
    });
    let list = Resource::new(move || asked.get(), |(endpoint, before, kind)| list_changes(endpoint, before, kind));
    let kind = move || asked.get().2.unwrap_or_default();
    view! {
        <section class="panel">
            <h1>"Changes"</h1>
            <form method="get" action=routes::CHANGES class="toolbar">
                <label for="endpoint">"Endpoint"</label>
                <input type="search" id="endpoint" name="endpoint" class="mono" autocomplete="off"
                    value=move || asked.get().0.unwrap_or_default()/>
                <label for="kind">"Show"</label>
                <select id="kind" name="kind">
                    <option value="config" selected=move || !matches!(kind().as_str(), "access" | "all")>"Config changes"</option>
                    <option value="access" selected=move || kind() == "access">"Access events (admins)"</option>
                    <option value="all" selected=move || kind() == "all">"Everything"</option>
                </select>
                <button type="submit">"Filter"</button>
            </form>
            <Transition fallback=|| view! { <p class="muted">"Loading…"</p> }>
                {move || list.get().map(|r| match r {
                    Err(e) => view! { <p class="banner banner-error" role="alert">{e.to_string()}</p> }.into_any(),
                    Ok(None) => view! { <p class="muted">"This server keeps no audit log."</p> }.into_any(),
                    Ok(Some(list)) => {
                        let (endpoint, _, kind) = asked.get();
                        let off = (!list.writes).then(|| view! {
                            <p class="banner banner-warning" role="status">"Writes are off on this server: the config is not changed from ISPBX (start it with ISPBX_WRITES=on to change it). Logins and account changes are still recorded."</p>
                        });
                        view! { {off} <ChangeTable list endpoint kind/> }.into_any()
                    }
                })}
            </Transition>
        </section>
    }
}

#[component]
fn ChangeTable(list: crate::model::ChangeList, endpoint: Option<String>, kind: Option<String>) -> impl IntoView {
    use crate::model::AuditKind;
    if list.changes.is_empty() {
        return view! { <p class="muted" data-testid="no-changes">"Nothing yet."</p> }.into_any();
    }
    let older = list.next.map(|before| {
        let mut filter = endpoint.as_ref().map(|e| format!("&endpoint={}", routes::query_value(e))).unwrap_or_default();
        if let Some(kind) = &kind {
            filter.push_str(&format!("&kind={}", routes::query_value(kind)));
        }
        view! { <p><A href=format!("{}?before={before}{filter}", routes::CHANGES)>"Older changes →"</A></p> }
    });
    view! {
        <div class="table-wrap">
        <table data-testid="changes">
            <thead><tr>
                <th scope="col">"#"</th><th scope="col">"When (UTC)"</th><th scope="col">"Who"</th><th scope="col">"What"</th>
                <th scope="col">"Endpoint"</th><th scope="col">"Result"</th><th scope="col">"Why"</th>
            </tr></thead>
            <tbody>
                {list.changes.into_iter().map(|c| {
                    let access = c.kind == AuditKind::Access;
                    // An access event says what happened in its summary, and from where in its detail.
                    let why = if access {
                        match &c.detail {
                            Some(from) => format!("{} (from {from})", c.summary),
                            None => c.summary.clone(),
                        }
                    } else {
                        c.detail.clone().unwrap_or_default()
                    };
                    let endpoint = (!access).then(|| view! { <A href=routes::endpoint_href(&c.endpoint)>{c.endpoint.clone()}</A> });
                    view! {
                        <tr data-change=c.id data-kind=if access { "access" } else { "config" }>
                            <td class="num"><A href=routes::change_href(c.id)>{c.id}</A></td>
                            <td class="mono">{c.at.replace('T', " ").trim_end_matches('Z').to_string()}</td>
                            <td>{c.actor.clone().unwrap_or_else(|| "—".into())}</td>
                            <td>{c.action.clone()}</td>
                            <td class="mono">{endpoint}</td>
                            <td><ResultBadge result=c.result.clone()/></td>
                            <td>{why}</td>
                        </tr>
                    }
                }).collect_view()}
            </tbody>
        </table>
        </div>
        {older}
    }
    .into_any()
}

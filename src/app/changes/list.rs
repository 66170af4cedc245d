//! `/changes?endpoint=…&before=…`: every change asked of the PBX, newest first.

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
        (q.get("endpoint").filter(|e| !e.is_empty()), q.get("before").and_then(|b| b.parse::<i64>().ok()))
    });
    let list = Resource::new(move || asked.get(), |(endpoint, before)| list_changes(endpoint, before));
    view! {
        <section class="panel">
            <h1>"Changes"</h1>
            <form method="get" action=routes::CHANGES class="toolbar">
                <label for="endpoint">"Endpoint"</label>
                <input type="search" id="endpoint" name="endpoint" class="mono" autocomplete="off"
                    value=move || asked.get().0.unwrap_or_default()/>
                <button type="submit">"Filter"</button>
            </form>
            <Transition fallback=|| view! { <p class="muted">"Loading…"</p> }>
                {move || list.get().map(|r| match r {
                    Err(e) => view! { <p class="banner banner-error" role="alert">{e.to_string()}</p> }.into_any(),
                    Ok(None) => view! { <p class="muted">"Writes are off on this server, so there is no audit log (ISPBX_WRITES=on)."</p> }.into_any(),
                    Ok(Some(list)) => view! { <ChangeTable list endpoint=asked.get().0/> }.into_any(),
                })}
            </Transition>
        </section>
    }
}

#[component]
fn ChangeTable(list: crate::model::ChangeList, endpoint: Option<String>) -> impl IntoView {
    if list.changes.is_empty() {
        return view! { <p class="muted" data-testid="no-changes">"No change yet."</p> }.into_any();
    }
    let older = list.next.map(|before| {
        let filter = endpoint.as_ref().map(|e| format!("&endpoint={}", routes::query_value(e))).unwrap_or_default();
        view! { <p><A href=format!("{}?before={before}{filter}", routes::CHANGES)>"Older changes →"</A></p> }
    });
    view! {
        <div class="table-wrap">
        <table data-testid="changes">
            <thead><tr>
                <th scope="col">"#"</th><th scope="col">"When (UTC)"</th><th scope="col">"What"</th>
                <th scope="col">"Endpoint"</th><th scope="col">"Result"</th><th scope="col">"Why"</th>
            </tr></thead>
            <tbody>
                {list.changes.into_iter().map(|c| view! {
                    <tr data-change=c.id>
                        <td class="num"><A href=routes::change_href(c.id)>{c.id}</A></td>
                        <td class="mono">{c.at.replace('T', " ").trim_end_matches('Z').to_string()}</td>
                        <td>{c.action.clone()}</td>
                        <td class="mono"><A href=routes::endpoint_href(&c.endpoint)>{c.endpoint.clone()}</A></td>
                        <td><ResultBadge result=c.result.clone()/></td>
                        <td>{c.detail.clone().unwrap_or_default()}</td>
                    </tr>
                }).collect_view()}
            </tbody>
        </table>
        </div>
        {older}
    }
    .into_any()
}

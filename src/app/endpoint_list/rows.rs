//! The table: sortable column headers and one row per endpoint on the page,
//! keyed by name. A poll re-renders only the cells whose values changed, and
//! rows keep their DOM (and the focus in them) when others come and go.

use super::filter::SortKey;
use super::PAGE_SIZE;
use crate::app::widgets::{rtt, StateBadge};
use crate::model::EndpointSummary;
use crate::routes;
use leptos::prelude::*;

#[component]
pub fn EndpointRows(
    all: Memo<Vec<EndpointSummary>>,
    shown: Memo<Vec<usize>>,
    sort: RwSignal<(SortKey, bool)>,
    page: RwSignal<usize>,
) -> impl IntoView {
    let on_page = Memo::new(move |_| {
        let start = page.get() * PAGE_SIZE;
        shown.with(|rows| {
            all.with(|a| rows.iter().skip(start).take(PAGE_SIZE).filter_map(|&i| a.get(i)).map(|e| e.objectname.clone()).collect::<Vec<_>>())
        })
    });
    view! {
        <div class="table-wrap cards">
            <table class="endpoints">
                <caption class="visually-hidden">"PJSIP endpoints"</caption>
                <thead>
                    <tr>
                        {SortKey::ALL.into_iter().map(|(key, label)| view! { <SortHeader key label sort page/> }).collect_view()}
                    </tr>
                </thead>
                <tbody>
                    <For each=move || on_page.get() key=|name| name.clone() let:name>
                        <EndpointRow all name/>
                    </For>
                </tbody>
            </table>
        </div>
    }
}

/// A column header that sorts by its key; a second click reverses the order.
#[component]
fn SortHeader(key: SortKey, label: &'static str, sort: RwSignal<(SortKey, bool)>, page: RwSignal<usize>) -> impl IntoView {
    let aria = move || match sort.get() {
        (k, true) if k == key => "ascending",
        (k, false) if k == key => "descending",
        _ => "none",
    };
    view! {
        <th scope="col" aria-sort=aria>
            <button type="button" class="sort" on:click=move |_| {
                sort.update(|(k, ascending)| {
                    if *k == key { *ascending = !*ascending } else { *k = key; *ascending = true }
                });
                page.set(0);
            }>{label}</button>
        </th>
    }
}

/// The endpoint named `name` in the list. The server sends the list sorted by
/// name, so this is a binary search; a list in another order still works.
fn find<'a>(all: &'a [EndpointSummary], name: &str) -> Option<&'a EndpointSummary> {
    match all.binary_search_by(|e| e.objectname.as_str().cmp(name)) {
        Ok(i) => all.get(i),
        Err(_) => all.iter().find(|e| e.objectname == name),
    }
}

#[component]
fn EndpointRow(all: Memo<Vec<EndpointSummary>>, name: String) -> impl IntoView {
    let row = {
        let name = name.clone();
        // Equal rows do not notify: an unchanged endpoint costs no DOM work.
        Memo::new(move |_| all.with(|a| find(a, &name).cloned()))
    };
    let text = move |f: fn(&EndpointSummary) -> String| move || row.with(|r| r.as_ref().map(f).unwrap_or_default());
    view! {
        <tr data-endpoint=name.clone() data-state=move || row.with(|r| r.as_ref().map_or("", |e| e.state.as_str()))>
            <th scope="row"><a href=routes::endpoint_href(&name)>{name.clone()}</a></th>
            <td class="callerid" title=text(|e| e.callerid.clone().unwrap_or_default())>
                {text(|e| callerid_name(e.callerid.as_deref().unwrap_or("")).to_string())}
            </td>
            <td>{move || row.with(|r| r.as_ref().map(|e| e.state)).map(|state| view! { <StateBadge state/> })}</td>
            <td class="devicestate">{text(|e| e.devicestate.clone())}</td>
            <td class="num" data-label="channels">{move || row.with(|r| r.as_ref().map_or(0, |e| e.activechannels))}</td>
            <td class="contact">
                {move || match row.with(|r| r.as_ref().and_then(|e| e.contacts.first().cloned())) {
                    Some(c) => view! {
                        <span class="mono">{c.via.clone().unwrap_or_else(|| c.uri.clone())}</span>
                        <span class="muted">{c.user_agent.clone().unwrap_or_default()}</span>
                        <span class="muted">{rtt(c.rtt_ms)}</span>
                    }.into_any(),
                    None => view! { <span class="muted">"—"</span> }.into_any(),
                }}
            </td>
        </tr>
    }
}

/// The name of a caller id (`"Alice Martin" <1001>` → `Alice Martin`): the
/// number is the extension, already in its own column.
fn callerid_name(callerid: &str) -> &str {
    let s = callerid.trim();
    match s.strip_prefix('"').and_then(|r| r.split_once('"')) {
        Some((name, _)) if !name.is_empty() => name,
        _ => s.split_once('<').map_or(s, |(name, _)| name.trim()).trim_matches('"'),
    }
}


#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn caller_ids_show_their_name() {
        assert_eq!(callerid_name("\"Alice Martin\" <1001>"), "Alice Martin");
        assert_eq!(callerid_name("Reception <1013>"), "Reception");
        assert_eq!(callerid_name("<1013>"), "");
        assert_eq!(callerid_name("Bob"), "Bob");
        assert_eq!(callerid_name(""), "");
    }
}

//! `/endpoints`: every endpoint, its state and contact, filterable and sortable.

use super::live_feed::LiveFeed;
use super::server_fns::list_endpoints;
use super::widgets::{rtt, AmiBanner, ConnectionBanner, ErrorPanel, StateBadge};
use crate::model::{EndpointList, EndpointState, EndpointSummary};
use leptos::prelude::*;
use leptos_router::hooks::use_query_map;
use std::cmp::Ordering;

/// Rows per page: a PBX with thousands of phones stays quick to render.
pub const PAGE_SIZE: usize = 100;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum SortKey {
    Extension,
    CallerId,
    Status,
    DeviceState,
    Channels,
    Contact,
}

impl SortKey {
    const ALL: [(SortKey, &'static str); 6] = [
        (SortKey::Extension, "Extension"),
        (SortKey::CallerId, "Caller ID"),
        (SortKey::Status, "Status"),
        (SortKey::DeviceState, "Device state"),
        (SortKey::Channels, "Channels"),
        (SortKey::Contact, "Contact"),
    ];
}

fn contact_text(e: &EndpointSummary) -> String {
    e.contacts
        .first()
        .map(|c| c.via.clone().unwrap_or_else(|| c.uri.clone()))
        .unwrap_or_default()
}

/// Extension numbers sort as numbers, names as text.
fn natural(a: &str, b: &str) -> Ordering {
    match (a.parse::<u64>(), b.parse::<u64>()) {
        (Ok(x), Ok(y)) => x.cmp(&y),
        (Ok(_), Err(_)) => Ordering::Less,
        (Err(_), Ok(_)) => Ordering::Greater,
        _ => a.cmp(b),
    }
}

fn compare(key: SortKey, a: &EndpointSummary, b: &EndpointSummary) -> Ordering {
    let by_name = natural(&a.objectname, &b.objectname);
    let primary = match key {
        SortKey::Extension => Ordering::Equal,
        SortKey::CallerId => a.callerid.cmp(&b.callerid),
        SortKey::Status => a.state.cmp(&b.state),
        SortKey::DeviceState => a.devicestate.cmp(&b.devicestate),
        SortKey::Channels => b.activechannels.cmp(&a.activechannels),
        SortKey::Contact => contact_text(a).cmp(&contact_text(b)),
    };
    primary.then(by_name)
}

/// Everything the filter looks at in a row, lowercased: extension, name, state,
/// device state, contacts' URIs, addresses and user agents.
pub fn haystack(e: &EndpointSummary) -> String {
    let mut s = format!(
        "{} {} {} {} {}",
        e.objectname,
        e.callerid.as_deref().unwrap_or(""),
        e.state.as_str(),
        e.devicestate,
        if e.activechannels > 0 { "in-call" } else { "" }
    );
    for c in &e.contacts {
        s.push(' ');
        s.push_str(&c.uri);
        s.push(' ');
        s.push_str(c.via.as_deref().unwrap_or(""));
        s.push(' ');
        s.push_str(c.user_agent.as_deref().unwrap_or(""));
    }
    s.to_lowercase()
}

/// The filter's words, lowercased: a row must contain every one.
pub fn words(filter: &str) -> Vec<String> {
    filter.to_lowercase().split_whitespace().map(str::to_string).collect()
}

/// Does the row's haystack contain every word of the filter?
pub fn matches(hay: &str, words: &[String]) -> bool {
    words.iter().all(|w| hay.contains(w.as_str()))
}

/// The indices of the rows that match, in display order. Haystacks are built
/// once per list, not per keystroke: with 5,000 rows that is most of the work.
pub fn filter_and_sort(list: &[EndpointSummary], hay: &[String], filter: &str, key: SortKey, ascending: bool) -> Vec<usize> {
    let words = words(filter);
    let mut rows: Vec<usize> = (0..list.len()).filter(|&i| hay.get(i).is_some_and(|h| matches(h, &words))).collect();
    rows.sort_by(|&a, &b| {
        let o = compare(key, &list[a], &list[b]);
        if ascending { o } else { o.reverse() }
    });
    rows
}

#[component]
pub fn EndpointListPage() -> impl IntoView {
    let feed = LiveFeed::new(list_endpoints);
    let outcome = feed.outcome();
    let data = feed.data();
    let query = use_query_map();
    let filter = RwSignal::new(query.read_untracked().get("q").unwrap_or_default());
    let sort = RwSignal::new((SortKey::Extension, true));
    let page = RwSignal::new(0usize);

    view! {
        <h1 class="visually-hidden">"Endpoints"</h1>
        <ConnectionBanner retry_in=feed.retry_in/>
        <Transition fallback=|| view! { <p class="muted">"Loading endpoints…"</p> }>
            {move || {
                feed.track_first();
                outcome.get().map(|res| match res {
                    Ok(()) => view! { <EndpointTable data filter sort page/> }.into_any(),
                    Err(e) => view! { <ErrorPanel message=e/> }.into_any(),
                })
            }}
        </Transition>
    }
}

#[component]
fn EndpointTable(
    data: Memo<Option<EndpointList>>,
    filter: RwSignal<String>,
    sort: RwSignal<(SortKey, bool)>,
    page: RwSignal<usize>,
) -> impl IntoView {
    let all = Memo::new(move |_| data.get().map(|l| l.endpoints).unwrap_or_default());
    let count = move |f: fn(&EndpointSummary) -> bool| all.with(|a| a.iter().filter(|e| f(e)).count());
    let hay = Memo::new(move |_| all.with(|a| a.iter().map(haystack).collect::<Vec<_>>()));
    let rows = Memo::new(move |_| {
        let (key, asc) = sort.get();
        let f = filter.get();
        all.with(|a| hay.with(|h| filter_and_sort(a, h, &f, key, asc)))
    });
    let total = move || all.with(Vec::len);

    let header = move |key: SortKey, label: &'static str| {
        let aria = move || match sort.get() {
            (k, true) if k == key => "ascending",
            (k, false) if k == key => "descending",
            _ => "none",
        };
        view! {
            <th scope="col" aria-sort=aria>
                <button type="button" class="sort" on:click=move |_| {
                    sort.update(|(k, asc)| {
                        if *k == key { *asc = !*asc } else { *k = key; *asc = true }
                    });
                    page.set(0);
                }>{label}</button>
            </th>
        }
    };

    view! {
        {move || data.get().map(|l| view! { <AmiBanner ami=l.ami/> })}
        {move || data.get().and_then(|l| l.config.error).map(|e| view! {
            <div class="banner banner-warning" role="status">
                <strong>"The config on disk has an error; showing the last good one. "</strong>{e}
            </div>
        })}
        <section class="counts" aria-label="Summary">
            <div class="count"><span class="n" data-testid="count-total">{total}</span>" endpoints"</div>
            <div class="count count-online"><span class="n" data-testid="count-online">
                {move || count(|e| e.state == EndpointState::Online)}</span>" online"</div>
            <div class="count count-offline"><span class="n" data-testid="count-offline">
                {move || count(|e| e.state == EndpointState::Offline)}</span>" offline"</div>
            <div class="count"><span class="n" data-testid="count-unmonitored">
                {move || count(|e| e.state == EndpointState::Unmonitored)}</span>" unmonitored"</div>
            <div class="count count-call"><span class="n" data-testid="count-in-call">
                {move || count(|e| e.activechannels > 0)}</span>" in a call"</div>
        </section>
        <form class="toolbar" method="get" action="/endpoints" on:submit=|ev| ev.prevent_default()>
            <label for="filter">"Filter"</label>
            <input
                id="filter"
                name="q"
                type="search"
                autocomplete="off"
                placeholder="extension, name, IP, status"
                prop:value=move || filter.get()
                on:input=move |ev| {
                    filter.set(event_target_value(&ev));
                    page.set(0);
                }
            />
            <span class="muted" aria-live="polite" data-testid="match-count">
                {move || format!("{} of {}", rows.with(Vec::len), total())}
            </span>
        </form>
        <div class="table-wrap cards">
            <table class="endpoints">
                <caption class="visually-hidden">"PJSIP endpoints"</caption>
                <thead>
                    <tr>{SortKey::ALL.into_iter().map(|(k, l)| header(k, l)).collect_view()}</tr>
                </thead>
                <tbody>
                    {move || rows.with(|rows| all.with(|a| {
                        let start = page.get() * PAGE_SIZE;
                        rows.iter().skip(start).take(PAGE_SIZE).map(|&i| a[i].clone()).map(|e| view! { <EndpointRow e/> }).collect_view()
                    }))}
                </tbody>
            </table>
        </div>
        <nav class="pager" aria-label="Pages">
            {move || {
                let n = rows.with(Vec::len);
                let pages = n.div_ceil(PAGE_SIZE).max(1);
                let p = page.get().min(pages - 1);
                let first = if n == 0 { 0 } else { p * PAGE_SIZE + 1 };
                let last = ((p + 1) * PAGE_SIZE).min(n);
                view! {
                    <button type="button" disabled=p == 0 on:click=move |_| page.update(|p| *p = p.saturating_sub(1))>"Previous"</button>
                    <span>{format!("{first}–{last} of {n}")}</span>
                    <button type="button" disabled={p + 1 >= pages} on:click=move |_| page.update(|p| *p += 1)>"Next"</button>
                }
            }}
        </nav>
    }
}

#[component]
fn EndpointRow(e: EndpointSummary) -> impl IntoView {
    let href = format!("/endpoints/{}", urlencode(&e.objectname));
    let contact = e.contacts.first().cloned();
    view! {
        <tr data-endpoint=e.objectname.clone() data-state=e.state.as_str()>
            <th scope="row"><a href=href>{e.objectname.clone()}</a></th>
            <td class="callerid" title=e.callerid.clone().unwrap_or_default()>{callerid_name(e.callerid.as_deref().unwrap_or("")).to_string()}</td>
            <td><StateBadge state=e.state/></td>
            <td class="devicestate">{e.devicestate.clone()}</td>
            <td class="num" data-label="channels">{e.activechannels}</td>
            <td class="contact">
                {match contact {
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
pub fn callerid_name(callerid: &str) -> &str {
    let s = callerid.trim();
    match s.strip_prefix('"').and_then(|r| r.split_once('"')) {
        Some((name, _)) if !name.is_empty() => name,
        _ => s.split_once('<').map_or(s, |(name, _)| name.trim()).trim_matches('"'),
    }
}

/// Percent-encodes a path segment (endpoint names may hold any printable byte).
pub fn urlencode(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for b in s.bytes() {
        if b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.' | b'~') {
            out.push(b as char);
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::{ContactInfo, EndpointSource};

    fn ep(name: &str, state: EndpointState, via: Option<&str>) -> EndpointSummary {
        EndpointSummary {
            objectname: name.into(),
            status: state.spec_status().into(),
            kind: "endpoint".into(),
            devicestate: "Unknown".into(),
            activechannels: 0,
            state,
            source: EndpointSource::Config,
            callerid: Some(format!("User {name}")),
            contacts: via
                .map(|v| {
                    vec![ContactInfo {
                        aor: name.into(),
                        uri: format!("sip:{name}@{v}"),
                        status: "Reachable".into(),
                        via: Some(v.into()),
                        user_agent: Some("Yealink".into()),
                        rtt_ms: Some(1.5),
                        expires: None,
                    }]
                })
                .unwrap_or_default(),
        }
    }

    #[test]
    fn filter_matches_every_word_anywhere() {
        let e = haystack(&ep("1001", EndpointState::Online, Some("10.0.0.5:5060")));
        assert!(matches(&e, &words("1001")));
        assert!(matches(&e, &words("10.0.0.5")));
        assert!(matches(&e, &words("online Yealink")));
        assert!(!matches(&e, &words("offline")));
        assert!(matches(&e, &words("")));
    }

    #[test]
    fn extensions_sort_as_numbers() {
        let list = vec![
            ep("1002", EndpointState::Offline, None),
            ep("trunk", EndpointState::Unmonitored, None),
            ep("999", EndpointState::Online, None),
        ];
        let hay: Vec<_> = list.iter().map(haystack).collect();
        let names = |f: &str, key, asc| -> Vec<&str> {
            filter_and_sort(&list, &hay, f, key, asc).into_iter().map(|i| list[i].objectname.as_str()).collect()
        };
        assert_eq!(names("", SortKey::Extension, true), vec!["999", "1002", "trunk"]);
        assert_eq!(names("", SortKey::Extension, false), vec!["trunk", "1002", "999"]);
        assert_eq!(names("", SortKey::Status, true), vec!["999", "1002", "trunk"]);
        assert_eq!(names("USER 10", SortKey::Extension, true), vec!["1002"]);
    }

    #[test]
    fn caller_ids_show_their_name() {
        assert_eq!(callerid_name("\"Alice Martin\" <1001>"), "Alice Martin");
        assert_eq!(callerid_name("Reception <1013>"), "Reception");
        assert_eq!(callerid_name("<1013>"), "");
        assert_eq!(callerid_name("Bob"), "Bob");
        assert_eq!(callerid_name(""), "");
    }

    #[test]
    fn names_are_percent_encoded() {
        assert_eq!(urlencode("1001"), "1001");
        assert_eq!(urlencode("a b/c"), "a%20b%2Fc");
    }
}

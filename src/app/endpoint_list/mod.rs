//! `/endpoints`: every endpoint, its state and contact, filterable and sortable.
//!
//! - `filter`: which rows show, in which order (pure);
//! - `summary`: the counts above the table;
//! - `toolbar`: the filter box;
//! - `rows`: the table, one keyed row per endpoint;
//! - `pager`: pages of [`PAGE_SIZE`] rows.

mod filter;
mod pager;
mod rows;
mod summary;
mod toolbar;

use super::live_feed::LiveFeed;
use super::server_fns::list_endpoints;
use super::widgets::{AmiBanner, ConfigErrorBanner, ConnectionBanner, ErrorPanel, FeedModeBadge};
use crate::model::{EndpointListResponse, EndpointSummary};
use filter::{filter_and_sort, haystack, SortKey};
use leptos::prelude::*;
use leptos_router::hooks::use_query_map;

/// Rows per page: a PBX with thousands of phones stays quick to render.
pub const PAGE_SIZE: usize = 100;

/// The query parameter the filter is kept in, so a filtered list has a URL.
const FILTER_QUERY: &str = "q";

#[component]
pub fn EndpointListPage() -> impl IntoView {
    let feed = LiveFeed::new(list_endpoints);
    let outcome = feed.outcome();
    let data = feed.data();
    let query = use_query_map();
    let filter = RwSignal::new(query.read_untracked().get(FILTER_QUERY).unwrap_or_default());
    let sort = RwSignal::new((SortKey::Extension, true));
    let page = RwSignal::new(0usize);

    view! {
        <h1 class="visually-hidden">"Endpoints"</h1>
        <ConnectionBanner retry_in=feed.retry_in/>
        <FeedModeBadge mode=feed.mode/>
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

/// The list once loaded: banners, counts, filter, rows and pages, all reading
/// the same memos so a poll recomputes each thing once.
#[component]
fn EndpointTable(
    data: Memo<Option<EndpointListResponse>>,
    filter: RwSignal<String>,
    sort: RwSignal<(SortKey, bool)>,
    page: RwSignal<usize>,
) -> impl IntoView {
    let all: Memo<Vec<EndpointSummary>> = Memo::new(move |_| data.get().map(|l| l.endpoints).unwrap_or_default());
    let hay = Memo::new(move |_| all.with(|a| a.iter().map(haystack).collect::<Vec<_>>()));
    let shown = Memo::new(move |_| {
        let (key, ascending) = sort.get();
        let f = filter.get();
        all.with(|a| hay.with(|h| filter_and_sort(a, h, &f, key, ascending)))
    });
    view! {
        {move || data.get().map(|l| view! { <AmiBanner ami=l.ami/> })}
        {move || data.get().and_then(|l| l.config.error).map(|error| view! { <ConfigErrorBanner error/> })}
        <summary::Counts all/>
        <toolbar::FilterBar filter page shown total=Signal::derive(move || all.with(Vec::len))/>
        <rows::EndpointRows all shown sort page/>
        <pager::Pager shown page/>
    }
}

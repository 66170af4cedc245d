//! The filter box. Without JavaScript it is a GET form, so the server renders
//! the filtered list from the URL.

use super::FILTER_QUERY;
use crate::routes;
use leptos::prelude::*;

#[component]
pub fn FilterBar(
    filter: RwSignal<String>,
    page: RwSignal<usize>,
    shown: Memo<Vec<usize>>,
    total: Signal<usize>,
) -> impl IntoView {
    view! {
        <form class="toolbar" method="get" action=routes::ENDPOINTS on:submit=|ev| ev.prevent_default()>
            <label for="filter">"Filter"</label>
            <input
                id="filter"
                name=FILTER_QUERY
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
                {move || format!("{} of {}", shown.with(Vec::len), total.get())}
            </span>
        </form>
    }
}

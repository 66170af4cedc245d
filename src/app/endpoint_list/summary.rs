//! The counts above the table: how many endpoints, online, offline, in a call.

use crate::model::{EndpointState, EndpointSummary};
use leptos::prelude::*;

#[component]
pub fn Counts(all: Memo<Vec<EndpointSummary>>) -> impl IntoView {
    let count = move |f: fn(&EndpointSummary) -> bool| all.with(|a| a.iter().filter(|e| f(e)).count());
    view! {
        <section class="counts" aria-label="Summary">
            <div class="count"><span class="n" data-testid="count-total">{move || all.with(Vec::len)}</span>" endpoints"</div>
            <div class="count count-online"><span class="n" data-testid="count-online">
                {move || count(|e| e.state == EndpointState::Online)}</span>" online"</div>
            <div class="count count-offline"><span class="n" data-testid="count-offline">
                {move || count(|e| e.state == EndpointState::Offline)}</span>" offline"</div>
            <div class="count"><span class="n" data-testid="count-unmonitored">
                {move || count(|e| e.state == EndpointState::Unmonitored)}</span>" unmonitored"</div>
            <div class="count count-call"><span class="n" data-testid="count-in-call">
                {move || count(|e| e.activechannels > 0)}</span>" in a call"</div>
        </section>
    }
}

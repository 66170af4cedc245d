//! Previous / next over pages of [`PAGE_SIZE`] rows.

use super::PAGE_SIZE;
use leptos::prelude::*;

#[component]
pub fn Pager(shown: Memo<Vec<usize>>, page: RwSignal<usize>) -> impl IntoView {
    view! {
        <nav class="pager" aria-label="Pages">
            {move || {
                let n = shown.with(Vec::len);
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

//! The audit log as pages: `/changes` (filterable by endpoint) and one
//! change, followed live while it runs.

mod change;
mod list;

pub use change::ChangePage;
pub use list::ChangesPage;

use leptos::prelude::*;

/// A change's result as a badge: pending, applied, refused, rolled_back, failed.
#[component]
pub fn ResultBadge(result: String) -> impl IntoView {
    let label = result.replace('_', " ");
    view! { <span class=format!("badge result-{result}") data-testid="result" data-result=result>{label}</span> }
}

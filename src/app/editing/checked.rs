//! A change checked and not written: what it changes, the diff, the notes.

use crate::model::ChangeReview;
use leptos::prelude::*;

#[component]
pub fn CheckedChange(review: ChangeReview) -> impl IntoView {
    let removed = (!review.removed.is_empty()).then(|| {
        view! {
            <p>"These objects go, from the config and from Asterisk:"</p>
            <ul data-testid="removed">
                {review.removed.iter().map(|r| view! { <li class="mono">{r.clone()}</li> }).collect_view()}
            </ul>
        }
    });
    let notes = (!review.notes.is_empty()).then(|| {
        view! {
            <ul class="notes" data-testid="notes">
                {review.notes.iter().map(|n| view! { <li>{n.clone()}</li> }).collect_view()}
            </ul>
        }
    });
    view! {
        <p>"Checked against Asterisk's option rules: valid. What changes: "<strong>{review.target.clone()}</strong>"."</p>
        {removed}
        {notes}
        <h2>"What will be written"</h2>
        <pre class="diff" data-testid="diff">{review.diff.clone()}</pre>
    }
}

/// Why a change is refused, where the input is.
#[component]
pub fn Refused(id: String, why: String) -> impl IntoView {
    view! { <p class="field-error" id=id role="alert" data-testid="refused">{why}</p> }
}

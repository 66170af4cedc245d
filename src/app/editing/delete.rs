//! `/endpoints/{extension}/delete`: what deleting an extension removes,
//! checked, and the confirmation that does it.

use super::checked::{CheckedChange, Refused};
use crate::app::change_fns::{review_delete, DeleteExtension};
use crate::app::widgets::Refusal;
use crate::routes;
use leptos::form::ActionForm;
use leptos::prelude::*;
use leptos_router::components::A;
use leptos_router::hooks::use_params_map;

#[component]
pub fn DeletePage() -> impl IntoView {
    let params = use_params_map();
    let extension = Memo::new(move |_| params.read().get(routes::EXTENSION).unwrap_or_default());
    let review = Resource::new(move || extension.get(), review_delete);
    view! {
        <Transition fallback=|| view! { <p class="muted">"Checking…"</p> }>
            {move || review.get().map(|r| view! { <Delete extension=extension.get() review=r/> })}
        </Transition>
    }
}

#[component]
fn Delete(extension: String, review: Result<crate::app::change_fns::Review, ServerFnError>) -> impl IntoView {
    let delete = ServerAction::<DeleteExtension>::new();
    let pending = delete.pending();
    let failed = move || delete.value().get().and_then(Result::err).map(|error| view! { <Refusal error/> });
    let body = match review.map_err(|e| e.to_string()).and_then(|r| r) {
        Err(why) => view! { <Refused id="delete-error".to_string() why/> }.into_any(),
        Ok(r) => {
            let version = r.version.clone();
            let ext = extension.clone();
            view! {
                <CheckedChange review=r/>
                <ActionForm action=delete attr:class="apply">
                    <input type="hidden" name="extension" value=ext.clone()/>
                    <input type="hidden" name="version" value=version/>
                    <button type="submit" class="danger" disabled=move || pending.get() data-testid="confirm-delete">
                        {move || if pending.get() { "Deleting…".to_string() } else { format!("Delete extension {ext}") }}
                    </button>
                </ActionForm>
                {failed}
            }
            .into_any()
        }
    };
    view! {
        <p class="crumbs"><A href=routes::endpoint_href(&extension)>{format!("← {extension}")}</A></p>
        <section class="panel">
            <h1>{format!("Delete extension {extension}")}</h1>
            {body}
        </section>
    }
}

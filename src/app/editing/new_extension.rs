//! `/new-extension?extension=…&template=…`: an endpoint with its auth and
//! aor from a template the config has, checked, then created; its password
//! is shown once, on the change's page.

use super::checked::{CheckedChange, Refused};
use crate::app::change_fns::{extension_templates, review_new_extension, CreateExtension};
use crate::app::widgets::Refusal;
use crate::routes;
use leptos::form::ActionForm;
use leptos::prelude::*;
use leptos_router::hooks::use_query_map;

#[component]
pub fn NewExtensionPage() -> impl IntoView {
    let query = use_query_map();
    let asked = Memo::new(move |_| {
        let q = query.read();
        (q.get("extension").unwrap_or_default(), q.get("template").unwrap_or_default())
    });
    let templates = Resource::new(|| (), |_| extension_templates());
    let review = Resource::new(move || asked.get(), |(ext, template)| async move {
        if ext.is_empty() || template.is_empty() {
            return Ok(None);
        }
        review_new_extension(ext, template).await.map(Some)
    });
    view! {
        <Transition fallback=|| view! { <p class="muted">"Checking…"</p> }>
            {move || {
                let (extension, template) = asked.get();
                let (templates, writes) = templates.get()?.ok()?;
                let review = review.get()?;
                Some(view! { <NewExtension extension template templates writes review/> })
            }}
        </Transition>
    }
}

#[component]
fn NewExtension(
    extension: String,
    template: String,
    templates: Vec<crate::model::TemplateChoice>,
    writes: bool,
    review: Result<Option<crate::app::change_fns::Review>, ServerFnError>,
) -> impl IntoView {
    if !writes {
        return view! {
            <section class="panel">
                <h1>"New extension"</h1>
                <p class="banner banner-warning" role="status">"Writes are off on this server: start it with ISPBX_WRITES=on (or --writes on) to change the PBX."</p>
            </section>
        }
        .into_any();
    }
    let (refused, checked) = match review {
        Err(e) => (Some(e.to_string()), None),
        Ok(None) => (None, None),
        Ok(Some(Err(why))) => (Some(why), None),
        Ok(Some(Ok(r))) => (None, Some(r)),
    };
    let create = ServerAction::<CreateExtension>::new();
    let pending = create.pending();
    let failed = move || create.value().get().and_then(Result::err).map(|error| view! { <Refusal error/> });
    let invalid = refused.is_some().then_some("true");
    let apply_form = checked.clone().map(|r| {
        let (ext, tpl) = (extension.clone(), template.clone());
        view! {
            <ActionForm action=create attr:class="apply">
                <input type="hidden" name="extension" value=ext.clone()/>
                <input type="hidden" name="template" value=tpl/>
                <input type="hidden" name="version" value=r.version.clone()/>
                <button type="submit" disabled=move || pending.get() data-testid="create">
                    {move || if pending.get() { "Creating…".to_string() } else { format!("Create extension {ext}") }}
                </button>
                " A strong password is made for it and shown once, after Asterisk has loaded it."
            </ActionForm>
            {failed}
        }
    });
    view! {
        <section class="panel">
            <h1>"New extension"</h1>
            <form method="get" action=routes::NEW_EXTENSION class="review">
                <label for="extension">"Extension"</label>
                <input type="text" id="extension" name="extension" value=extension.clone() required=true autocomplete="off"
                    inputmode="numeric" class="mono" aria-invalid=invalid aria-describedby="new-error"/>
                <label for="template">"Template"</label>
                <select id="template" name="template" required=true>
                    {templates.into_iter().map(|t| {
                        let selected = t.name == template;
                        let label = format!("{} ({} endpoint{})", t.name, t.used_by, if t.used_by == 1 { "" } else { "s" });
                        view! { <option value=t.name.clone() selected=selected>{label}</option> }
                    }).collect_view()}
                </select>
                <p class="help">"The endpoint, its auth and its aor are named and templated as the other extensions on that template are."</p>
                {refused.map(|why| view! { <Refused id="new-error".to_string() why/> })}
                <p class="buttons"><button type="submit" class="secondary">"Check"</button></p>
            </form>
            {checked.map(|r| view! { <CheckedChange review=r/> })}
            {apply_form}
        </section>
    }
    .into_any()
}

//! `/endpoints/{extension}/edit?object=…&option=…&value=…`: one option's
//! change, checked, then applied. Without `value` (and without `unset`) it
//! is the form alone.

use super::checked::{CheckedChange, Refused};
use super::value_input::{FieldHelp, ValueInput};
use crate::app::change_fns::{field_of_option, review_option, ApplyOption};
use crate::app::widgets::Refusal;
use crate::routes;
use leptos::form::ActionForm;
use leptos::prelude::*;
use leptos_router::components::A;
use leptos_router::hooks::{use_params_map, use_query_map};

#[derive(Clone, Debug, PartialEq)]
struct Asked {
    extension: String,
    object: String,
    option: String,
    /// `None`: unset.
    value: Option<String>,
    scope: String,
    /// Checked only once a value (or unset) is given.
    given: bool,
}

#[component]
pub fn ReviewPage() -> impl IntoView {
    let params = use_params_map();
    let query = use_query_map();
    let asked = Memo::new(move |_| {
        let q = query.read();
        let unset = q.get("unset").is_some_and(|u| u == "yes");
        let value = q.get("value");
        Asked {
            extension: params.read().get(routes::EXTENSION).unwrap_or_default(),
            object: q.get("object").unwrap_or_else(|| "endpoint".into()),
            option: q.get("option").unwrap_or_default(),
            given: unset || value.is_some(),
            value: if unset { None } else { value },
            scope: q.get("scope").unwrap_or_default(),
        }
    });
    let field = Resource::new(move || asked.with(|a| (a.object.clone(), a.option.clone())), |(object, option)| field_of_option(object, option));
    let review = Resource::new(move || asked.get(), |a| async move {
        if !a.given || a.option.is_empty() {
            return Ok(None);
        }
        review_option(a.extension, a.object, a.option, a.value, a.scope).await.map(Some)
    });
    view! {
        <Transition fallback=|| view! { <p class="muted">"Checking…"</p> }>
            {move || {
                let a = asked.get();
                let field = field.get()?.ok()?;
                let review = review.get()?;
                Some(view! { <Review a field review/> })
            }}
        </Transition>
    }
}

#[component]
fn Review(
    a: Asked,
    field: Option<crate::model::OptionField>,
    review: Result<Option<crate::app::change_fns::Review>, ServerFnError>,
) -> impl IntoView {
    let back = routes::endpoint_href(&a.extension);
    let id = "value".to_string();
    let (refused, checked) = match review {
        Err(e) => (Some(e.to_string()), None),
        Ok(None) => (None, None),
        Ok(Some(Err(why))) => (Some(why), None),
        Ok(Some(Ok(r))) => (None, Some(r)),
    };
    let error_id = refused.as_ref().map(|_| "value-error".to_string());
    let what = match &a.value {
        Some(_) => format!("Set {} of {} {}", a.option, a.object, a.extension),
        None => format!("Remove {} from {} {}'s own section", a.option, a.object, a.extension),
    };
    let input = match (field.clone(), a.value.is_some() || !a.given) {
        (Some(f), true) => Some(view! {
            <label for=id.clone()>"Value"</label>
            <ValueInput field=f.clone() value=a.value.clone().unwrap_or_default() id=id.clone() error=error_id.clone()/>
            <FieldHelp field=f id=id.clone()/>
        }.into_any()),
        (None, true) => Some(view! {
            <label for=id.clone()>"Value"</label>
            <input type="text" name="value" id=id.clone() value=a.value.clone().unwrap_or_default() class="mono"/>
        }.into_any()),
        (_, false) => None,
    };
    let unknown = field.is_none().then(|| format!("{} is not an option Asterisk 22 knows for an {}.", a.option, a.object));
    let apply = ServerAction::<ApplyOption>::new();
    let pending = apply.pending();
    let failed = move || apply.value().get().and_then(Result::err).map(|error| view! { <Refusal error/> });
    let apply_form = checked.clone().map(|r| {
        let a = a.clone();
        view! {
            <ActionForm action=apply attr:class="apply" attr:data-testid="apply-form">
                <input type="hidden" name="extension" value=a.extension.clone()/>
                <input type="hidden" name="object" value=a.object.clone()/>
                <input type="hidden" name="option" value=a.option.clone()/>
                {a.value.clone().map(|v| view! { <input type="hidden" name="value" value=v/> })}
                <input type="hidden" name="scope" value=a.scope.clone()/>
                <input type="hidden" name="version" value=r.version.clone()/>
                <button type="submit" disabled=move || pending.get() data-testid="apply">
                    {move || if pending.get() { "Applying…" } else { "Apply to Asterisk" }}
                </button>
                " It is written, Asterisk reloads it, and what Asterisk then holds is checked; if it did not take it, the files are put back."
            </ActionForm>
            {failed}
        }
    });
    view! {
        <p class="crumbs"><A href=back.clone()>{format!("← {}", a.extension)}</A></p>
        <section class="panel">
            <h1>{what}</h1>
            {unknown.map(|u| view! { <p class="banner banner-warning">{u}</p> })}
            <form method="get" action=routes::with_extension(routes::ENDPOINT_EDIT, &a.extension) class="review">
                <input type="hidden" name="object" value=a.object.clone()/>
                <input type="hidden" name="option" value=a.option.clone()/>
                <input type="hidden" name="scope" value=a.scope.clone()/>
                {input}
                {a.value.is_none().then(|| view! { <input type="hidden" name="unset" value="yes"/> })}
                {refused.map(|why| view! { <Refused id="value-error".to_string() why/> })}
                <p class="buttons"><button type="submit" class="secondary">{if checked.is_some() { "Check again" } else { "Check" }}</button></p>
            </form>
            {checked.map(|r| view! { <CheckedChange review=r/> })}
            {apply_form}
        </section>
    }
}

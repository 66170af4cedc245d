//! One option's value as a form control, chosen from Asterisk's option
//! table: a select list for booleans and enumerations, a number within the
//! allowed range, text otherwise; with its help and default.

use crate::model::{OptionField, OptionInput};
use leptos::prelude::*;

/// Asterisk's `ast_true`: the words it reads as yes.
fn is_true(v: &str) -> bool {
    ["yes", "true", "y", "t", "1", "on"].iter().any(|w| w.eq_ignore_ascii_case(v.trim()))
}

/// The control, named `value`. `error` (an element id) is what describes it when the value was refused.
#[component]
pub fn ValueInput(field: OptionField, value: String, id: String, #[prop(default = None)] error: Option<String>) -> impl IntoView {
    let invalid = error.is_some().then_some("true");
    let help = format!("{id}-help");
    let described = match &error {
        Some(e) => format!("{help} {e}"),
        None => help,
    };
    match field.input {
        OptionInput::Bool => {
            let yes = is_true(&value);
            view! {
                <select name="value" id=id aria-describedby=described aria-invalid=invalid>
                    <option value="yes" selected=yes>"yes"</option>
                    <option value="no" selected=!yes>"no"</option>
                </select>
            }
            .into_any()
        }
        OptionInput::Choice { values } => {
            // A value the table does not list (a case variant, an old
            // spelling) stays selectable: it is what the file says.
            let listed = values.iter().any(|v| v.eq_ignore_ascii_case(&value));
            let current = (!listed && !value.is_empty()).then(|| view! { <option value=value.clone() selected=true>{value.clone()}</option> });
            view! {
                <select name="value" id=id aria-describedby=described aria-invalid=invalid>
                    {current}
                    {values.into_iter().map(|v| {
                        let selected = v.eq_ignore_ascii_case(&value);
                        view! { <option value=v.clone() selected=selected>{v.clone()}</option> }
                    }).collect_view()}
                </select>
            }
            .into_any()
        }
        OptionInput::Integer { min, max } => view! {
            <input type="number" name="value" id=id value=value step="1" min=min max=max required=true
                aria-describedby=described aria-invalid=invalid/>
        }
        .into_any(),
        OptionInput::Number => view! {
            <input type="text" inputmode="decimal" name="value" id=id value=value required=true
                aria-describedby=described aria-invalid=invalid/>
        }
        .into_any(),
        OptionInput::Codecs | OptionInput::Text => view! {
            <input type="text" name="value" id=id value=value class="mono" autocomplete="off" spellcheck="false"
                aria-describedby=described aria-invalid=invalid/>
        }
        .into_any(),
    }
}

/// The field's help, its range or its form, and Asterisk's default.
#[component]
pub fn FieldHelp(field: OptionField, id: String) -> impl IntoView {
    let form = match &field.input {
        OptionInput::Integer { min, max } => Some(format!("A whole number from {min} to {max}.")),
        OptionInput::Codecs => Some("Codec names in order of preference, separated by commas (e.g. ulaw,alaw,g722); all for every codec.".to_string()),
        _ => None,
    };
    let default = (!field.default.is_empty()).then(|| format!("Asterisk's default: {}.", field.default));
    view! {
        <p class="help" id=format!("{id}-help")>
            {field.help.clone()}" "{form}" "{default}
        </p>
    }
}

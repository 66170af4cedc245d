//! `/access`: who may log in, and the API tokens third-party frontends use
//! (admins only). Accounts are added, given a role or a new password, and
//! removed; tokens are created and revoked. A generated password or a new
//! token is shown once, in the answer to the form that made it.

use super::access_fns::{
    get_access, AddAccount, CreateApiToken, RemoveAccount, RevokeApiToken, SetAccountPassword, SetAccountRole,
};
use crate::app::widgets::refusal_text as said;
use crate::model::{AccessOverview, Account, ApiToken, Role};
use leptos::form::ActionForm;
use leptos::prelude::*;

fn when(at: &str) -> String {
    at.replace('T', " ").trim_end_matches('Z').to_string()
}

#[component]
pub fn AccessPage() -> impl IntoView {
    let add = ServerAction::<AddAccount>::new();
    let role = ServerAction::<SetAccountRole>::new();
    let password = ServerAction::<SetAccountPassword>::new();
    let remove = ServerAction::<RemoveAccount>::new();
    let create = ServerAction::<CreateApiToken>::new();
    let revoke = ServerAction::<RevokeApiToken>::new();
    // Read again after each change.
    let overview = Resource::new(
        move || (add.version().get(), role.version().get(), password.version().get(), remove.version().get(), create.version().get(), revoke.version().get()),
        |_| get_access(),
    );
    let actions = Actions { role, password, remove, revoke };
    view! {
        <section class="panel">
            <h1>"Accounts and tokens"</h1>
            // A generated secret is in the server function's answer, which a
            // page without scripts never sees: say so before it is lost.
            <noscript>
                <p class="banner banner-warning" data-testid="no-script">
                    "Without JavaScript this page cannot show a generated password or a new token: type each password, "
                    "and create tokens with "<code>"ispbx token create NAME --role viewer"</code>" on the server."
                </p>
            </noscript>
            <Transition fallback=|| view! { <p class="muted">"Loading…"</p> }>
                {move || overview.get().map(|r| match r {
                    Err(e) => view! { <p class="banner banner-error" role="alert" data-testid="access-refused">{said(&e)}</p> }.into_any(),
                    Ok(o) => view! { <Overview o actions/> }.into_any(),
                })}
            </Transition>
            {shown(Signal::derive(move || password.value().get()), "New password")}
            {failed(Signal::derive(move || role.value().get()))}
            {failed(Signal::derive(move || remove.value().get()))}
            {failed(Signal::derive(move || revoke.value().get()))}
            <h2>"Add an account"</h2>
            <ActionForm action=add attr:class="review" attr:data-testid="add-account">
                <label for="new-name">"User name"</label>
                <input type="text" id="new-name" name="name" required=true autocomplete="off" class="mono"/>
                <label for="new-role">"Role"</label>
                <RoleSelect id="new-role" selected=Role::Viewer/>
                <label for="new-password">"Password"</label>
                <input type="password" id="new-password" name="password" autocomplete="new-password" minlength="12"
                    aria-describedby="new-password-help"/>
                <p class="help" id="new-password-help">"At least 12 characters. Leave it empty and a strong one is made and shown once."</p>
                <p class="buttons"><button type="submit" disabled=move || add.pending().get()>"Add the account"</button></p>
            </ActionForm>
            {shown(Signal::derive(move || add.value().get()), "Password")}
            <h2>"Create an API token"</h2>
            <ActionForm action=create attr:class="review" attr:data-testid="create-token">
                <label for="token-name">"Name"</label>
                <input type="text" id="token-name" name="name" required=true autocomplete="off" class="mono" placeholder="crm"/>
                <label for="token-role">"Role"</label>
                <RoleSelect id="token-role" selected=Role::Viewer/>
                <label for="token-days">"Works for"</label>
                <select id="token-days" name="days">
                    <option value="">"until revoked"</option>
                    <option value="30">"30 days"</option>
                    <option value="90" selected=true>"90 days"</option>
                    <option value="365">"a year"</option>
                </select>
                <p class="buttons"><button type="submit" disabled=move || create.pending().get()>"Create the token"</button></p>
            </ActionForm>
            {move || create.value().get().map(|r| match r {
                Ok(token) => view! {
                    <div class="banner banner-ok" role="status" data-testid="new-token">
                        <strong>"Token: "</strong><code class="mono" data-testid="secret">{token}</code>
                        <p>"Shown this once: only its hash is kept. Send it as "<code>"Authorization: Bearer …"</code>"."</p>
                    </div>
                }.into_any(),
                Err(e) => view! { <p class="banner banner-error" role="alert">{said(&e)}</p> }.into_any(),
            })}
        </section>
    }
}

/// The row actions, shared by every row.
#[derive(Clone, Copy)]
struct Actions {
    role: ServerAction<SetAccountRole>,
    password: ServerAction<SetAccountPassword>,
    remove: ServerAction<RemoveAccount>,
    revoke: ServerAction<RevokeApiToken>,
}

#[component]
fn RoleSelect(#[prop(optional)] id: Option<&'static str>, selected: Role) -> impl IntoView {
    view! {
        <select id=id name="role">
            <option value="viewer" selected=selected == Role::Viewer>"viewer: reads everything but secrets"</option>
            <option value="admin" selected=selected == Role::Admin>"admin: also changes the PBX, accounts and tokens"</option>
        </select>
    }
}

/// A generated secret, shown once; or why it was refused.
fn shown(value: Signal<Option<Result<Option<String>, ServerFnError>>>, what: &'static str) -> impl IntoView {
    move || {
        value.get().map(|r| match r {
            Ok(Some(secret)) => view! {
                <div class="banner banner-ok" role="status" data-testid="new-password">
                    <strong>{format!("{what}: ")}</strong><code class="mono" data-testid="secret">{secret}</code>
                    <p>"Shown this once: only its hash is kept."</p>
                </div>
            }
            .into_any(),
            Ok(None) => view! { <p class="banner banner-ok" role="status">"Done."</p> }.into_any(),
            Err(e) => view! { <p class="banner banner-error" role="alert">{said(&e)}</p> }.into_any(),
        })
    }
}

fn failed(value: Signal<Option<Result<(), ServerFnError>>>) -> impl IntoView {
    move || value.get().and_then(Result::err).map(|e| view! { <p class="banner banner-error" role="alert">{said(&e)}</p> })
}

#[component]
fn Overview(o: AccessOverview, actions: Actions) -> impl IntoView {
    let me = o.me.clone();
    view! {
        <h2>"Accounts"</h2>
        <div class="table-wrap">
        <table data-testid="accounts">
            <thead><tr>
                <th scope="col">"Name"</th><th scope="col">"Role"</th><th scope="col">"Since (UTC)"</th><th scope="col">"Change"</th>
            </tr></thead>
            <tbody>
                {o.accounts.into_iter().map(|a| view! { <AccountRow is_me=a.name == me a actions/> }).collect_view()}
            </tbody>
        </table>
        </div>
        <h2>"API tokens"</h2>
        {if o.tokens.is_empty() {
            view! { <p class="muted" data-testid="no-tokens">"No token yet."</p> }.into_any()
        } else {
            view! {
                <div class="table-wrap">
                <table data-testid="tokens">
                    <thead><tr>
                        <th scope="col">"Name"</th><th scope="col">"Role"</th><th scope="col">"Created (UTC)"</th>
                        <th scope="col">"Ends"</th><th scope="col">"Last used"</th><th scope="col">"State"</th><th scope="col"></th>
                    </tr></thead>
                    <tbody>
                        {o.tokens.into_iter().map(|t| view! { <TokenRow t revoke=actions.revoke/> }).collect_view()}
                    </tbody>
                </table>
                </div>
            }.into_any()
        }}
    }
}

#[component]
fn AccountRow(a: Account, is_me: bool, actions: Actions) -> impl IntoView {
    let (for_role, for_password, for_remove) = (a.name.clone(), a.name.clone(), a.name.clone());
    let remove_label = format!("Remove {}", a.name);
    view! {
        <tr data-account=a.name.clone()>
            <td class="mono">{a.name.clone()}{is_me.then_some(" (you)")}</td>
            <td><span class="badge" data-testid="account-role">{a.role.as_str()}</span></td>
            <td class="mono">{when(&a.created)}</td>
            <td>
                <details class="edit">
                    <summary>"Change…"</summary>
                    <ActionForm action=actions.role attr:class="inline">
                        <input type="hidden" name="name" value=for_role.clone()/>
                        <label>"Role " <RoleSelect selected=a.role/></label>
                        <button type="submit">"Set the role"</button>
                    </ActionForm>
                    <ActionForm action=actions.password attr:class="inline">
                        <input type="hidden" name="name" value=for_password.clone()/>
                        <label>"New password " <input type="password" name="password" autocomplete="new-password" minlength="12" placeholder="empty: make one"/></label>
                        <button type="submit">"Set the password"</button>
                    </ActionForm>
                    <ActionForm action=actions.remove attr:class="inline">
                        <input type="hidden" name="name" value=for_remove.clone()/>
                        <button type="submit" class="danger">{remove_label.clone()}</button>
                    </ActionForm>
                </details>
            </td>
        </tr>
    }
}

#[component]
fn TokenRow(t: ApiToken, revoke: ServerAction<RevokeApiToken>) -> impl IntoView {
    let state = match (&t.revoked, t.live) {
        (Some(at), _) => format!("revoked {}", when(at)),
        (None, false) => "expired".to_string(),
        (None, true) => "live".to_string(),
    };
    let form = t.live.then(|| {
        let name = t.name.clone();
        let label = format!("Revoke {name}");
        view! {
            <ActionForm action=revoke attr:class="inline">
                <input type="hidden" name="name" value=name.clone()/>
                <button type="submit" class="danger">{label.clone()}</button>
            </ActionForm>
        }
    });
    view! {
        <tr data-token=t.name.clone()>
            <td class="mono">{t.name.clone()}</td>
            <td><span class="badge">{t.role.as_str()}</span></td>
            <td class="mono">{when(&t.created)}</td>
            <td class="mono">{t.expires.as_deref().map_or("never".to_string(), when)}</td>
            <td class="mono">{t.last_used.as_deref().map_or("never".to_string(), when)}</td>
            <td data-testid="token-state">{state}</td>
            <td>{form}</td>
        </tr>
    }
}

//! `/login`: a plain form posting `username` and `password` to `POST
//! /login` (no JavaScript needed). A failed login says only that it failed.

use crate::routes;
use leptos::prelude::*;
use leptos_router::hooks::use_query_map;

#[component]
pub fn LoginPage() -> impl IntoView {
    let query = use_query_map();
    let failed = move || query.read().get("failed").is_some();
    let next = move || query.read().get("next").unwrap_or_else(|| routes::ROOT.to_string());
    view! {
        <section class="panel login">
            <h1>"Log in"</h1>
            <Show when=failed>
                <p class="field-error" role="alert" data-testid="login-failed">"Wrong user name or password."</p>
            </Show>
            <form method="post" action=routes::LOGIN class="review">
                <input type="hidden" name="next" value=next/>
                <label for="username">"User name"</label>
                <input type="text" id="username" name="username" autocomplete="username" required=true autofocus=true/>
                <label for="password">"Password"</label>
                <input type="password" id="password" name="password" autocomplete="current-password" required=true/>
                <p class="buttons"><button type="submit">"Log in"</button></p>
            </form>
        </section>
    }
}

/// Who is logged in, and the way out; a link in when nobody is.
#[component]
pub fn UserBadge() -> impl IntoView {
    let who = Resource::new(|| (), |_| super::change_fns::whoami());
    view! {
        <Transition fallback=|| ()>
            {move || who.get().map(|w| match w.ok().flatten() {
                Some(i) if i.via == "session" => view! {
                    <span class="user" data-testid="user">
                        <span class="mono">{i.name.clone()}</span>" "<span class="badge" data-testid="role">{i.role.as_str()}</span>
                        {(i.role == crate::model::Role::Admin).then(|| view! { " " <a href=routes::ACCESS data-testid="access-link">"Accounts"</a> })}
                        <form method="post" action=routes::LOGOUT class="inline">
                            <button type="submit" class="secondary">"Log out"</button>
                        </form>
                    </span>
                }.into_any(),
                Some(i) if i.via == "token" => view! { <span class="user muted">{format!("token {}", i.name)}</span> }.into_any(),
                _ => view! { <a href=routes::LOGIN class="user" data-testid="login-link">"Log in"</a> }.into_any(),
            })}
        </Transition>
    }
}

//! `/changes/{id}`: one change, followed while it runs (`/events` says when
//! it enters a phase; without JavaScript the page reloads itself until it is
//! over), then its outcome: what Asterisk was seen to hold, the diff, and
//! the revert.

use super::ResultBadge;
use crate::app::change_fns::{get_change, RevertChange};
use crate::app::live_feed::LiveFeed;
use crate::app::widgets::{ErrorPanel, Refusal};
use crate::model::{AuditKind, ChangeEntry, ChangePhase, ChangeView};
use crate::routes;
use leptos::form::ActionForm;
use leptos::prelude::*;
use leptos_router::components::A;
use leptos_router::hooks::use_params_map;

#[component]
pub fn ChangePage() -> impl IntoView {
    let params = use_params_map();
    let id = Memo::new(move |_| params.read().get(routes::CHANGE_ID).and_then(|i| i.parse::<i64>().ok()));
    move || match id.get() {
        Some(id) => view! { <Change id/> }.into_any(),
        None => view! { <NoSuchChange/> }.into_any(),
    }
}

#[component]
fn NoSuchChange() -> impl IntoView {
    crate::app::widgets::not_found_status();
    view! {
        <section class="panel">
            <h1>"Change not found"</h1>
            <p><A href=routes::CHANGES>"All changes"</A></p>
        </section>
    }
}

#[component]
fn Change(id: i64) -> impl IntoView {
    let feed = LiveFeed::new(move || get_change(id));
    let outcome = feed.outcome();
    let data = feed.data();
    // A created extension's password comes in one answer only: kept from
    // it, whether the page's first load or a poll that overtook it.
    let password = RwSignal::new(None::<String>);
    Effect::new(move |_| {
        let first = feed.first().and_then(Result::ok).flatten();
        if let Some(p) = [first, data.get().flatten()].into_iter().flatten().find_map(|v: ChangeView| v.entry.password) {
            password.set(Some(p));
        }
    });
    view! {
        <p class="crumbs"><A href=routes::CHANGES>"← All changes"</A></p>
        <Transition fallback=|| view! { <p class="muted">"Loading…"</p> }>
            {move || {
                feed.track_first();
                outcome.get().map(|res| match res {
                    Err(e) => view! { <ErrorPanel message=e/> }.into_any(),
                    Ok(()) => view! {
                        {move || match data.get().flatten() {
                            Some(v) => {
                                if v.entry.kind == AuditKind::Access {
                                    return view! { <AccessPanel e=v.entry/> }.into_any();
                                }
                                let shown = password.get().or(v.entry.password.clone());
                                view! { <ChangePanel e=v.entry password=shown may_change=v.writes/> }.into_any()
                            }
                            None => view! { <NoSuchChange/> }.into_any(),
                        }}
                    }.into_any(),
                })
            }}
        </Transition>
    }
}

/// The pipeline's phases, in order, as the page lists them.
const PHASES: [(ChangePhase, &str); 4] = [
    (ChangePhase::Validating, "Validate"),
    (ChangePhase::Writing, "Write the files (with a backup)"),
    (ChangePhase::Reloading, "Reload res_pjsip in Asterisk"),
    (ChangePhase::Verifying, "Verify what Asterisk holds"),
];

fn phase_key(p: ChangePhase) -> &'static str {
    match p {
        ChangePhase::Validating => "validating",
        ChangePhase::Writing => "writing",
        ChangePhase::Reloading => "reloading",
        ChangePhase::Verifying => "verifying",
        ChangePhase::RollingBack => "rolling_back",
        ChangePhase::Done => "done",
    }
}

#[component]
fn Steps(e: ChangeEntry) -> impl IntoView {
    let running = e.result == "pending";
    let rolled = e.steps.iter().any(|s| s.phase == ChangePhase::RollingBack) || e.phase == Some(ChangePhase::RollingBack);
    let mut phases: Vec<(ChangePhase, &str)> = PHASES.to_vec();
    if rolled {
        phases.push((ChangePhase::RollingBack, "Put the previous files back, reload, check"));
    }
    let items = phases
        .into_iter()
        .map(|(phase, label)| {
            let took = e.steps.iter().find(|s| s.phase == phase).map(|s| s.ms);
            let state = if e.phase == Some(phase) {
                "current"
            } else if took.is_some() {
                if !running && phase == ChangePhase::Verifying && e.result != "applied" { "failed" } else { "done" }
            } else if running {
                "waiting"
            } else {
                "skipped"
            };
            let time = took.map(|ms| format!(" — {ms} ms"));
            view! { <li data-phase=phase_key(phase) data-state=state>{label}{time}</li> }
        })
        .collect_view();
    view! { <ol class="steps" data-testid="steps" aria-live="polite">{items}</ol> }
}

/// A login, a logout, or a change to accounts or tokens: who, what, and
/// from where (for logins); nothing was written to the PBX.
#[component]
fn AccessPanel(e: ChangeEntry) -> impl IntoView {
    let from = if e.action.starts_with("login") { "From" } else { "Detail" };
    view! {
        <section class="panel" data-testid="change" data-id=e.id data-kind="access">
            <h1>{format!("Access event #{} ", e.id)}<ResultBadge result=e.result.clone()/></h1>
            <dl class="details">
                <dt>"When"</dt><dd class="mono">{e.at.clone()}</dd>
                <dt>"Who"</dt><dd>{e.actor.clone().unwrap_or_else(|| "—".into())}</dd>
                <dt>"What"</dt><dd>{e.action.clone()}</dd>
                <dt>"Summary"</dt><dd data-testid="lead">{e.summary.clone()}</dd>
                {e.detail.clone().map(|d| view! { <dt>{from}</dt><dd class="mono" data-testid="detail">{d}</dd> })}
            </dl>
        </section>
    }
}

#[component]
fn ChangePanel(e: ChangeEntry, password: Option<String>, may_change: bool) -> impl IntoView {
    let running = e.result == "pending" && e.phase.is_some();
    // Without JavaScript, the page asks again until the change is over;
    // with it, `/events` wakes the page (a script never sees this tag).
    let refresh = running.then(|| view! { <noscript inner_html=r#"<meta http-equiv="refresh" content="1">"#></noscript> });
    let revert = ServerAction::<RevertChange>::new();
    let pending = revert.pending();
    let failed = move || revert.value().get().and_then(Result::err).map(|error| view! { <Refusal error/> });
    let can_revert = may_change && e.result == "applied" && e.version_after.is_some() && !e.diff.is_empty() && e.action != "revert";
    let revert_form = can_revert.then(|| {
        view! {
            <ActionForm action=revert attr:class="apply">
                <input type="hidden" name="id" value=e.id/>
                <button type="submit" class="secondary" disabled=move || pending.get() data-testid="revert">
                    {move || if pending.get() { "Reverting…" } else { "Revert this change" }}
                </button>
                " Puts back the files as they were before it, through the same checks."
            </ActionForm>
            {failed}
        }
    });
    let secret = password.map(|p| {
        view! {
            <div class="banner banner-ok" role="status" data-testid="password">
                <strong>{format!("Password of {}: ", e.endpoint)}</strong><code class="mono">{p}</code>
                <p>"Shown this once: it is not kept anywhere ISPBX can show it again. Give it to the phone now."</p>
            </div>
        }
    });
    let checks = e.verification.clone().map(|v| {
        let lost = (!v.lost.is_empty()).then(|| view! { <p class="banner banner-error">{format!("Disappeared from Asterisk: {}", v.lost.join(", "))}</p> });
        view! {
            <h2>"What Asterisk holds"</h2>
            {lost}
            <div class="table-wrap">
            <table data-testid="verification">
                <thead><tr><th scope="col">"Object"</th><th scope="col">"Option"</th><th scope="col">"Written"</th><th scope="col">"Asterisk"</th><th scope="col">""</th></tr></thead>
                <tbody>
                    {v.checks.into_iter().map(|c| view! {
                        <tr data-ok=if c.ok { "true" } else { "false" }>
                            <td class="mono">{format!("{} {}", c.kind, c.id)}</td>
                            <td class="mono">{c.option.clone().unwrap_or_else(|| "(loaded)".into())}</td>
                            <td class="mono">{c.expected.clone()}</td>
                            <td class="mono">{c.found.clone()}</td>
                            <td>{if c.ok { "✓" } else { "✗" }}</td>
                        </tr>
                    }).collect_view()}
                </tbody>
            </table>
            </div>
        }
    });
    let written = if e.result == "rolled_back" { "Written, then put back" } else { "Written" };
    let diff = (!e.diff.is_empty()).then(|| view! { <h2>{written}</h2><pre class="diff" data-testid="diff">{e.diff.clone()}</pre> });
    let lead = match e.result.as_str() {
        "pending" if running => "Running: each step shows as it ends.",
        "pending" => "Recorded as pending, and no longer running: the server that ran it stopped before it ended. Look at the files and at Asterisk.",
        "applied" => "Applied: written, reloaded, and Asterisk holds what was written.",
        "refused" => "Refused: nothing was written.",
        "rolled_back" => "Asterisk did not take it: the previous files were put back and reloaded, and Asterisk holds what it held before.",
        _ => "Failed: see why below, and look at the files and at Asterisk.",
    };
    let steps = view! { <Steps e=e.clone()/> };
    let (href, endpoint) = (routes::endpoint_href(&e.endpoint), e.endpoint.clone());
    view! {
        {refresh}
        <section class="panel" data-testid="change" data-id=e.id>
            <h1>{format!("Change #{} ", e.id)}<ResultBadge result=e.result.clone()/></h1>
            <p data-testid="lead">{lead}</p>
            {secret}
            <dl class="details">
                <dt>"Asked"</dt><dd class="mono">{e.at.clone()}</dd>
                <dt>"What"</dt><dd>{e.action.clone()}</dd>
                <dt>"Extension"</dt><dd><A href=href>{endpoint}</A></dd>
                <dt>"Changes"</dt><dd class="mono">{e.summary.clone()}</dd>
                {e.detail.clone().map(|d| view! { <dt>"Why"</dt><dd data-testid="detail">{d}</dd> })}
            </dl>
            {steps}
            {revert_form}
        </section>
        <section class="panel">
            {checks}
            {diff}
        </section>
    }
}


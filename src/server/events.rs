//! `GET /events`: the change feed as server-sent events. A client gets a
//! `snapshot` (the `/endpoints` list) or, reconnecting with `Last-Event-ID`,
//! the changes it missed; then one `endpoint` event per changed row and a
//! `removed` event per endpoint gone, each with its id. A client too slow
//! for the feed is sent a new snapshot rather than slowing anyone else.
//! When the server stops, each stream ends with a `shutdown` event.

use super::app_state::AppState;
use crate::model::EndpointListResponse;
use crate::pbx::feed::{Change, Numbered, Start};
use crate::routes;
use axum::extract::State;
use axum::http::HeaderMap;
use axum::response::sse::{Event, KeepAlive, Sse};
use futures::stream::{self, Stream, StreamExt};
use std::convert::Infallible;
use std::time::Duration;
use tokio::sync::broadcast::error::RecvError;

/// Proxies close connections idle for a minute or so.
const HEARTBEAT: Duration = Duration::from_secs(15);

fn event_of((id, change): &Numbered) -> Event {
    let event = Event::default().id(id.to_string());
    match &**change {
        Change::Endpoint(row) => event.event("endpoint").json_data(row),
        Change::Removed(name) => event.event("removed").json_data(serde_json::json!({ "objectname": name })),
        Change::Status(ami, config) => event.event("status").json_data(serde_json::json!({ "ami": ami, "config": config })),
        Change::Progress(p) => event.event("change").json_data(p),
    }
    // Serialising a model type to JSON cannot fail.
    .unwrap_or_else(|_| Event::default().comment("unserialisable change"))
}

fn snapshot_event(id: u64, list: &EndpointListResponse) -> Event {
    Event::default().id(id.to_string()).event("snapshot").json_data(list).unwrap_or_else(|_| Event::default().comment("unserialisable snapshot"))
}

/// Live changes of every endpoint.
#[utoipa::path(get, path = routes::EVENTS, tag = "api",
    params(("Last-Event-ID" = Option<u64>, Header, description = "The id of the last event received: the changes after it are sent first, or a snapshot when they are no longer kept")),
    responses((status = 200, description = "`text/event-stream`: `snapshot` (data: the `/endpoints` answer), then `endpoint` (data: one row of `/endpoints`) and `removed` (data: `{\"objectname\": …}`) and `status` (data: `{\"ami\": …, \"config\": …}`, as in `/endpoints`) and `change` (data: `{\"id\": …, \"endpoint\": …, \"phase\": …}`: a change to the PBX entered a phase, `done` last) events, each with an `id`; `shutdown` when the server stops; a comment every 15 s keeps proxies from closing it", content_type = "text/event-stream")))]
pub async fn events(State(state): State<AppState>, headers: HeaderMap) -> Sse<impl Stream<Item = Result<Event, Infallible>>> {
    let asked = headers.get("last-event-id").and_then(|v| v.to_str().ok()).and_then(|s| s.trim().parse::<u64>().ok());
    let (start, rx) = state.feed.subscribe(asked);
    let (first, sent) = match start {
        Start::Replay(changes) => {
            let sent = changes.last().map_or(asked.unwrap_or(0), |(id, _)| *id);
            (changes.iter().map(event_of).collect::<Vec<_>>(), sent)
        }
        Start::Snapshot(id, list) => (vec![snapshot_event(id, &list)], id),
    };
    let feed = state.feed.clone();
    let stopping = state.stopping.clone();
    let live = stream::unfold((rx, sent, false), move |(mut rx, mut sent, ended)| {
        let (feed, stopping) = (feed.clone(), stopping.clone());
        async move {
            if ended {
                return None;
            }
            let shutdown = || Event::default().event("shutdown").data("{\"reason\":\"the server is stopping\"}");
            loop {
                // Stopping first: the feed may end with the server, and a
                // stream must still say why it ends.
                let next = tokio::select! {
                    biased;
                    () = stopping.cancelled() => return Some((Ok(shutdown()), (rx, sent, true))),
                    next = rx.recv() => next,
                };
                match next {
                    Ok(numbered) if numbered.0 <= sent => continue,
                    Ok(numbered) => {
                        sent = numbered.0;
                        return Some((Ok(event_of(&numbered)), (rx, sent, false)));
                    }
                    Err(RecvError::Lagged(_)) => {
                        let (id, list) = feed.snapshot();
                        sent = id;
                        return Some((Ok(snapshot_event(id, &list)), (rx, sent, false)));
                    }
                    Err(RecvError::Closed) if stopping.is_cancelled() => return Some((Ok(shutdown()), (rx, sent, true))),
                    Err(RecvError::Closed) => return None,
                }
            }
        }
    });
    Sse::new(stream::iter(first.into_iter().map(Ok)).chain(live)).keep_alive(KeepAlive::new().interval(HEARTBEAT))
}

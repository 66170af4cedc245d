//! The task behind a logged-in client: it writes actions, routes answers to
//! their callers by ActionID, and forwards the events nobody asked for. When
//! the connection ends, the reason reaches every waiting caller and, after
//! the last buffered event, whoever reads [`Events`].

use super::codec::{AmiCodec, Frame, Outgoing};
use super::message::{Action, Message};
use super::AmiError;
use futures::{SinkExt, StreamExt};
use std::collections::HashMap;
use tokio::io::{AsyncRead, AsyncWrite};
use tokio::sync::{mpsc, oneshot};
use tokio_util::codec::Framed;

/// The answer to an action: its response and, for an event list, its items.
#[derive(Clone, Debug, Default)]
pub(super) struct Reply {
    pub response: Message,
    pub events: Vec<Message>,
}

pub(super) enum Command {
    Send { action: Action, id: String, list: bool, reply: oneshot::Sender<Result<Reply, AmiError>> },
    /// The caller gave up waiting (timeout): a late answer has nobody to go to.
    Cancel(String),
}

struct Pending {
    list: bool,
    reply: Reply,
    tx: oneshot::Sender<Result<Reply, AmiError>>,
}

/// The unsolicited events of one connection, then the reason it ended.
#[derive(Debug)]
pub struct Events {
    rx: mpsc::Receiver<Message>,
    closed: oneshot::Receiver<AmiError>,
    reason: Option<AmiError>,
}

impl Events {
    /// The next event. Once the connection has ended and its buffered events
    /// are read, the reason it ended (`LineTooLong`, `Io`, `Closed`…), on
    /// this call and every later one. Cancel-safe, for `select!`.
    pub async fn recv(&mut self) -> Result<Message, AmiError> {
        match self.rx.recv().await {
            Some(m) => Ok(m),
            None => Err(self.reason()),
        }
    }

    fn reason(&mut self) -> AmiError {
        // The task sends the reason before it drops the event sender, so it
        // is there by now; without it, the task died without one (a panic,
        // or the runtime shutting down).
        let reason = match self.reason.take() {
            Some(r) => r,
            None => self.closed.try_recv().unwrap_or(AmiError::Closed),
        };
        self.reason = Some(reason.clone());
        reason
    }
}

/// Channels between a client and its connection task.
pub(super) fn channels() -> (mpsc::Sender<Command>, Ends, Events) {
    let (commands_tx, commands) = mpsc::channel(256);
    let (events_tx, rx) = mpsc::channel(16 * 1024);
    let (closed_tx, closed) = oneshot::channel();
    (
        commands_tx,
        Ends { commands, events: events_tx, closed: closed_tx },
        Events { rx, closed, reason: None },
    )
}

/// The task's side of [`channels`].
pub(super) struct Ends {
    commands: mpsc::Receiver<Command>,
    events: mpsc::Sender<Message>,
    closed: oneshot::Sender<AmiError>,
}

/// The connection task. Ends when Asterisk or the stream does, on a frame
/// the codec refuses, or when every client handle is gone.
pub(super) async fn run<S>(mut conn: Framed<S, AmiCodec>, ends: Ends)
where
    S: AsyncRead + AsyncWrite + Unpin,
{
    let Ends { mut commands, events, closed } = ends;
    let mut pending: HashMap<String, Pending> = HashMap::new();
    let reason = loop {
        tokio::select! {
            cmd = commands.recv() => match cmd {
                None => break AmiError::Closed,
                Some(Command::Cancel(id)) => { pending.remove(&id); }
                Some(Command::Send { action, id, list, reply }) => {
                    if let Err(e) = conn.send(Outgoing { action: &action, action_id: Some(&id) }).await {
                        let _ = reply.send(Err(e.clone()));
                        break e;
                    }
                    pending.insert(id, Pending { list, reply: Reply::default(), tx: reply });
                }
            },
            frame = conn.next() => match frame {
                None => break AmiError::Closed,
                Some(Err(e)) => break e,
                Some(Ok(Frame::Banner(_))) => {}
                Some(Ok(Frame::Message(m))) => route(m, &mut pending, &events).await,
            },
        }
    };
    // The socket closes now, not when the last event has been read: a peer
    // that sent garbage is not kept waiting on a slow reader.
    drop(conn);
    commands.close();
    for (_, p) in pending.drain() {
        let _ = p.tx.send(Err(reason.clone()));
    }
    while let Ok(cmd) = commands.try_recv() {
        if let Command::Send { reply, .. } = cmd {
            let _ = reply.send(Err(reason.clone()));
        }
    }
    // Before the event sender goes: `Events` looks for the reason once the
    // stream is empty and closed.
    let _ = closed.send(reason);
    drop(events);
}

async fn route(m: Message, pending: &mut HashMap<String, Pending>, events: &mpsc::Sender<Message>) {
    let id = m.action_id().map(str::to_string);
    let Some((id, p)) = id.and_then(|id| pending.get_mut(&id).map(|p| (id, p))) else {
        if m.event().is_some() {
            let _ = events.send(m).await;
        }
        return;
    };
    let done = if m.response().is_some() {
        let starts_list = m.get("EventList").is_some_and(|v| v.eq_ignore_ascii_case("start"));
        p.reply.response = m;
        !(p.list && starts_list)
    } else if m.get("EventList").is_some_and(|v| v.eq_ignore_ascii_case("Complete")) {
        true
    } else {
        p.reply.events.push(m);
        false
    };
    if done {
        if let Some(p) = pending.remove(&id) {
            let _ = p.tx.send(Ok(p.reply));
        }
    }
}

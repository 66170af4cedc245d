//! One AMI connection: the banner, Login (plain, or with the key of an MD5
//! Challenge), then each action answered in order and, unless the Login said
//! `Events: off`, every event the PBX emits.

use super::actions::response;
use super::{fxhash, msg, Simulator};
use crate::ami::codec::{AmiCodec, Frame};
use crate::ami::Message;
use futures::{SinkExt, StreamExt};
use std::sync::Arc;
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::broadcast;
use tokio_util::codec::Framed;
use tokio_util::sync::CancellationToken;

pub const BANNER: &str = "Asterisk Call Manager/11.0.0";

impl Simulator {
    /// Serves AMI on `listener` until `shutdown` is cancelled, which closes
    /// the listener and every session at once, as a stopping Asterisk does.
    pub async fn serve(self: Arc<Self>, listener: TcpListener, shutdown: CancellationToken) {
        loop {
            let stream = tokio::select! {
                _ = shutdown.cancelled() => return,
                accepted = listener.accept() => match accepted {
                    Ok((stream, _)) => stream,
                    Err(_) => continue,
                },
            };
            let sim = self.clone();
            let shutdown = shutdown.clone();
            tokio::spawn(async move {
                tokio::select! {
                    _ = shutdown.cancelled() => {}
                    _ = sim.session(stream) => {}
                }
            });
        }
    }

    async fn session(&self, stream: TcpStream) -> Result<(), crate::ami::AmiError> {
        let _ = stream.set_nodelay(true);
        let mut conn = Framed::new(stream, AmiCodec::server());
        conn.send(Frame::Banner(BANNER.into())).await?;
        let mut events: Option<broadcast::Receiver<Message>> = None;
        let mut logged_in = false;
        let mut challenge: Option<String> = None;
        loop {
            let frame = match &mut events {
                Some(rx) => tokio::select! {
                    f = conn.next() => f,
                    ev = rx.recv() => {
                        if let Ok(ev) = ev { conn.send(Frame::Message(ev)).await?; }
                        continue;
                    }
                },
                None => conn.next().await,
            };
            let Some(frame) = frame else { return Ok(()) };
            let Frame::Message(req) = frame? else { continue };
            let action = req.get("Action").unwrap_or("").to_string();
            let id = req.action_id().map(str::to_string);
            let reply = |pairs: &[(&str, &str)]| response(id.as_deref(), pairs);
            if action.eq_ignore_ascii_case("Challenge") {
                if !req.get("AuthType").is_some_and(|t| t.eq_ignore_ascii_case("md5")) {
                    conn.send(Frame::Message(reply(&[("Response", "Error"), ("Message", "Must specify AuthType")]))).await?;
                    continue;
                }
                // manager.c: a random number, kept for this session's Login.
                let nonce = format!("{}", fxhash(&format!("{:?}{}", std::time::Instant::now(), self.actions_received())) % 1_000_000_000);
                conn.send(Frame::Message(reply(&[("Response", "Success"), ("Challenge", &nonce)]))).await?;
                challenge = Some(nonce);
                continue;
            }
            if action.eq_ignore_ascii_case("Login") {
                let user = req.get("Username").unwrap_or("");
                let md5 = req.get("AuthType").is_some_and(|t| t.eq_ignore_ascii_case("md5"));
                let ok = self.users.iter().any(|(u, s)| {
                    u == user
                        && match (&challenge, md5) {
                            (Some(nonce), true) => req.get("Key") == Some(crate::ami::client::md5_key(nonce, s).as_str()),
                            (None, true) => false,
                            (_, false) => req.get("Secret") == Some(s.as_str()),
                        }
                });
                if !ok {
                    tokio::time::sleep(self.login_failure_delay).await;
                    conn.send(Frame::Message(reply(&[("Response", "Error"), ("Message", "Authentication failed")]))).await?;
                    return Ok(());
                }
                logged_in = true;
                conn.send(Frame::Message(reply(&[("Response", "Success"), ("Message", "Authentication accepted")]))).await?;
                if !req.get("Events").is_some_and(|v| v.eq_ignore_ascii_case("off")) {
                    events = Some(self.events.subscribe());
                }
                // Only once booted (manager.c); a session that logs in while
                // it boots hears it when the boot ends (set_booted).
                if events.is_some() && self.booted() {
                    conn.send(Frame::Message(msg(&[("Event", "FullyBooted"), ("Privilege", "system,all"), ("Uptime", "1"), ("LastReload", "1"), ("Status", "Fully Booted")]))).await?;
                }
                continue;
            }
            if !logged_in {
                conn.send(Frame::Message(reply(&[("Response", "Error"), ("Message", "Permission denied")]))).await?;
                continue;
            }
            for m in self.respond(&req) {
                conn.send(Frame::Message(m)).await?;
            }
            if action.eq_ignore_ascii_case("Logoff") {
                return Ok(());
            }
        }
    }
}

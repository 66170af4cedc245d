//! One AMI connection: login, then any number of concurrent actions matched
//! to their answers by ActionID, and a stream of the events nobody asked for.

use super::codec::{AmiCodec, Frame, Outgoing};
use super::message::{Action, Message};
use super::AmiError;
use futures::{SinkExt, StreamExt};
use std::collections::HashMap;
use std::fmt;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::Duration;
use tokio::net::TcpStream;
use tokio::sync::{mpsc, oneshot};
use tokio_util::codec::Framed;

/// AMI user and secret. The secret never appears in `Debug` output.
#[derive(Clone)]
pub struct Credentials {
    pub username: String,
    secret: String,
}

impl Credentials {
    pub fn new(username: impl Into<String>, secret: impl Into<String>) -> Self {
        Credentials { username: username.into(), secret: secret.into() }
    }
}

impl fmt::Debug for Credentials {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Credentials")
            .field("username", &self.username)
            .field("secret", &super::message::REDACTED)
            .finish()
    }
}

/// How the secret is proven at login.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum LoginAuth {
    /// `Secret:` in the Login action, as most clients do.
    #[default]
    Plain,
    /// `Action: Challenge` first, then `Key: md5(challenge + secret)`: the
    /// secret itself never crosses the wire.
    Md5,
}

/// `md5(challenge + secret)` in lowercase hex, as manager.c computes it.
pub fn md5_key(challenge: &str, secret: &str) -> String {
    use md5::{Digest, Md5};
    let digest = Md5::new().chain_update(challenge.as_bytes()).chain_update(secret.as_bytes()).finalize();
    digest.iter().map(|b| format!("{b:02x}")).collect()
}

#[derive(Clone, Debug)]
pub struct ClientOptions {
    pub addr: String,
    pub credentials: Credentials,
    pub auth: LoginAuth,
    pub connect_timeout: Duration,
    pub action_timeout: Duration,
    /// Login with `Events: on` (the state store needs them).
    pub events: bool,
}

impl ClientOptions {
    pub fn new(addr: impl Into<String>, credentials: Credentials) -> Self {
        ClientOptions {
            addr: addr.into(),
            credentials,
            auth: LoginAuth::Plain,
            connect_timeout: Duration::from_secs(5),
            action_timeout: Duration::from_secs(10),
            events: true,
        }
    }
}

/// The answer to an action: its response and, for an event list, its items.
#[derive(Clone, Debug, Default)]
pub struct Reply {
    pub response: Message,
    pub events: Vec<Message>,
}

enum Command {
    Send { action: Action, id: String, list: bool, reply: oneshot::Sender<Result<Reply, AmiError>> },
    Cancel(String),
}

struct Pending {
    list: bool,
    reply: Reply,
    tx: oneshot::Sender<Result<Reply, AmiError>>,
}

/// A logged-in connection. Cheap to clone; every clone shares the socket.
#[derive(Clone)]
pub struct AmiClient {
    tx: mpsc::Sender<Command>,
    next_id: Arc<AtomicU64>,
    timeout: Duration,
    pub banner: Arc<str>,
}

impl fmt::Debug for AmiClient {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("AmiClient").field("banner", &self.banner).finish()
    }
}

type Conn = Framed<TcpStream, AmiCodec>;

async fn next_message(conn: &mut Conn) -> Result<Message, AmiError> {
    loop {
        match conn.next().await {
            Some(Ok(Frame::Message(m))) => return Ok(m),
            Some(Ok(Frame::Banner(_))) => continue,
            Some(Err(e)) => return Err(e),
            None => return Err(AmiError::Closed),
        }
    }
}

/// The response to a login-phase action; events before it are dropped.
async fn login_answer(conn: &mut Conn, id: &str) -> Result<Message, AmiError> {
    loop {
        let m = next_message(conn).await.map_err(|e| match e {
            // Asterisk closes the socket right after a refused login.
            AmiError::Closed => AmiError::LoginRefused("connection closed during login".into()),
            e => e,
        })?;
        if m.response().is_some() && m.action_id() == Some(id) {
            return Ok(m);
        }
    }
}

impl AmiClient {
    /// Connects, reads the banner and logs in. Returns the client and the
    /// stream of unsolicited events; the stream ends when the connection does.
    pub async fn connect(opts: &ClientOptions) -> Result<(AmiClient, mpsc::Receiver<Message>), AmiError> {
        let connect = TcpStream::connect(&opts.addr);
        let stream = match tokio::time::timeout(opts.connect_timeout, connect).await {
            Err(_) => return Err(AmiError::Timeout(opts.connect_timeout)),
            Ok(Err(e)) => return Err(AmiError::Connect { addr: opts.addr.clone(), reason: e.to_string() }),
            Ok(Ok(s)) => s,
        };
        let _ = stream.set_nodelay(true);
        let mut conn = Framed::new(stream, AmiCodec::default());
        let login = async {
            let banner = match conn.next().await {
                Some(Ok(Frame::Banner(b))) if b.starts_with("Asterisk Call Manager/") => b,
                Some(Ok(Frame::Banner(b))) => return Err(AmiError::Banner(b)),
                Some(Ok(Frame::Message(m))) => return Err(AmiError::Banner(format!("{:?}", m.headers.first()))),
                Some(Err(e)) => return Err(e),
                None => return Err(AmiError::Closed),
            };
            let login = Action::new("Login").header("Username", opts.credentials.username.clone());
            let login = match opts.auth {
                LoginAuth::Plain => login.header("Secret", opts.credentials.secret.clone()),
                LoginAuth::Md5 => {
                    let challenge = Action::new("Challenge").header("AuthType", "MD5");
                    conn.send(Outgoing { action: &challenge, action_id: Some("ispbx-challenge") }).await?;
                    let answer = login_answer(&mut conn, "ispbx-challenge").await?;
                    let Some(nonce) = answer.get("Challenge").filter(|_| answer.is_success()) else {
                        return Err(AmiError::LoginRefused(format!("no MD5 challenge: {}", answer.message_text())));
                    };
                    login.header("AuthType", "MD5").header("Key", md5_key(nonce, &opts.credentials.secret))
                }
            };
            let login = login.header("Events", if opts.events { "on" } else { "off" });
            conn.send(Outgoing { action: &login, action_id: Some("ispbx-login") }).await?;
            let m = login_answer(&mut conn, "ispbx-login").await?;
            if m.is_success() {
                return Ok(banner);
            }
            Err(AmiError::LoginRefused(m.message_text().to_string()))
        };
        // Asterisk waits ~1 s before refusing a bad secret: allow for it.
        let banner = tokio::time::timeout(opts.connect_timeout + Duration::from_secs(2), login)
            .await
            .map_err(|_| AmiError::Timeout(opts.connect_timeout))??;

        let (tx, rx) = mpsc::channel(256);
        let (events_tx, events_rx) = mpsc::channel(16 * 1024);
        tokio::spawn(run(conn, rx, events_tx));
        Ok((
            AmiClient {
                tx,
                next_id: Arc::new(AtomicU64::new(1)),
                timeout: opts.action_timeout,
                banner: Arc::from(banner),
            },
            events_rx,
        ))
    }

    async fn call(&self, action: Action, list: bool) -> Result<Reply, AmiError> {
        action.validate()?;
        let id = format!("ispbx-{}", self.next_id.fetch_add(1, Ordering::Relaxed));
        let (reply, rx) = oneshot::channel();
        self.tx
            .send(Command::Send { action, id: id.clone(), list, reply })
            .await
            .map_err(|_| AmiError::Closed)?;
        match tokio::time::timeout(self.timeout, rx).await {
            Ok(Ok(r)) => r,
            Ok(Err(_)) => Err(AmiError::Closed),
            Err(_) => {
                let _ = self.tx.send(Command::Cancel(id)).await;
                Err(AmiError::Timeout(self.timeout))
            }
        }
    }

    /// An action with a single response. `Response: Error` is returned as a message, not an error.
    pub async fn action(&self, action: Action) -> Result<Message, AmiError> {
        Ok(self.call(action, false).await?.response)
    }

    /// An event-list action: its items, without the `…Complete` event.
    /// res_pjsip's "No … found" error is an empty list.
    pub async fn list(&self, action: Action) -> Result<Vec<Message>, AmiError> {
        let reply = self.call(action, true).await?;
        if reply.response.is_success() {
            Ok(reply.events)
        } else if reply.response.is_empty_list_error() {
            Ok(Vec::new())
        } else {
            Err(AmiError::Action(reply.response.message_text().trim().to_string()))
        }
    }

    /// A CLI command: its output, one string per line.
    pub async fn command(&self, command: &str) -> Result<Vec<String>, AmiError> {
        let m = self.action(Action::new("Command").header("Command", command)).await?;
        if !m.is_success() {
            return Err(AmiError::Action(m.message_text().trim().to_string()));
        }
        Ok(m.get_all("Output").map(str::to_string).collect())
    }
}

/// The connection task: writes actions, routes answers by ActionID, forwards events.
async fn run(mut conn: Conn, mut commands: mpsc::Receiver<Command>, events: mpsc::Sender<Message>) {
    let mut pending: HashMap<String, Pending> = HashMap::new();
    let outcome = loop {
        tokio::select! {
            cmd = commands.recv() => match cmd {
                None => break Ok(()),
                Some(Command::Cancel(id)) => { pending.remove(&id); }
                Some(Command::Send { action, id, list, reply }) => {
                    if let Err(e) = conn.send(Outgoing { action: &action, action_id: Some(&id) }).await {
                        let _ = reply.send(Err(e.clone()));
                        break Err(e);
                    }
                    pending.insert(id, Pending { list, reply: Reply::default(), tx: reply });
                }
            },
            frame = conn.next() => match frame {
                None => break Err(AmiError::Closed),
                Some(Err(e)) => break Err(e),
                Some(Ok(Frame::Banner(_))) => {}
                Some(Ok(Frame::Message(m))) => route(m, &mut pending, &events).await,
            },
        }
    };
    let err = outcome.err().unwrap_or(AmiError::Closed);
    for (_, p) in pending.drain() {
        let _ = p.tx.send(Err(err.clone()));
    }
}

async fn route(m: Message, pending: &mut HashMap<String, Pending>, events: &mpsc::Sender<Message>) {
    let id = m.action_id().map(str::to_string);
    let Some(id) = id.filter(|id| pending.contains_key(id)) else {
        if m.event().is_some() {
            let _ = events.send(m).await;
        }
        return;
    };
    let done = {
        let p = pending.get_mut(&id).expect("checked above");
        if m.response().is_some() {
            let starts_list = m.get("EventList").is_some_and(|v| v.eq_ignore_ascii_case("start"));
            p.reply.response = m;
            !(p.list && starts_list)
        } else if m.get("EventList").is_some_and(|v| v.eq_ignore_ascii_case("Complete")) {
            true
        } else {
            p.reply.events.push(m);
            false
        }
    };
    if done {
        if let Some(p) = pending.remove(&id) {
            let _ = p.tx.send(Ok(p.reply));
        }
    }
}

//! Keeps one AMI connection up and the PBX state current: connect, resync,
//! follow events, resync again on Reload and periodically, reconnect with
//! exponential backoff and jitter.

use super::client::{AmiClient, ClientOptions};
use super::message::Action;
use super::state::{Applied, PbxState};
use super::types::{items_of, ContactList, ContactStatusDetail, CoreShowChannel, EndpointList};
use super::AmiError;
use std::time::{Duration, SystemTime};

#[derive(Clone, Debug)]
pub struct SupervisorOptions {
    pub client: ClientOptions,
    /// Safety net: a full resync this often even if events were all seen.
    pub resync_every: Duration,
    pub backoff_min: Duration,
    pub backoff_max: Duration,
    /// Coalesces bursts of events into one published state.
    pub publish_every: Duration,
}

impl SupervisorOptions {
    pub fn new(client: ClientOptions) -> Self {
        SupervisorOptions {
            client,
            resync_every: Duration::from_secs(300),
            backoff_min: Duration::from_millis(500),
            backoff_max: Duration::from_secs(30),
            publish_every: Duration::from_millis(100),
        }
    }
}

#[derive(Clone, Debug, PartialEq)]
pub enum Update {
    Connected(PbxState),
    Disconnected(String),
}

/// One full resync: three actions, whatever the number of endpoints.
pub async fn resync(client: &AmiClient) -> Result<PbxState, AmiError> {
    let (eps, contacts, channels) = tokio::try_join!(
        client.list(Action::new("PJSIPShowEndpoints")),
        client.list(Action::new("PJSIPShowContacts")),
        client.list(Action::new("CoreShowChannels")),
    )?;
    let eps = items_of(&eps, "EndpointList", EndpointList::from_message);
    let contacts = items_of(&contacts, "ContactList", ContactList::from_message);
    let channels = items_of(&channels, "CoreShowChannel", CoreShowChannel::from_message);
    Ok(PbxState::from_lists(&eps, &contacts, &channels))
}

/// A delay in [d/2, d), so that many clients do not reconnect in step.
fn jittered(d: Duration) -> Duration {
    let nanos = SystemTime::now().duration_since(SystemTime::UNIX_EPOCH).map_or(0, |t| t.subsec_nanos());
    let frac = (nanos % 1000) as f64 / 1000.0;
    d.mul_f64(0.5 + frac / 2.0)
}

/// Runs forever; `publish` sees every new state and every disconnection.
pub async fn run(opts: SupervisorOptions, publish: impl Fn(Update) + Send + 'static) {
    let mut backoff = opts.backoff_min;
    loop {
        match session(&opts, &publish, &mut backoff).await {
            Ok(()) => {}
            Err(e) => {
                tracing::warn!(addr = %opts.client.addr, "AMI: {e}");
                publish(Update::Disconnected(match &e {
                    AmiError::LoginRefused(_) => format!("{e}. Check ISPBX_AMI_USERNAME and the secret."),
                    _ => e.to_string(),
                }));
            }
        }
        tokio::time::sleep(jittered(backoff)).await;
        backoff = (backoff * 2).min(opts.backoff_max);
    }
}

/// One connection's life. A session that got as far as a resync resets the backoff.
async fn session(opts: &SupervisorOptions, publish: &impl Fn(Update), backoff: &mut Duration) -> Result<(), AmiError> {
    let (client, mut events) = AmiClient::connect(&opts.client).await?;
    tracing::info!(addr = %opts.client.addr, banner = %client.banner, "AMI connected");
    let mut state = resync(&client).await?;
    *backoff = opts.backoff_min;
    publish(Update::Connected(state.clone()));
    let mut resync_tick = tokio::time::interval(opts.resync_every);
    resync_tick.tick().await;
    let mut publish_tick = tokio::time::interval(opts.publish_every);
    let mut dirty = false;
    loop {
        tokio::select! {
            ev = events.recv() => {
                let Some(ev) = ev else { return Err(AmiError::Closed) };
                match state.apply(&ev) {
                    Applied::Changed => dirty = true,
                    Applied::Unchanged => {}
                    Applied::Refresh(name) => {
                        let action = Action::new("PJSIPShowEndpoint").header("Endpoint", name.clone());
                        match client.list(action).await {
                            Ok(items) => {
                                let details = items_of(&items, "ContactStatusDetail", ContactStatusDetail::from_message);
                                state.merge_details(&name, &details);
                            }
                            Err(AmiError::Action(why)) => tracing::debug!(endpoint = %name, "PJSIPShowEndpoint: {why}"),
                            Err(e) => return Err(e),
                        }
                        dirty = true;
                    }
                    Applied::ResyncNeeded => {
                        state = resync(&client).await?;
                        dirty = true;
                    }
                }
            }
            _ = publish_tick.tick(), if dirty => {
                publish(Update::Connected(state.clone()));
                dirty = false;
            }
            _ = resync_tick.tick() => {
                let fresh = resync(&client).await?;
                if fresh != state {
                    state = fresh;
                    dirty = true;
                }
            }
        }
    }
}

//! Live data for a page: the first value is rendered on the server; in the
//! browser it is then re-fetched every [`POLL`], backing off to [`MAX_BACKOFF`]
//! while the server cannot be reached.
//!
//! Pages only read [`LiveFeed::current`] and [`LiveFeed::retry_in`], so server
//! push can replace the polling loop without touching them.

use leptos::prelude::*;
use serde::{de::DeserializeOwned, Serialize};
use std::future::Future;
use std::time::Duration;

pub const POLL: Duration = Duration::from_secs(5);
pub const MAX_BACKOFF: Duration = Duration::from_secs(60);

/// The wait after `failures` failed fetches in a row: 5 s doubled each time, at most 60 s.
pub fn backoff(failures: u32) -> Duration {
    if failures == 0 {
        return POLL;
    }
    let secs = POLL.as_secs().saturating_mul(1u64 << failures.min(6));
    Duration::from_secs(secs.min(MAX_BACKOFF.as_secs()))
}

pub struct LiveFeed<T: Send + Sync + 'static> {
    initial: Resource<Result<T, String>>,
    latest: RwSignal<Option<Result<T, String>>>,
    /// Seconds until the next try, while the server is unreachable.
    pub retry_in: RwSignal<Option<u64>>,
}

// Signals are Copy whatever they hold; a derive would demand `T: Copy`.
impl<T: Send + Sync + 'static> Clone for LiveFeed<T> {
    fn clone(&self) -> Self {
        *self
    }
}
impl<T: Send + Sync + 'static> Copy for LiveFeed<T> {}

impl<T> LiveFeed<T>
where
    T: Clone + Send + Sync + Serialize + DeserializeOwned + 'static,
{
    pub fn new<Fut>(fetch: impl Fn() -> Fut + Clone + Send + Sync + 'static) -> Self
    where
        Fut: Future<Output = Result<T, ServerFnError>> + Send + 'static,
    {
        let first = fetch.clone();
        let initial = Resource::new(
            || (),
            move |_| {
                let f = first.clone();
                async move { f().await.map_err(|e| e.to_string()) }
            },
        );
        let latest = RwSignal::new(None);
        let retry_in = RwSignal::new(None);
        let feed = LiveFeed { initial, latest, retry_in };
        #[cfg(feature = "hydrate")]
        feed.start_polling(fetch);
        #[cfg(not(feature = "hydrate"))]
        let _ = fetch;
        feed
    }

    #[cfg(feature = "hydrate")]
    fn start_polling<Fut>(&self, fetch: impl Fn() -> Fut + Send + Sync + 'static)
    where
        Fut: Future<Output = Result<T, ServerFnError>> + Send + 'static,
    {
        use std::sync::atomic::{AtomicBool, Ordering};
        use std::sync::Arc;
        let alive = Arc::new(AtomicBool::new(true));
        let stop = alive.clone();
        on_cleanup(move || stop.store(false, Ordering::Relaxed));
        let (latest, retry_in) = (self.latest, self.retry_in);
        leptos::task::spawn_local(async move {
            let mut failures = 0u32;
            loop {
                let wait = backoff(failures);
                if failures == 0 {
                    sleep(wait).await;
                } else {
                    // count down, one second at a time, for the banner
                    for left in (1..=wait.as_secs()).rev() {
                        if !alive.load(Ordering::Relaxed) {
                            return;
                        }
                        retry_in.try_set(Some(left));
                        sleep(Duration::from_secs(1)).await;
                    }
                }
                if !alive.load(Ordering::Relaxed) {
                    return;
                }
                match fetch().await {
                    Ok(v) => {
                        failures = 0;
                        retry_in.try_set(None);
                        latest.try_set(Some(Ok(v)));
                    }
                    Err(_) => {
                        failures += 1;
                        retry_in.try_set(Some(backoff(failures).as_secs()));
                    }
                }
            }
        });
    }

    /// The newest value: polled in the browser, else the server-rendered one.
    pub fn current(&self) -> Option<Result<T, String>> {
        self.latest.get().or_else(|| self.initial.get())
    }

    /// Read inside `<Transition>` so the server waits for the first value.
    pub fn track_first(&self) {
        let _ = self.initial.get();
    }

    /// Loading (`None`), ok, or why not: changes only when the outcome flips, so
    /// a page's skeleton (and the filter box the user is typing in) survives polls.
    pub fn outcome(&self) -> Memo<Option<Result<(), String>>> {
        let feed = *self;
        Memo::new(move |_| feed.current().map(|r| r.map(|_| ())))
    }
}

impl<T> LiveFeed<T>
where
    T: Clone + Send + Sync + PartialEq + Serialize + DeserializeOwned + 'static,
{
    /// The newest good value.
    pub fn data(&self) -> Memo<Option<T>> {
        let feed = *self;
        Memo::new(move |_| feed.current().and_then(Result::ok))
    }
}

#[cfg(feature = "hydrate")]
async fn sleep(d: Duration) {
    let (tx, rx) = futures::channel::oneshot::channel::<()>();
    set_timeout(
        move || {
            let _ = tx.send(());
        },
        d,
    );
    let _ = rx.await;
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn backoff_doubles_up_to_a_minute() {
        let secs: Vec<u64> = (0..8).map(|f| backoff(f).as_secs()).collect();
        assert_eq!(secs, vec![5, 10, 20, 40, 60, 60, 60, 60]);
    }
}

//! Live data for a page: the first value is rendered on the server; in the
//! browser it follows `/events` and re-fetches as soon as the server says
//! something changed (one fetch in flight at a time: a burst of changes costs
//! one). While the stream is down it polls every [`POLL`] instead, backing
//! off to [`MAX_BACKOFF`] while the server cannot be reached.
//!
//! Pages read [`LiveFeed::current`], [`LiveFeed::retry_in`] and [`LiveFeed::mode`].

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

/// How the page learns of changes.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum FeedMode {
    /// `/events` is open: changes show as they happen.
    Live,
    /// No stream (yet, or it failed): a fetch every [`POLL`].
    Polling,
}

pub struct LiveFeed<T: Send + Sync + 'static> {
    initial: Resource<Result<T, String>>,
    latest: RwSignal<Option<Result<T, String>>>,
    /// Seconds until the next try, while the server is unreachable.
    pub retry_in: RwSignal<Option<u64>>,
    pub mode: RwSignal<FeedMode>,
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
        let mode = RwSignal::new(FeedMode::Polling);
        let feed = LiveFeed { initial, latest, retry_in, mode };
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
        use futures::channel::mpsc;
        use futures::StreamExt;
        use std::sync::atomic::{AtomicBool, Ordering};
        use std::sync::Arc;
        let alive = Arc::new(AtomicBool::new(true));
        let (wake, mut woken) = mpsc::unbounded::<()>();
        let (stop, stop_wake) = (alive.clone(), wake.clone());
        on_cleanup(move || {
            stop.store(false, Ordering::Relaxed);
            let _ = stop_wake.unbounded_send(());
        });
        let (latest, retry_in, mode) = (self.latest, self.retry_in, self.mode);
        leptos::task::spawn_local(async move {
            // Owned here: the stream closes when the loop ends.
            let _push = push::Push::open(wake, mode);
            let mut failures = 0u32;
            // The page may be left while this task waits or fetches: its
            // signals are then disposed, and reading one would panic the whole
            // WASM app. So every wait and every fetch ends with this check.
            let left = || !alive.load(Ordering::Relaxed);
            loop {
                if left() {
                    return;
                }
                if failures > 0 {
                    // count down, one second at a time, for the banner
                    let wait = backoff(failures);
                    for secs in (1..=wait.as_secs()).rev() {
                        if left() {
                            return;
                        }
                        retry_in.try_set(Some(secs));
                        sleep(Duration::from_secs(1)).await;
                    }
                } else {
                    // Live: until the server says something changed (a slow
                    // safety poll meanwhile). Else the usual poll.
                    let wait = if mode.try_get_untracked() == Some(FeedMode::Live) { MAX_BACKOFF } else { POLL };
                    let _ = futures::future::select(woken.next(), Box::pin(sleep(wait))).await;
                    // A burst of changes is one fetch.
                    while woken.try_recv().is_ok() {}
                }
                if left() {
                    return;
                }
                let fetched = fetch().await;
                if left() {
                    return;
                }
                match fetched {
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

    /// The first value: server-rendered, or fetched as the page opened
    /// (then a poll may overtake it as [`LiveFeed::current`]).
    pub fn first(&self) -> Option<Result<T, String>> {
        self.initial.get()
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

/// The browser's `EventSource` on `/events`, as a wake-up call for the fetch loop.
#[cfg(feature = "hydrate")]
mod push {
    use super::FeedMode;
    use futures::channel::mpsc::UnboundedSender;
    use leptos::prelude::*;
    use wasm_bindgen::closure::Closure;
    use wasm_bindgen::JsCast;

    pub struct Push {
        source: web_sys::EventSource,
        _listeners: Vec<Closure<dyn FnMut(web_sys::Event)>>,
    }

    impl Push {
        pub fn open(wake: UnboundedSender<()>, mode: RwSignal<FeedMode>) -> Option<Push> {
            let source = web_sys::EventSource::new(crate::routes::EVENTS).ok()?;
            let mut listeners = Vec::new();
            for name in ["snapshot", "endpoint", "removed", "status", "change"] {
                let wake = wake.clone();
                let on = Closure::<dyn FnMut(web_sys::Event)>::new(move |_| {
                    let _ = wake.unbounded_send(());
                });
                let _ = source.add_event_listener_with_callback(name, on.as_ref().unchecked_ref());
                listeners.push(on);
            }
            // Open (again): live, and fetch what changed while it was down.
            let on_open = wake.clone();
            let open = Closure::<dyn FnMut(web_sys::Event)>::new(move |_| {
                mode.try_set(FeedMode::Live);
                let _ = on_open.unbounded_send(());
            });
            source.set_onopen(Some(open.as_ref().unchecked_ref()));
            listeners.push(open);
            // The browser reconnects by itself; the page polls meanwhile, and
            // asks at once: the server may be gone, which the banner must say.
            let error = Closure::<dyn FnMut(web_sys::Event)>::new(move |_| {
                if mode.try_get_untracked() == Some(FeedMode::Live) {
                    mode.try_set(FeedMode::Polling);
                    let _ = wake.unbounded_send(());
                }
            });
            source.set_onerror(Some(error.as_ref().unchecked_ref()));
            listeners.push(error);
            Some(Push { source, _listeners: listeners })
        }
    }

    impl Drop for Push {
        fn drop(&mut self) {
            self.source.close();
        }
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

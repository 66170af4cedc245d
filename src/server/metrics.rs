//! `/metrics` in Prometheus' format (OpenMetrics text, `prometheus-client`).
//!
//! Gauges of the PBX (endpoints by state, contacts by status, AMI up, the
//! config) are read from the current snapshot at each scrape: nothing to
//! keep in step. HTTP requests are counted by route pattern, method and
//! status, with a latency histogram per route. Label values come from small
//! fixed sets (route patterns, not paths; standard methods; states), never
//! from endpoint names or anything a client sends: cardinality stays bounded.

use super::app_state::AppState;
use crate::routes;
use axum::body::Body;
use axum::extract::{MatchedPath, State};
use axum::http::{header, Method, Request};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use prometheus_client::encoding::EncodeLabelSet;
use prometheus_client::metrics::counter::Counter;
use prometheus_client::metrics::family::Family;
use prometheus_client::metrics::gauge::Gauge;
use prometheus_client::metrics::histogram::{exponential_buckets, Histogram};
use prometheus_client::registry::{Registry, Unit};
use std::sync::{Arc, Mutex};
use std::time::Instant;

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct RequestLabels {
    route: String,
    method: String,
    status: String,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct RouteLabel {
    route: String,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct StateLabel {
    state: String,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct StatusLabel {
    status: String,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct QuantileLabel {
    quantile: String,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct ResultLabel {
    result: String,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct SeverityLabel {
    severity: String,
}

/// Counters kept elsewhere as plain counts (the AMI supervisor's, the
/// config store's), carried into Prometheus counters at each scrape.
#[derive(Debug, Default)]
struct Carried {
    ami_connections: Counter,
    ami_failures: Counter,
    ami_events: Counter,
    ami_resyncs: Counter,
    config_reloads: Family<ResultLabel, Counter>,
    seen: Mutex<crate::pbx::Counts>,
}

fn latency() -> Histogram {
    // 0.5 ms to about 4 s.
    Histogram::new(exponential_buckets(0.0005, 2.0, 14))
}

/// The registry and the metrics the server updates.
#[derive(Debug)]
pub struct Metrics {
    registry: Registry,
    requests: Family<RequestLabels, Counter>,
    latency: Family<RouteLabel, Histogram, fn() -> Histogram>,
    endpoints: Family<StateLabel, Gauge>,
    contacts: Family<StatusLabel, Gauge>,
    ami_up: Gauge,
    ami_configured: Gauge,
    config_loaded: Gauge,
    config_broken: Gauge,
    diagnostics: Family<SeverityLabel, Gauge>,
    subscribers: Gauge,
    /// The qualify round trips of all contacts, as quantiles: one series per
    /// quantile, never one per contact (thousands of phones), so bounded.
    rtt: Family<QuantileLabel, Gauge<f64, std::sync::atomic::AtomicU64>>,
    carried: Carried,
    /// One scrape at a time: the gauges are reset and refilled from a snapshot.
    scrape: Mutex<()>,
}

impl Default for Metrics {
    fn default() -> Self {
        let mut registry = Registry::with_prefix("ispbx");
        let requests = Family::<RequestLabels, Counter>::default();
        let latency = Family::<RouteLabel, Histogram, fn() -> Histogram>::new_with_constructor(latency as fn() -> Histogram);
        let endpoints = Family::<StateLabel, Gauge>::default();
        let contacts = Family::<StatusLabel, Gauge>::default();
        let (ami_up, config_loaded, config_broken) = (Gauge::default(), Gauge::default(), Gauge::default());
        let ami_configured = Gauge::default();
        registry.register("http_requests", "HTTP requests answered, by route pattern, method and status", requests.clone());
        registry.register_with_unit("http_request_duration", "Time to answer an HTTP request, by route pattern", Unit::Seconds, latency.clone());
        registry.register("endpoints", "Endpoints by state (online, offline, unmonitored)", endpoints.clone());
        registry.register("contacts", "Contacts by status as Asterisk reports it (Reachable, Unreachable, NonQualified, Unknown, …)", contacts.clone());
        registry.register("ami_up", "1 while the AMI connection to Asterisk is up", ami_up.clone());
        registry.register("ami_configured", "1 when an AMI user is configured (0: the config alone is served, on purpose)", ami_configured.clone());
        registry.register("config_loaded", "1 while a PJSIP configuration Asterisk would load is served", config_loaded.clone());
        registry.register("config_error", "1 while the files on disk are broken and the last good configuration is served", config_broken.clone());
        let diagnostics = Family::<SeverityLabel, Gauge>::default();
        registry.register("config_diagnostics", "Findings in the served configuration by severity (error: Asterisk refuses something)", diagnostics.clone());
        let rtt = Family::<QuantileLabel, Gauge<f64, std::sync::atomic::AtomicU64>>::default();
        registry.register_with_unit(
            "contact_rtt",
            "Qualify round trip over all contacts that have one, by quantile (0.5, 0.9, 0.99, 1 = the slowest); per contact it is in /endpoints",
            Unit::Seconds,
            rtt.clone(),
        );
        let subscribers = Gauge::default();
        registry.register("sse_subscribers", "Clients following /events", subscribers.clone());
        let carried = Carried::default();
        registry.register("ami_connections", "AMI sessions that logged in and resynced", carried.ami_connections.clone());
        registry.register("ami_connection_failures", "AMI sessions that ended or could not start (each is retried)", carried.ami_failures.clone());
        registry.register("ami_events", "AMI events handled", carried.ami_events.clone());
        registry.register("ami_resyncs", "Full resyncs of the PBX state over AMI", carried.ami_resyncs.clone());
        registry.register("config_reloads", "Reads of the PJSIP configuration, by result (ok, error)", carried.config_reloads.clone());
        Metrics { registry, requests, latency, endpoints, contacts, ami_up, ami_configured, config_loaded, config_broken, diagnostics, subscribers, rtt, carried, scrape: Mutex::new(()) }
    }
}

/// Methods a client could invent are one label value, not one each.
fn method_label(m: &Method) -> &'static str {
    match *m {
        Method::GET => "GET",
        Method::HEAD => "HEAD",
        Method::POST => "POST",
        Method::PUT => "PUT",
        Method::PATCH => "PATCH",
        Method::DELETE => "DELETE",
        Method::OPTIONS => "OPTIONS",
        _ => "other",
    }
}

impl Metrics {
    fn observe(&self, route: String, method: &Method, status: u16, seconds: f64) {
        self.requests
            .get_or_create(&RequestLabels { route: route.clone(), method: method_label(method).into(), status: status.to_string() })
            .inc();
        self.latency.get_or_create(&RouteLabel { route }).observe(seconds);
    }

    /// The exposition, with the PBX's gauges as the snapshot has them now.
    pub fn render(&self, state: &AppState) -> String {
        let _one = self.scrape.lock().unwrap_or_else(|e| e.into_inner());
        let snapshot = state.pbx.snapshot();
        let readiness = snapshot.readiness();
        self.ami_up.set(i64::from(readiness.ami == "connected"));
        self.ami_configured.set(i64::from(readiness.ami != "not configured"));
        self.config_loaded.set(i64::from(readiness.config != "none"));
        self.config_broken.set(i64::from(readiness.config.starts_with("loaded (")));
        self.carry(state.pbx.counts());
        self.subscribers.set(state.feed.subscribers() as i64);
        self.diagnostics.clear();
        for (severity, n) in snapshot.diagnostics_by_severity() {
            self.diagnostics.get_or_create(&SeverityLabel { severity: severity.into() }).set(n as i64);
        }
        self.endpoints.clear();
        self.contacts.clear();
        self.rtt.clear();
        if let Ok(list) = snapshot.endpoint_list() {
            for state in ["online", "offline", "unmonitored"] {
                self.endpoints.get_or_create(&StateLabel { state: state.into() }).set(0);
            }
            let mut rtts: Vec<f64> = Vec::new();
            for e in &list.endpoints {
                self.endpoints.get_or_create(&StateLabel { state: e.state.as_str().into() }).inc();
                for c in &e.contacts {
                    self.contacts.get_or_create(&StatusLabel { status: c.status.clone() }).inc();
                    rtts.extend(c.rtt_ms.filter(|r| r.is_finite() && *r >= 0.0).map(|r| r / 1000.0));
                }
            }
            rtts.sort_by(f64::total_cmp);
            if let Some(&slowest) = rtts.last() {
                for (label, q) in [("0.5", 0.5), ("0.9", 0.9), ("0.99", 0.99)] {
                    let at = ((rtts.len() as f64 * q).ceil() as usize).clamp(1, rtts.len()) - 1;
                    self.rtt.get_or_create(&QuantileLabel { quantile: label.into() }).set(rtts[at]);
                }
                self.rtt.get_or_create(&QuantileLabel { quantile: "1".into() }).set(slowest);
            }
        }
        let mut out = String::new();
        // Writing to a String cannot fail.
        let _ = prometheus_client::encoding::text::encode(&mut out, &self.registry);
        out
    }
}

impl Metrics {
    /// Adds what the counts grew by since the last scrape.
    fn carry(&self, now: crate::pbx::Counts) {
        let c = &self.carried;
        let mut seen = c.seen.lock().unwrap_or_else(|e| e.into_inner());
        let grow = |counter: &Counter, now: u64, before: u64| {
            counter.inc_by(now.saturating_sub(before));
        };
        grow(&c.ami_connections, now.ami_connections, seen.ami_connections);
        grow(&c.ami_failures, now.ami_failures, seen.ami_failures);
        grow(&c.ami_events, now.ami_events, seen.ami_events);
        grow(&c.ami_resyncs, now.ami_resyncs, seen.ami_resyncs);
        grow(&c.config_reloads.get_or_create(&ResultLabel { result: "ok".into() }), now.config_loads, seen.config_loads);
        grow(&c.config_reloads.get_or_create(&ResultLabel { result: "error".into() }), now.config_failures, seen.config_failures);
        *seen = now;
    }
}

/// Counts and times every request by the route pattern it matched.
pub async fn track(State(metrics): State<Arc<Metrics>>, req: Request<Body>, next: Next) -> Response {
    let route = req.extensions().get::<MatchedPath>().map_or_else(|| "unmatched".to_string(), |p| p.as_str().to_string());
    let method = req.method().clone();
    let start = Instant::now();
    let response = next.run(req).await;
    metrics.observe(route, &method, response.status().as_u16(), start.elapsed().as_secs_f64());
    response
}

/// Prometheus scrapes this.
#[utoipa::path(get, path = routes::METRICS, tag = "operations",
    responses((status = 200, description = "OpenMetrics text: ispbx_endpoints{state}, ispbx_contacts{status}, ispbx_ami_up, ispbx_config_loaded, ispbx_config_error, ispbx_http_requests_total{route,method,status}, ispbx_http_request_duration_seconds{route}", content_type = "application/openmetrics-text")))]
pub async fn scrape(State(state): State<AppState>) -> Response {
    let body = state.metrics.render(&state);
    ([(header::CONTENT_TYPE, "application/openmetrics-text; version=1.0.0; charset=utf-8"), (header::CACHE_CONTROL, "no-store")], body)
        .into_response()
}

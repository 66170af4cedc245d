//! From the config and the live snapshot to what the API and the dashboard show.
//! Pure functions: no I/O, no Asterisk round trip. Asterisk's own types
//! ([`crate::ami::state`]) become the API's ([`crate::model`]) here and only here.

use super::live::LiveSnapshot;
use crate::ami::state::{Contact, Endpoint};
use crate::model::*;
use crate::pjsip::{Effective, Object, Origin, PjsipConfig};
use std::collections::BTreeMap;

/// The longest endpoint name Asterisk accepts (a section name).
const MAX_NAME: usize = crate::pjsip::parser::MAX_CATEGORY_NAME;

/// A name that could be an endpoint: anything else is "not found" without a lookup.
fn plausible_name(name: &str) -> bool {
    !name.is_empty() && name.len() <= MAX_NAME && !name.chars().any(|c| c.is_control())
}

fn split_list(v: &str) -> Vec<String> {
    v.split(',')
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .map(str::to_string)
        .collect()
}

fn value<'a>(eff: &'a [Effective], name: &str) -> Option<&'a str> {
    eff.iter()
        .find(|e| e.name.eq_ignore_ascii_case(name))
        .map(|e| e.value.shown())
}

/// An endpoint as the config defines it, with what the live state adds.
struct Merged<'a> {
    name: String,
    object: Option<&'a Object>,
    effective: Vec<Effective>,
    live: Option<&'a Endpoint>,
}

impl Merged<'_> {
    fn aors(&self) -> Vec<String> {
        match self.live {
            Some(l) => l.aors.clone(),
            None => value(&self.effective, "aors").map(split_list).unwrap_or_default(),
        }
    }

    fn state(&self, connected: bool) -> EndpointState {
        if self.aors().is_empty() {
            return EndpointState::Unmonitored;
        }
        let available = connected && self.live.is_some_and(|l| l.contacts.iter().any(Contact::available));
        if available {
            EndpointState::Online
        } else {
            EndpointState::Offline
        }
    }

    fn summary(&self, connected: bool) -> EndpointSummary {
        let state = self.state(connected);
        EndpointSummary {
            objectname: self.name.clone(),
            status: state.spec_status().to_string(),
            kind: "endpoint".to_string(),
            devicestate: match (connected, self.live) {
                (true, Some(l)) => l.device_state.clone(),
                _ => "Unknown".to_string(),
            },
            activechannels: self.live.filter(|_| connected).map_or(0, |l| l.active_channels),
            state,
            source: match self.object.map(|o| o.origin) {
                Some(Origin::Config) => EndpointSource::Config,
                Some(Origin::Wizard) => EndpointSource::Wizard,
                None => EndpointSource::Asterisk,
            },
            callerid: value(&self.effective, "callerid").map(str::to_string),
            contacts: self.live.map(|l| l.contacts.iter().map(contact_info).collect()).unwrap_or_default(),
        }
    }

    fn details(&self, connected: bool) -> EndpointDetails {
        let list = |live: Option<&Vec<String>>, key: &str| match live {
            Some(l) => l.join(","),
            None => value(&self.effective, key).unwrap_or("").to_string(),
        };
        EndpointDetails {
            summary: self.summary(connected),
            auths: list(self.live.map(|l| &l.auths), "auth"),
            aors: list(self.live.map(|l| &l.aors), "aors"),
            outbound_auths: list(self.live.map(|l| &l.outbound_auths), "outbound_auth"),
            transport: match self.live {
                Some(l) => l.transport.clone(),
                None => value(&self.effective, "transport").unwrap_or("").to_string(),
            },
        }
    }
}

fn contact_info(c: &Contact) -> ContactInfo {
    ContactInfo {
        aor: c.aor.clone(),
        uri: c.uri.clone(),
        status: c.status.clone(),
        via: c.via.clone(),
        user_agent: c.user_agent.clone(),
        rtt_ms: c.rtt_us.map(|us| us as f64 / 1000.0),
        expires: c.expires.and_then(|e| i64::try_from(e).ok()),
    }
}

fn merged<'a>(cfg: &'a PjsipConfig, live: &'a LiveSnapshot) -> BTreeMap<String, Merged<'a>> {
    let mut out: BTreeMap<String, Merged<'a>> = BTreeMap::new();
    for o in cfg.objects_of("endpoint") {
        out.entry(o.name.to_string()).or_insert_with(|| Merged {
            name: o.name.to_string(),
            object: Some(o),
            effective: o.effective(),
            live: None,
        });
    }
    if live.connected {
        for (name, l) in &live.pbx.endpoints {
            out.entry(name.clone())
                .or_insert_with(|| Merged {
                    name: name.clone(),
                    object: None,
                    effective: Vec::new(),
                    live: None,
                })
                .live = Some(l);
        }
    }
    out
}

fn find<'a>(cfg: &'a PjsipConfig, live: &'a LiveSnapshot, name: &str) -> Option<Merged<'a>> {
    if !plausible_name(name) {
        return None;
    }
    let object = cfg.object("endpoint", name);
    let l = live.endpoint(name);
    if object.is_none() && l.is_none() {
        return None;
    }
    Some(Merged {
        name: name.to_string(),
        object,
        effective: object.map(Object::effective).unwrap_or_default(),
        live: l,
    })
}

pub fn ami_status(live: &LiveSnapshot) -> AmiStatus {
    AmiStatus {
        connected: live.connected,
        detail: if live.connected {
            None
        } else {
            Some(live.detail.clone().unwrap_or_else(|| "Not connected.".into()))
        },
    }
}

pub fn endpoint_list(cfg: &PjsipConfig, config: ConfigStatus, live: &LiveSnapshot) -> EndpointListResponse {
    EndpointListResponse {
        status: "success".into(),
        endpoints: merged(cfg, live)
            .values()
            .map(|m| m.summary(live.connected))
            .collect(),
        ami: ami_status(live),
        config,
    }
}

pub fn endpoint_detail(
    cfg: &PjsipConfig,
    live: &LiveSnapshot,
    name: &str,
) -> Option<EndpointDetailResponse> {
    let m = find(cfg, live, name)?;
    Some(EndpointDetailResponse {
        status: "success".into(),
        extension: name.to_string(),
        details: m.details(live.connected),
        ami: ami_status(live),
    })
}

/// The endpoint object's effective options as `name → value`, lists joined with
/// `,`, secrets left out. `None` when the config has no such endpoint.
pub fn endpoint_config(cfg: &PjsipConfig, name: &str) -> Option<serde_json::Map<String, serde_json::Value>> {
    if !plausible_name(name) {
        return None;
    }
    let o = cfg.object("endpoint", name)?;
    Some(
        o.effective()
            .into_iter()
            .filter(|e| !e.value.is_secret())
            .map(|e| (e.name.to_string(), serde_json::Value::String(e.value.shown().to_string())))
            .collect(),
    )
}

fn options_of(o: &Object) -> Vec<ConfigOption> {
    use crate::pjsip::edit::codecs;
    let allowed = || codecs::effective(o.fields().filter_map(|f| codecs::line(f.name, f.value.shown()))).as_allow();
    o.effective()
        .into_iter()
        .map(|e| ConfigOption {
            edit_value: (&*e.name == "allow" && &*o.kind == "endpoint").then(allowed),
            name: e.name.to_string(),
            secret: e.value.is_secret(),
            value: if e.value.is_secret() { String::new() } else { e.value.shown().to_string() },
            sources: e
                .sources
                .iter()
                .map(|s| ValueSource {
                    file: s.file.to_string(),
                    line: s.line,
                    template: s.template.as_ref().map(|t| t.to_string()),
                })
                .collect(),
        })
        .collect()
}

/// The dashboard's detail page.
pub fn endpoint_view(cfg: &PjsipConfig, live: &LiveSnapshot, name: &str) -> Option<EndpointView> {
    let m = find(cfg, live, name)?;
    let details = m.details(live.connected);
    let mut related = Vec::new();
    let wanted = [
        ("auth", split_list(&details.auths)),
        ("auth", split_list(&details.outbound_auths)),
        ("aor", split_list(&details.aors)),
    ];
    for (kind, names) in wanted {
        for n in names {
            if let Some(o) = cfg.object(kind, &n) {
                related.push(RelatedObject { kind: kind.to_string(), name: n, options: options_of(o) });
            }
        }
    }
    for o in cfg.objects_of("identify") {
        if o.effective().iter().any(|e| &*e.name == "endpoint" && e.value.shown() == name) {
            related.push(RelatedObject { kind: "identify".into(), name: o.name.to_string(), options: options_of(o) });
        }
    }
    Some(EndpointView {
        options: m.object.map(options_of).unwrap_or_default(),
        details,
        related,
        ami: ami_status(live),
        server_time: std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(0, |d| d.as_secs() as i64),
        config_version: None,
        writes: false,
    })
}

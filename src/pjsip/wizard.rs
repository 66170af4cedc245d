//! res_pjsip_config_wizard: one `type=wizard` section of pjsip_wizard.conf becomes
//! an endpoint, an aor, auths, an identify and registrations, named as Asterisk
//! names them (`3001-iauth`, `wiz-trunk-oauth`, `wiz-trunk-identify`, `wiz-trunk-reg-0`).

use super::diagnostic::{Diagnostic, Severity};
use super::objects::{provenance, Field, Object, ObjectSet, Origin, Provenance};
use super::parser::{Category, Config, LoadStatus};
use super::value::Value;
use std::sync::Arc;

pub fn load_wizard(cfg: &Config) -> ObjectSet {
    let mut set = ObjectSet::default();
    if cfg.status != LoadStatus::Loaded {
        set.rejected = true;
        return set;
    }
    for cat in cfg.sections() {
        if cat.first("type").map(|t| &*t.value) != Some("wizard") {
            continue;
        }
        expand(cfg, cat, &mut set);
    }
    set
}

fn is_true(cat: &Category, name: &str) -> bool {
    last(cat, name).is_some_and(|v| ast_true(&v.value))
}

use super::option_rules::is_true as ast_true;

fn last<'c>(cat: &'c Category, name: &str) -> Option<&'c super::parser::Variable> {
    cat.variables.iter().rev().find(|v| *v.name == *name)
}

/// One wizard section: what every object generated from it shares.
struct Wizard<'a> {
    cfg: &'a Config,
    cat: &'a Category,
    id: Arc<str>,
    /// The wizard section's header: where every derived option says it comes from.
    here: Provenance,
    remote_hosts: Vec<String>,
    transport: Option<(String, Provenance)>,
}

/// The two auths a wizard can make, which differ only in these words.
struct AuthSide {
    /// The option that asks for the auth.
    flag: &'static str,
    /// The prefix of the options handed to it.
    prefix: &'static str,
    /// The auth's name is `{id}-{suffix}`.
    suffix: &'static str,
    /// For the error when the username is missing.
    verb: &'static str,
}

const INBOUND_AUTH: AuthSide = AuthSide {
    flag: "accepts_auth",
    prefix: "inbound_auth/",
    suffix: "iauth",
    verb: "accepts",
};

const OUTBOUND_AUTH: AuthSide = AuthSide {
    flag: "sends_auth",
    prefix: "outbound_auth/",
    suffix: "oauth",
    verb: "sends",
};

/// Every object of one wizard section, listed endpoint first, then the auths,
/// the aor, the identify and the registrations.
fn expand(cfg: &Config, cat: &Category, set: &mut ObjectSet) {
    let w = Wizard::new(cfg, cat);
    let inbound_auth = w.auth(&INBOUND_AUTH, set);
    let outbound_auth = w.auth(&OUTBOUND_AUTH, set);
    let aor = w.aor();
    let identify = w.identify();
    let outbound_name = outbound_auth.as_ref().map(|a| &*a.name);
    let registrations = w.registrations(outbound_name);
    // endpoint, last, so it can name what was made above
    let endpoint = w.endpoint(inbound_auth.as_ref().map(|a| &*a.name), outbound_name);
    set.objects.push(endpoint);
    set.objects.extend(inbound_auth);
    set.objects.extend(outbound_auth);
    set.objects.push(aor);
    set.objects.extend(identify);
    set.objects.extend(registrations);
}

/// An option the wizard sets itself, said to come from `at`.
fn derived(name: &str, value: String, at: &Provenance) -> Field {
    Field {
        name: Arc::from(name),
        value: Value::new(Arc::from(value), false),
        provenance: at.clone(),
    }
}

impl<'a> Wizard<'a> {
    fn new(cfg: &'a Config, cat: &'a Category) -> Self {
        let here = provenance(cfg, cat.origin, None);
        let remote_hosts: Vec<String> = last(cat, "remote_hosts")
            .map(|v| {
                v.value
                    .split(',')
                    .map(str::trim)
                    .filter(|h| !h.is_empty())
                    .map(str::to_string)
                    .collect()
            })
            .unwrap_or_default();
        let transport = last(cat, "transport").map(|v| (v.value.to_string(), provenance(cfg, v.origin, v.template.clone())));
        Wizard {
            cfg,
            cat,
            id: cat.name.clone(),
            here,
            remote_hosts,
            transport,
        }
    }

    /// The section's `{prefix}name` options, handed to the object as `name`.
    fn prefixed(&self, prefix: &str) -> Vec<Field> {
        self.cat
            .variables
            .iter()
            .filter_map(|v| {
                let rest = v.name.strip_prefix(prefix)?;
                Some(Field {
                    name: Arc::from(rest),
                    // Secrecy follows the option the wizard hands to the generated object.
                    value: Value::new(v.value.clone(), crate::secret::is_secret_name(rest)),
                    provenance: provenance(self.cfg, v.origin, v.template.clone()),
                })
            })
            .collect()
    }

    fn has(&self, prefix: &str, name: &str) -> bool {
        last(self.cat, &format!("{prefix}{name}")).is_some()
    }

    fn object(&self, kind: &str, name: String, fields: Vec<Field>) -> Object {
        Object::made(Arc::from(kind), Arc::from(name), Origin::Wizard, self.here.clone(), fields)
    }

    /// `{id}-iauth` or `{id}-oauth`, when the section asks for it; without a
    /// username Asterisk rejects the wizard.
    fn auth(&self, side: &AuthSide, set: &mut ObjectSet) -> Option<Object> {
        if !is_true(self.cat, side.flag) {
            return None;
        }
        let id = &self.id;
        if !self.has(side.prefix, "username") {
            set.rejected = true;
            set.diagnostics.push(Diagnostic {
                severity: Severity::Error,
                file: self.cfg.path(self.cat.origin.file).to_path_buf(),
                line: self.cat.origin.line,
                message: format!(
                    "Wizard '{id}' must have '{}username' if it {} authentication.",
                    side.prefix, side.verb
                ),
            });
            return None;
        }
        let name = format!("{id}-{}", side.suffix);
        let mut fields = vec![derived("type", "auth".into(), &self.here)];
        if !self.has(side.prefix, "auth_type") {
            fields.push(derived("auth_type", "userpass".into(), &self.here));
        }
        fields.extend(self.prefixed(side.prefix));
        Some(self.object("auth", name, fields))
    }

    fn aor(&self) -> Object {
        let mut aor = vec![derived("type", "aor".into(), &self.here)];
        if !is_true(self.cat, "accepts_registrations") {
            for host in &self.remote_hosts {
                let uri = if host.starts_with("sip:") || host.starts_with("sips:") {
                    host.clone()
                } else {
                    format!("sip:{host}")
                };
                aor.push(derived("contact", uri, &self.here));
            }
        }
        aor.extend(self.prefixed("aor/"));
        self.object("aor", self.id.to_string(), aor)
    }

    /// A trunk that does not register to us is matched by its address.
    fn identify(&self) -> Option<Object> {
        if self.remote_hosts.is_empty() || is_true(self.cat, "accepts_registrations") {
            return None;
        }
        let mut fields = vec![
            derived("type", "identify".into(), &self.here),
            derived("endpoint", self.id.to_string(), &self.here),
        ];
        for host in &self.remote_hosts {
            fields.push(derived("match", host.clone(), &self.here));
        }
        fields.extend(self.prefixed("identify/"));
        Some(self.object("identify", format!("{}-identify", self.id), fields))
    }

    /// One registration per remote host.
    fn registrations(&self, outbound_auth: Option<&str>) -> Vec<Object> {
        let mut objects = Vec::new();
        if !is_true(self.cat, "sends_registrations") {
            return objects;
        }
        let id = &self.id;
        let user = last(self.cat, "outbound_auth/username").map_or_else(|| id.to_string(), |v| v.value.to_string());
        for (n, host) in self.remote_hosts.iter().enumerate() {
            let host = host.trim_start_matches("sip:");
            let mut fields = vec![
                derived("type", "registration".into(), &self.here),
                derived("server_uri", format!("sip:{host}"), &self.here),
                derived("client_uri", format!("sip:{user}@{host}"), &self.here),
            ];
            if let Some(a) = outbound_auth {
                fields.push(derived("outbound_auth", a.to_string(), &self.here));
            }
            if let Some((t, at)) = &self.transport {
                fields.push(derived("transport", t.clone(), at));
            }
            fields.extend(self.prefixed("registration/"));
            objects.push(self.object("registration", format!("{id}-reg-{n}"), fields));
        }
        objects
    }

    /// Named after the section; points at the aor and auths made for it.
    fn endpoint(&self, inbound_auth: Option<&str>, outbound_auth: Option<&str>) -> Object {
        let mut ep = vec![derived("type", "endpoint".into(), &self.here)];
        if let Some((t, at)) = &self.transport {
            if !self.has("endpoint/", "transport") {
                ep.push(derived("transport", t.clone(), at));
            }
        }
        if !self.has("endpoint/", "aors") {
            ep.push(derived("aors", self.id.to_string(), &self.here));
        }
        if let Some(a) = inbound_auth {
            if !self.has("endpoint/", "auth") {
                ep.push(derived("auth", a.to_string(), &self.here));
            }
        }
        if let Some(a) = outbound_auth {
            if !self.has("endpoint/", "outbound_auth") {
                ep.push(derived("outbound_auth", a.to_string(), &self.here));
            }
        }
        ep.extend(self.prefixed("endpoint/"));
        self.object("endpoint", self.id.to_string(), ep)
    }
}

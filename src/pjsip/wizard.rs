//! res_pjsip_config_wizard: one `type=wizard` section of pjsip_wizard.conf becomes
//! an endpoint, an aor, auths, an identify and registrations, named as Asterisk
//! names them (`3001-iauth`, `wiz-trunk-oauth`, `wiz-trunk-identify`, `wiz-trunk-reg-0`).

use super::diagnostic::{Diagnostic, Severity};
use super::objects::{field, provenance, Field, FileNames, Object, ObjectSet, Origin, Provenance};
use super::parser::{Category, Config, LoadStatus};
use super::secret::Value;
use std::sync::Arc;

pub fn load_wizard(cfg: &Config) -> ObjectSet {
    let mut set = ObjectSet::default();
    if cfg.status != LoadStatus::Loaded {
        set.rejected = true;
        return set;
    }
    let mut files = FileNames::default();
    for cat in cfg.sections() {
        if cat.first("type").map(|t| &*t.value) != Some("wizard") {
            continue;
        }
        expand(cfg, cat, &mut files, &mut set);
    }
    set
}

fn is_true(cat: &Category, name: &str) -> bool {
    last(cat, name).is_some_and(|v| ast_true(&v.value))
}

/// ast_true: what Asterisk accepts as "yes".
pub fn ast_true(v: &str) -> bool {
    matches!(
        v.to_ascii_lowercase().as_str(),
        "yes" | "true" | "y" | "t" | "1" | "on"
    )
}

fn last<'c>(cat: &'c Category, name: &str) -> Option<&'c super::parser::Variable> {
    cat.variables.iter().rev().find(|v| *v.name == *name)
}

fn expand(cfg: &Config, cat: &Category, files: &mut FileNames, set: &mut ObjectSet) {
    let id = cat.name.clone();
    let here = provenance(cfg, cat.origin, None, files);
    let derived = |name: &str, value: String, at: &Provenance| Field {
        name: Arc::from(name),
        value: Value::new(Arc::from(value), false),
        provenance: at.clone(),
    };
    let prefixed = |prefix: &str, files: &mut FileNames| -> Vec<Field> {
        cat.variables
            .iter()
            .filter_map(|v| {
                let rest = v.name.strip_prefix(prefix)?;
                let mut f = field(cfg, v, files);
                f.name = Arc::from(rest);
                // Secrecy follows the option the wizard hands to the generated object.
                f.value = Value::new(v.value.clone(), crate::secret::is_secret_name(rest));
                Some(f)
            })
            .collect()
    };
    let has = |prefix: &str, name: &str| last(cat, &format!("{prefix}{name}")).is_some();
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
    let transport = last(cat, "transport").map(|v| (v.value.to_string(), provenance(cfg, v.origin, v.template.clone(), files)));

    let mut objects = Vec::new();
    let object = |kind: &str, name: String, fields: Vec<Field>| Object {
        kind: Arc::from(kind),
        name: Arc::from(name),
        origin: Origin::Wizard,
        defined_at: here.clone(),
        fields,
    };

    // inbound auth
    let mut inbound_auth = None;
    if is_true(cat, "accepts_auth") {
        if has("inbound_auth/", "username") {
            let name = format!("{id}-iauth");
            let mut fields = vec![derived("type", "auth".into(), &here)];
            if !has("inbound_auth/", "auth_type") {
                fields.push(derived("auth_type", "userpass".into(), &here));
            }
            fields.extend(prefixed("inbound_auth/", files));
            objects.push(object("auth", name.clone(), fields));
            inbound_auth = Some(name);
        } else {
            set.rejected = true;
            set.diagnostics.push(Diagnostic {
                severity: Severity::Error,
                file: cfg.path(cat.origin.file).to_path_buf(),
                line: cat.origin.line,
                message: format!(
                    "Wizard '{id}' must have 'inbound_auth/username' if it accepts authentication."
                ),
            });
        }
    }
    // outbound auth
    let mut outbound_auth = None;
    if is_true(cat, "sends_auth") {
        if has("outbound_auth/", "username") {
            let name = format!("{id}-oauth");
            let mut fields = vec![derived("type", "auth".into(), &here)];
            if !has("outbound_auth/", "auth_type") {
                fields.push(derived("auth_type", "userpass".into(), &here));
            }
            fields.extend(prefixed("outbound_auth/", files));
            objects.push(object("auth", name.clone(), fields));
            outbound_auth = Some(name);
        } else {
            set.rejected = true;
            set.diagnostics.push(Diagnostic {
                severity: Severity::Error,
                file: cfg.path(cat.origin.file).to_path_buf(),
                line: cat.origin.line,
                message: format!(
                    "Wizard '{id}' must have 'outbound_auth/username' if it sends authentication."
                ),
            });
        }
    }

    // aor
    let mut aor = vec![derived("type", "aor".into(), &here)];
    if !is_true(cat, "accepts_registrations") {
        for host in &remote_hosts {
            let uri = if host.starts_with("sip:") || host.starts_with("sips:") {
                host.clone()
            } else {
                format!("sip:{host}")
            };
            aor.push(derived("contact", uri, &here));
        }
    }
    aor.extend(prefixed("aor/", files));
    objects.push(object("aor", id.to_string(), aor));

    // identify: a trunk that does not register to us is matched by its address
    if !remote_hosts.is_empty() && !is_true(cat, "accepts_registrations") {
        let mut fields = vec![
            derived("type", "identify".into(), &here),
            derived("endpoint", id.to_string(), &here),
        ];
        for host in &remote_hosts {
            fields.push(derived("match", host.clone(), &here));
        }
        fields.extend(prefixed("identify/", files));
        objects.push(object("identify", format!("{id}-identify"), fields));
    }

    // registrations: one per remote host
    if is_true(cat, "sends_registrations") {
        let user = last(cat, "outbound_auth/username").map_or_else(|| id.to_string(), |v| v.value.to_string());
        for (n, host) in remote_hosts.iter().enumerate() {
            let host = host.trim_start_matches("sip:");
            let mut fields = vec![
                derived("type", "registration".into(), &here),
                derived("server_uri", format!("sip:{host}"), &here),
                derived("client_uri", format!("sip:{user}@{host}"), &here),
            ];
            if let Some(a) = &outbound_auth {
                fields.push(derived("outbound_auth", a.clone(), &here));
            }
            if let Some((t, at)) = &transport {
                fields.push(derived("transport", t.clone(), at));
            }
            fields.extend(prefixed("registration/", files));
            objects.push(object("registration", format!("{id}-reg-{n}"), fields));
        }
    }

    // endpoint, last, so it can name what was made above
    let mut ep = vec![derived("type", "endpoint".into(), &here)];
    if let Some((t, at)) = &transport {
        if !has("endpoint/", "transport") {
            ep.push(derived("transport", t.clone(), at));
        }
    }
    if !has("endpoint/", "aors") {
        ep.push(derived("aors", id.to_string(), &here));
    }
    if let Some(a) = &inbound_auth {
        if !has("endpoint/", "auth") {
            ep.push(derived("auth", a.clone(), &here));
        }
    }
    if let Some(a) = &outbound_auth {
        if !has("endpoint/", "outbound_auth") {
            ep.push(derived("outbound_auth", a.clone(), &here));
        }
    }
    ep.extend(prefixed("endpoint/", files));
    objects.insert(0, object("endpoint", id.to_string(), ep));
    set.objects.extend(objects);
}

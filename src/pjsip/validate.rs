//! The checks res_pjsip makes of an object's values when it creates it: a
//! value its handler cannot parse, a required field left out, settings that
//! contradict each other. Asterisk logs why and does not create the object;
//! so does ISPBX. Each rule names the function it follows.
//!
//! What one value alone decides (an enum, an integer's range, a codec) is
//! the option table's ([`super::option_rules`]); this file holds the rules
//! that look at several options together or at what a handler does beyond
//! parsing.

use super::objects::Object;

/// An object's options as they take effect, read straight from its fields
/// (most objects are checked for a handful of options: nothing is copied).
struct Values<'o>(&'o Object);

impl<'o> Values<'o> {
    fn of(obj: &'o Object) -> Self {
        Values(obj)
    }

    /// A scalar option's value in effect: its last line.
    fn get(&self, name: &str) -> Option<String> {
        self.0.fields().rev().find(|f| f.name.eq_ignore_ascii_case(name)).map(|f| f.value.clear().to_string())
    }

    /// A list option's items from every line, joined with `,`.
    fn joined(&self, name: &str) -> Option<String> {
        let parts: Vec<&str> = self.0.fields().filter(|f| f.name.eq_ignore_ascii_case(name)).map(|f| f.value.clear()).collect();
        (!parts.is_empty()).then(|| parts.join(","))
    }
}

/// Registrations Asterisk would not start: sip_outbound_registration_regc_alloc
/// needs a transport that can carry the REGISTER (the one named, or else one
/// bound for the server URI's protocol: UDP unless it says otherwise), and
/// without one the object is dropped (Asterisk logs nothing). Returns the
/// indices into `objects` with the reason.
pub fn unsendable_registrations(objects: &[Object]) -> Vec<(usize, String)> {
    let get = |o: &Object, k: &str| o.fields().rev().find(|f| f.name.eq_ignore_ascii_case(k)).map(|f| f.value.shown().to_string());
    let transports: Vec<(&str, String)> = objects
        .iter()
        .filter(|o| &*o.kind == "transport")
        .map(|o| (&*o.name, get(o, "protocol").unwrap_or_else(|| "udp".into()).to_ascii_lowercase()))
        .collect();
    let mut out = Vec::new();
    for (i, o) in objects.iter().enumerate().filter(|(_, o)| &*o.kind == "registration") {
        if let Some(t) = get(o, "transport").filter(|t| !t.is_empty()) {
            if !transports.iter().any(|(n, _)| *n == t) {
                out.push((i, format!("outbound registration '{}' names transport '{t}', which Asterisk does not have", o.name)));
            }
            continue;
        }
        let uri = get(o, "server_uri").unwrap_or_default().to_ascii_lowercase();
        let wanted = if uri.trim_start_matches('<').starts_with("sips:") {
            "tls"
        } else if let Some(p) = uri.split(";transport=").nth(1) {
            match p.split([';', '>']).next().unwrap_or("udp") {
                "tcp" => "tcp",
                "tls" => "tls",
                "ws" => "ws",
                "wss" => "wss",
                _ => "udp",
            }
        } else {
            "udp"
        };
        if !transports.iter().any(|(_, p)| p == wanted) {
            out.push((i, format!("outbound registration '{}': no {wanted} transport to send its REGISTER over", o.name)));
        }
    }
    out
}

/// location.c: ast_sip_validate_uri_length's scheme test, `<…>` stripped first.
fn is_sip_uri(uri: &str) -> bool {
    let uri = uri.trim();
    let uri = uri.strip_prefix('<').and_then(|u| u.strip_suffix('>')).unwrap_or(uri).to_ascii_lowercase();
    uri.starts_with("sip:") || uri.starts_with("sips:")
}

/// Why Asterisk refuses to create `obj`, or `None` when it would create it.
pub fn rejection(obj: &Object) -> Option<String> {
    let values = Values::of(obj);
    let get = |k: &str| values.get(k).filter(|v| !v.is_empty());
    let name = &*obj.name;
    match &*obj.kind {
        "endpoint" => endpoint(&values, name),
        "aor" => aor(&values),
        "auth" => {
            // config_auth.c: auth_apply. userpass and md5 are read as digest;
            // md5_cred is a stored MD5 digest, as good as a password.
            if get("username").is_none() {
                return Some(format!("{name}: No authentication username"));
            }
            if get("auth_type").is_some_and(|t| t.eq_ignore_ascii_case("google_oauth")) {
                let missing = ["refresh_token", "oauth_clientid", "oauth_secret"].iter().any(|k| get(k).is_none());
                return missing.then(|| {
                    format!("{name}: 'google_oauth' authentication specified but refresh_token, oauth_clientid, or oauth_secret not specified")
                });
            }
            let credential = ["password", "md5_cred", "password_digest"].iter().any(|k| get(k).is_some());
            (!credential).then(|| format!("{name}: No plain text or digest password found for algorithm MD5"))
        }
        "identify" => {
            // res_pjsip_endpoint_identifier_ip.c: ip_identify_apply.
            if get("endpoint").is_none() {
                return Some(format!("Identify '{name}' missing required endpoint name."));
            }
            let matches = values.joined("match").unwrap_or_default();
            // ip_identify_apply: a header match is `Name: value`.
            if let Some(h) = get("match_header").filter(|h| !h.contains(':')) {
                return Some(format!("Identify '{name}' missing ':' separator in match_header '{h}'."));
            }
            if matches.split(',').all(|m| m.trim().is_empty()) && get("match_header").is_none() && get("match_request_uri").is_none() {
                return Some(format!("Identify '{name}' is not configured to match anything."));
            }
            matches
                .split(',')
                .map(str::trim)
                .filter(|m| !m.is_empty())
                .find(|m| !valid_match(m))
                .map(|m| format!("Failed to add address '{m}' to ip endpoint identifier '{name}'"))
        }
        "registration" => {
            // res_pjsip_outbound_registration.c: sip_outbound_registration_apply.
            let line = super::option_rules::is_true(get("line").unwrap_or_default().trim());
            if get("server_uri").is_none() {
                Some(format!("No server URI specified on outbound registration '{name}'"))
            } else if get("client_uri").is_none() {
                Some(format!("No client URI specified on outbound registration '{name}'"))
            } else if !get("server_uri").is_some_and(|u| is_sip_uri(&u)) {
                Some(format!("Server URI or hostname length exceeds pjproject limit or is not a sip(s) uri: '{name}'"))
            } else if !get("client_uri").is_some_and(|u| is_sip_uri(&u)) {
                Some(format!("Client URI or hostname length exceeds pjproject limit or is not a sip(s) uri: '{name}'"))
            } else if line && get("endpoint").is_none() {
                Some(format!("Line support has been enabled on outbound registration '{name}' without providing an endpoint"))
            } else if get("endpoint").is_some() && !line {
                Some(format!("An endpoint has been specified on outbound registration '{name}' without enabling line support"))
            } else {
                None
            }
        }
        "transport" => {
            // config_transport.c: transport_protocol_handler, transport_apply.
            // (An unknown protocol is the option table's to refuse.)
            let protocol = get("protocol").unwrap_or_else(|| "udp".into()).to_ascii_lowercase();
            if protocol != "flow" && get("bind").is_none() {
                return Some(format!("Transport '{name}' could not be started as binding not specified"));
            }
            // The TLS files are checked on Asterisk's disk, as Asterisk's user
            // (transport_tls_file_handler): only a file that is not there at
            // all is sure to be refused.
            for file in ["cert_file", "priv_key_file", "ca_list_file", "ca_list_path"] {
                if let Some(path) = get(file) {
                    if std::path::Path::new(&path).is_absolute() && !std::path::Path::new(&path).exists() {
                        return Some(format!("Transport: {name}: {file} {path} is either missing or not readable"));
                    }
                }
            }
            None
        }
        "domain_alias" => {
            // config_domain_aliases.c: domain_alias_apply.
            get("domain").is_none().then(|| format!("domain_alias '{name}' missing required domain being aliased."))
        }
        _ => None,
    }
}

fn endpoint(values: &Values, name: &str) -> Option<String> {
    let get = |k: &str| values.get(k);
    // pjsip_configuration.c: sip_endpoint_apply_handler.
    let min_se = uint(&get("timers_min_se").unwrap_or_else(|| "90".into()));
    let sess_expires = uint(&get("timers_sess_expires").unwrap_or_else(|| "1800".into()));
    match (min_se, sess_expires) {
        (Some(min), _) if min < 90 => return Some(format!("Session timer minimum expires time must be 90 or greater on endpoint '{name}'")),
        (Some(min), Some(exp)) if exp < min => {
            return Some(format!("Session timer expires must be greater than minimum session expires time on endpoint '{name}'"))
        }
        (None, _) | (_, None) => return Some(format!("Endpoint '{name}': session timer values must be unsigned integers")),
        _ => {}
    }
    // pjsip_configuration.c: sip_endpoint_apply_handler's RTP port range.
    let port = |k: &str| get(k).map_or(Some(0), |v| uint(&v));
    match (port("rtp_port_start"), port("rtp_port_end")) {
        (Some(0), Some(0)) => None,
        (Some(start), Some(end)) if start == 0 || end == 0 => Some(format!("Endpoint '{name}': Both rtp_port_start and rtp_port_end must be set together")),
        (Some(start), Some(end)) if start < 1024 || end < 1024 => Some(format!("Endpoint '{name}': rtp_port_start and rtp_port_end must be at least 1024")),
        (Some(start), Some(end)) if end <= start => Some(format!("Endpoint '{name}': rtp_port_end ({end}) must be greater than rtp_port_start ({start})")),
        (Some(_), Some(_)) => None,
        _ => Some(format!("Endpoint '{name}': rtp_port_start and rtp_port_end must be unsigned integers")),
    }
}

fn aor(values: &Values) -> Option<String> {
    // location.c: permanent_uri_handler.
    let contacts = values.joined("contact").unwrap_or_default();
    contacts
        .split(',')
        .map(str::trim)
        .filter(|c| !c.is_empty())
        .find(|c| !is_sip_uri(c))
        .map(|c| format!("Contact uri or hostname length exceeds pjproject limit or is not a sip(s) uri: {c}"))
}

/// The formats Asterisk's format cache holds (format_cache.c, codec_builtin.c).
const FORMATS: &[&str] = &[
    "codec2", "g723", "ulaw", "alaw", "gsm", "g726", "g726aal2", "adpcm", "slin", "slin12", "slin16", "slin24", "slin32", "slin44",
    "slin48", "slin96", "slin192", "lpc10", "g729", "speex", "speex16", "speex32", "ilbc", "g722", "siren7", "siren14", "g719", "opus",
    "jpeg", "png", "h261", "h263", "h263p", "h264", "h265", "mpeg4", "vp8", "vp9", "red", "t140", "t38", "none", "silk8", "silk12",
    "silk16", "silk24",
];

/// The items of an allow/disallow line as ast_format_cap_update_by_allow_disallow
/// cuts them: the outer `(…)` goes, then `,` or `|` separate, blanks trimmed.
pub(crate) fn codec_items(list: &str) -> impl Iterator<Item = &str> {
    let blank = |c: char| (c as u32) < 33;
    let list = if list.len() >= 2 && list.starts_with('(') && list.ends_with(')') { &list[1..list.len() - 1] } else { list };
    list.split([',', '|']).map(move |i| i.trim_matches(blank))
}

/// The first item of an allow/disallow list Asterisk cannot parse.
pub(crate) fn bad_codec(list: &str) -> Option<String> {
    for item in codec_items(list) {
        let codec = item.strip_prefix('!').unwrap_or(item);
        let codec = match codec.rsplit_once(':') {
            // sscanf("%30d"): a number must lead; nothing at all reads as EOF and passes.
            Some((c, framing)) => {
                let f = framing.trim_start();
                let digits = f.strip_prefix(['-', '+']).unwrap_or(f);
                if !framing.is_empty() && !digits.starts_with(|c: char| c.is_ascii_digit()) || framing.trim_start().starts_with('-') {
                    return Some(item.to_string());
                }
                c
            }
            None => codec,
        };
        if !codec.eq_ignore_ascii_case("all") && !FORMATS.iter().any(|f| f.eq_ignore_ascii_case(codec)) {
            return Some(item.to_string());
        }
    }
    None
}

/// ast_parse_arg(PARSE_UINT32): strtoul with base 0, no sign, nothing after.
fn uint(v: &str) -> Option<u32> {
    if v.trim_start().starts_with('-') {
        return None;
    }
    super::option_rules::c_integer(v).and_then(|n| u32::try_from(n).ok())
}

/// An identify match as res_pjsip_endpoint_identifier_ip reads it: an
/// optional `!`, an address (IPv4 with an optional `:port`, IPv6 bare or in
/// brackets with an optional port, a zone allowed), and an optional mask:
/// a prefix length or an address of the same family. Names are resolved by
/// Asterisk and taken as they are.
pub(crate) fn valid_match(m: &str) -> bool {
    let m = m.trim();
    let m = m.strip_prefix('!').unwrap_or(m).trim();
    let (addr, mask) = match m.split_once('/') {
        Some((a, k)) => (a, Some(k)),
        None => (m, None),
    };
    let host = if let Some(rest) = addr.strip_prefix('[') {
        rest.split_once(']').map_or(rest, |(h, _)| h)
    } else if addr.matches(':').count() == 1 {
        addr.split_once(':').map_or(addr, |(h, _)| h)
    } else {
        addr
    };
    let is_name = !host.is_empty() && host.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'.') && !host.bytes().all(|b| b.is_ascii_digit() || b == b'.');
    if is_name && mask.is_none() {
        return true;
    }
    ha_address(host, mask)
}

/// One item of an ACL as acl.c's ast_append_ha reads it, blanks and all:
/// an optional `!`, a numeric address without a port, an optional mask.
pub(crate) fn valid_ha(item: &str) -> bool {
    let item = item.strip_prefix('!').unwrap_or(item);
    let (addr, mask) = match item.split_once('/') {
        Some((a, k)) => (a, Some(k)),
        None => (item, None),
    };
    let host = addr.strip_prefix('[').and_then(|r| r.strip_suffix(']')).unwrap_or(addr);
    ha_address(host, mask)
}

/// A numeric address and its mask (append_ha_core, parse_cidr_mask): an
/// IPv4-mapped IPv6 address is taken as IPv4, so its mask must fit 32 bits.
fn ha_address(host: &str, mask: Option<&str>) -> bool {
    let v6 = host.split_once('%').map_or(host, |(h, _)| h).parse::<std::net::Ipv6Addr>().ok();
    let v4 = inet_aton(host).is_some() || v6.is_some_and(|a| a.to_ipv4_mapped().is_some());
    if !v4 && v6.is_none() {
        return false;
    }
    match mask {
        None => true,
        Some(k) if k.contains('.') || k.contains(':') => if v4 { inet_aton(k).is_some() } else { k.parse::<std::net::Ipv6Addr>().is_ok() },
        // sscanf("%30d"): the leading digits.
        Some(k) => {
            let digits: String = k.chars().take_while(char::is_ascii_digit).collect();
            digits.parse::<u32>().is_ok_and(|bits| bits <= if v4 { 32 } else { 128 })
        }
    }
}

/// inet_aton, as getaddrinfo reads a numeric IPv4 host: one to four parts,
/// each decimal, octal (leading 0) or hex (0x), the last filling the rest.
fn inet_aton(s: &str) -> Option<u32> {
    let parts: Vec<&str> = s.split('.').collect();
    if parts.is_empty() || parts.len() > 4 {
        return None;
    }
    let mut values = Vec::with_capacity(4);
    for p in &parts {
        let (digits, radix) = if let Some(h) = p.strip_prefix("0x").or_else(|| p.strip_prefix("0X")) {
            (h, 16)
        } else if p.len() > 1 && p.starts_with('0') {
            (&p[1..], 8)
        } else {
            (*p, 10)
        };
        if digits.is_empty() && radix != 16 && !p.is_empty() {
            values.push(0u64);
            continue;
        }
        if digits.is_empty() || !digits.chars().all(|c| c.is_digit(radix)) {
            return None;
        }
        values.push(u64::from_str_radix(digits, radix).ok()?);
    }
    let (last, init) = values.split_last()?;
    if init.iter().any(|v| *v > 255) || *last >= 1u64 << (8 * (4 - init.len())) {
        return None;
    }
    let mut out: u64 = 0;
    for (i, v) in init.iter().enumerate() {
        out |= v << (24 - 8 * i);
    }
    Some((out | last) as u32)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codec_lists_are_parsed_as_format_cap_does() {
        assert_eq!(bad_codec("ulaw,alaw"), None);
        assert_eq!(bad_codec("!all,ULAW:20"), None);
        assert_eq!(bad_codec(""), Some(String::new()));
        assert_eq!(bad_codec("ulaw,"), Some(String::new()));
        assert_eq!(bad_codec("ulawalaw"), Some("ulawalaw".into()));
        assert_eq!(bad_codec("ulaw:abc"), Some("ulaw:abc".into()));
    }

    #[test]
    fn unsigned_values_read_as_strtoul_base_0() {
        assert_eq!(uint("010"), Some(8));
        assert_eq!(uint("0x10"), Some(16));
        assert_eq!(uint("0"), Some(0));
        assert_eq!(uint("-1"), None);
        assert_eq!(uint("5x"), None);
        assert_eq!(uint("abc"), None);
    }

    #[test]
    fn identify_masks() {
        assert!(valid_match("192.0.2.10/24"));
        assert!(!valid_match("192.0.2.10/33"));
        assert!(valid_match("192.0.2.0/255.255.255.0"));
        assert!(valid_match("2001:db8::/64"));
        assert!(valid_match("3.2.1.0:5061/24"));
        assert!(valid_match("!192.0.2.0/24"));
        assert!(valid_match("[2001:db8::1]:5060/64"));
        assert!(valid_match("2001:db8::/ffff:ffff::"));
        assert!(valid_match("192.000.002.010"));
        assert!(valid_match("pbx.example.net"));
        // Recorded from Asterisk 22.10.1 (fidelity cases 101, 102).
        assert!(!valid_match("192.0.2.08/32"));
        assert!(valid_match("127.1/32"));
        assert!(valid_match("fe80::1%lo/64"));
        assert!(!valid_match("192.0.2.0 /24"));
        assert!(!valid_match("::ffff:192.0.2.1/128"));
        assert!(valid_ha("10.0.0.0/8") && !valid_ha(" 192.168.0.0/16") && !valid_ha("10.0.0.1:5060"));
    }
}

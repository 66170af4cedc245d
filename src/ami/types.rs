//! Typed items of the event lists and events the live state needs, read from
//! messages as Asterisk 22 shapes them (see docs/asterisk-notes.md, "Event and
//! field names"). Unknown fields are ignored; missing ones default.

use super::message::Message;

fn s(m: &Message, k: &str) -> String {
    m.get(k).unwrap_or("").to_string()
}

fn opt(m: &Message, k: &str) -> Option<String> {
    m.get(k).filter(|v| !v.is_empty()).map(str::to_string)
}

fn num<T: std::str::FromStr + Default>(m: &Message, k: &str) -> T {
    m.get(k).and_then(|v| v.trim().parse().ok()).unwrap_or_default()
}

fn list(v: &str) -> Vec<String> {
    v.split(',').map(str::trim).filter(|x| !x.is_empty()).map(str::to_string).collect()
}

/// The items of an event list that are `event`s, decoded: a list also holds
/// its own start and `…Complete` messages.
pub fn items_of<T>(list: &[Message], event: &str, decode: fn(&Message) -> T) -> Vec<T> {
    list.iter().filter(|m| m.event() == Some(event)).map(decode).collect()
}

/// The header a sorcery field is sent under in AMI detail events
/// (ast_sip_sorcery_object_to_ami uses ast_to_camel_case):
/// `rtp_symmetric` → `RtpSymmetric`, `100rel` → `100rel`.
pub fn field_name(option: &str) -> String {
    option
        .split('_')
        .filter(|p| !p.is_empty())
        .map(|p| {
            let mut c = p.chars();
            c.next().map(|f| f.to_ascii_uppercase().to_string() + c.as_str()).unwrap_or_default()
        })
        .collect()
}

/// `PJSIP/1001-0000000b` → `1001`; `PJSIP/1001` → `1001`.
pub fn endpoint_of_channel(channel: &str) -> Option<&str> {
    let rest = channel.strip_prefix("PJSIP/")?;
    Some(match rest.rfind('-') {
        Some(i) if rest[i + 1..].bytes().all(|b| b.is_ascii_hexdigit()) && i + 1 < rest.len() => &rest[..i],
        _ => rest,
    })
}

/// One `EndpointList` event (PJSIPShowEndpoints).
#[derive(Clone, Debug, Default, PartialEq)]
pub struct EndpointList {
    pub name: String,
    pub transport: String,
    pub aors: Vec<String>,
    pub auths: Vec<String>,
    pub outbound_auths: Vec<String>,
    /// (aor, uri) pairs, from `aor/uri,` with its trailing comma.
    pub contacts: Vec<(String, String)>,
    pub device_state: String,
    pub active_channels: u32,
}

impl EndpointList {
    pub fn from_message(m: &Message) -> Self {
        EndpointList {
            name: s(m, "ObjectName"),
            transport: s(m, "Transport"),
            aors: list(m.get("Aor").unwrap_or("")),
            auths: list(m.get("Auths").unwrap_or("")),
            outbound_auths: list(m.get("OutboundAuths").unwrap_or("")),
            // One Contacts header per AOR (res_pjsip's sip_endpoints_aors_ami).
            contacts: m
                .get_all("Contacts")
                .flat_map(list)
                .filter_map(|c| c.split_once('/').map(|(a, u)| (a.to_string(), u.to_string())))
                .collect(),
            device_state: s(m, "DeviceState"),
            active_channels: num(m, "ActiveChannels"),
        }
    }
}

/// One `ContactList` event (PJSIPShowContacts): dynamic contacts only.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct ContactList {
    pub id: String,
    pub aor: String,
    pub endpoint: String,
    pub uri: String,
    pub via: Option<String>,
    pub user_agent: Option<String>,
    pub status: String,
    pub rtt_us: u64,
    pub expires: Option<u64>,
}

impl ContactList {
    pub fn from_message(m: &Message) -> Self {
        let id = s(m, "ObjectName");
        // IDs look like `1001;@05b1…` (the AOR, then a hash).
        let aor = id.split(";@").next().unwrap_or("").to_string();
        let via = match (opt(m, "ViaAddr"), opt(m, "ViaPort")) {
            (Some(a), Some(p)) if p != "0" => Some(format!("{a}:{p}")),
            (Some(a), _) => Some(a),
            _ => None,
        };
        ContactList {
            aor,
            endpoint: s(m, "Endpoint"),
            uri: s(m, "Uri"),
            via,
            user_agent: opt(m, "UserAgent"),
            status: s(m, "Status"),
            rtt_us: num(m, "RoundtripUsec"),
            expires: m.get("ExpirationTime").and_then(|v| v.parse().ok()).filter(|&v| v > 0),
            id,
        }
    }
}

/// One `ContactStatusDetail` (PJSIPShowEndpoint).
#[derive(Clone, Debug, Default, PartialEq)]
pub struct ContactStatusDetail {
    pub aor: String,
    pub uri: String,
    pub user_agent: Option<String>,
    pub via: Option<String>,
    pub status: String,
    pub rtt_us: u64,
    pub expires: Option<u64>,
    pub endpoint: String,
}

impl ContactStatusDetail {
    pub fn from_message(m: &Message) -> Self {
        ContactStatusDetail {
            aor: s(m, "AOR"),
            uri: s(m, "URI"),
            user_agent: opt(m, "UserAgent"),
            via: opt(m, "ViaAddress"),
            status: s(m, "Status"),
            rtt_us: num(m, "RoundtripUsec"),
            expires: m.get("RegExpire").and_then(|v| v.parse().ok()).filter(|&v| v > 0),
            endpoint: s(m, "EndpointName"),
        }
    }
}

/// One `CoreShowChannel` (CoreShowChannels).
#[derive(Clone, Debug, Default, PartialEq)]
pub struct CoreShowChannel {
    pub channel: String,
    pub uniqueid: String,
    pub state: String,
    pub caller_id_num: String,
    /// C-escaped by Asterisk (`Bob O\'Brien`): kept as sent.
    pub caller_id_name: String,
    pub exten: String,
    pub application: String,
    pub duration: String,
}

impl CoreShowChannel {
    pub fn from_message(m: &Message) -> Self {
        CoreShowChannel {
            channel: s(m, "Channel"),
            uniqueid: s(m, "Uniqueid"),
            state: s(m, "ChannelStateDesc"),
            caller_id_num: s(m, "CallerIDNum"),
            caller_id_name: s(m, "CallerIDName"),
            exten: s(m, "Exten"),
            application: s(m, "Application"),
            duration: s(m, "Duration"),
        }
    }
}

/// `DeviceStateChange` events and `DeviceStateList` items.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct DeviceStateChange {
    pub device: String,
    /// devicestate.c's spelling: NOT_INUSE, INUSE, UNAVAILABLE…
    pub state: String,
}

impl DeviceStateChange {
    pub fn from_message(m: &Message) -> Self {
        DeviceStateChange { device: s(m, "Device"), state: s(m, "State") }
    }

    /// The EndpointList spelling of the same state.
    pub fn endpoint_spelling(&self) -> &'static str {
        match self.state.as_str() {
            "NOT_INUSE" => "Not in use",
            "INUSE" => "In use",
            "BUSY" => "Busy",
            "INVALID" => "Invalid",
            "UNAVAILABLE" => "Unavailable",
            "RINGING" => "Ringing",
            "RINGINUSE" => "Ring+Inuse",
            "ONHOLD" => "On Hold",
            _ => "Unknown",
        }
    }
}

/// `ContactStatus` events.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct ContactStatus {
    pub uri: String,
    pub status: String,
    pub aor: String,
    pub endpoint: String,
    pub rtt_us: u64,
}

impl ContactStatus {
    pub fn from_message(m: &Message) -> Self {
        ContactStatus {
            uri: s(m, "URI"),
            status: s(m, "ContactStatus"),
            aor: s(m, "AOR"),
            endpoint: s(m, "EndpointName"),
            rtt_us: num(m, "RoundtripUsec"),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn field_names_are_camel_cased_as_asterisk_does() {
        assert_eq!(field_name("rtp_symmetric"), "RtpSymmetric");
        assert_eq!(field_name("ignore_183_without_sdp"), "Ignore183WithoutSdp");
        assert_eq!(field_name("100rel"), "100rel");
        assert_eq!(field_name("t38_udptl_maxdatagram"), "T38UdptlMaxdatagram");
    }

    #[test]
    fn channel_names_map_to_endpoints() {
        assert_eq!(endpoint_of_channel("PJSIP/1001-0000000b"), Some("1001"));
        assert_eq!(endpoint_of_channel("PJSIP/provider-trunk-0000000c"), Some("provider-trunk"));
        assert_eq!(endpoint_of_channel("PJSIP/wiz-trunk"), Some("wiz-trunk"));
        assert_eq!(endpoint_of_channel("Local/600@x-00000001;1"), None);
    }

    #[test]
    fn an_endpoint_list_item_has_one_contacts_header_per_aor() {
        let m = Message::new(
            [("Event", "EndpointList"), ("ObjectName", "door"), ("Aor", "door,gate"), ("Contacts", "door/sip:d@192.0.2.1,"), ("Contacts", "gate/sip:g@192.0.2.2,")]
                .iter()
                .map(|(k, v)| (k.to_string(), v.to_string()))
                .collect(),
        );
        let e = EndpointList::from_message(&m);
        assert_eq!(e.contacts, [("door".to_string(), "sip:d@192.0.2.1".to_string()), ("gate".to_string(), "sip:g@192.0.2.2".to_string())]);
    }
}

//! Which options each res_pjsip object type accepts (res/res_pjsip/pjsip_config.xml
//! and the modules that register the other types), which of them accumulate. Which are
//! secrets is [`crate::secret`]'s rule, for every type alike.

/// The object types res_pjsip and its modules load from pjsip.conf, with their options.
pub fn options(kind: &str) -> Option<&'static [&'static str]> {
    Some(match kind {
        "endpoint" => ENDPOINT,
        "aor" => AOR,
        "auth" => AUTH,
        "transport" => TRANSPORT,
        "identify" => IDENTIFY,
        "registration" => REGISTRATION,
        "domain_alias" => &["type", "domain"],
        "global" => GLOBAL,
        "system" => SYSTEM,
        "acl" => &["type", "acl", "permit", "deny", "contact_acl", "contact_permit", "contact_deny"],
        "resource_list" => &[
            "type",
            "event",
            "list_item",
            "full_state",
            "notification_batch_interval",
            "resource_display_name",
        ],
        "outbound-publish" => &[
            "type",
            "expiration",
            "outbound_auth",
            "outbound_proxy",
            "server_uri",
            "from_uri",
            "to_uri",
            "event",
            "max_auth_attempts",
            "transport",
            "multi_user",
        ],
        "inbound-publication" => &["type", "endpoint"],
        "asterisk-publication" => &[
            "type",
            "devicestate_publish",
            "mailboxstate_publish",
            "device_state",
            "device_state_filter",
            "mailbox_state",
            "mailbox_state_filter",
        ],
        // res_phoneprov passes every option through to the phone's template.
        "phoneprov" => &[],
        _ => return None,
    })
}

/// Types whose options are free-form.
/// Every type [`options`] knows.
pub const TYPES: &[&str] = &[
    "endpoint", "aor", "auth", "transport", "identify", "registration", "domain_alias", "global",
    "system", "acl", "resource_list", "outbound-publish", "inbound-publication",
    "asterisk-publication", "phoneprov",
];

/// Whether `kind` accepts an option `name` (compared case-insensitively, as sorcery does).
pub fn is_known_option(kind: &str, name: &str) -> bool {
    use rustc_hash::{FxHashMap, FxHashSet};
    use std::sync::OnceLock;
    static INDEX: OnceLock<FxHashMap<&'static str, FxHashSet<&'static str>>> = OnceLock::new();
    if accepts_any_option(kind) {
        return true;
    }
    let index = INDEX.get_or_init(|| {
        TYPES
            .iter()
            .map(|k| (*k, options(k).unwrap_or(&[]).iter().copied().collect()))
            .collect()
    });
    let Some(set) = index.get(kind) else { return false };
    set.contains(&*lower(name))
}

/// Option names are nearly always written in lower case already: no allocation then.
fn lower(name: &str) -> std::borrow::Cow<'_, str> {
    if name.bytes().any(|b| b.is_ascii_uppercase()) {
        std::borrow::Cow::Owned(name.to_ascii_lowercase())
    } else {
        std::borrow::Cow::Borrowed(name)
    }
}

pub fn accepts_any_option(kind: &str) -> bool {
    kind == "phoneprov"
}

/// Options whose every occurrence counts, in order (the others: the last one wins).
pub fn is_list_option(kind: &str, name: &str) -> bool {
    matches!(
        (kind, &*lower(name)),
        (_, "allow" | "disallow")
            | (
                "endpoint" | "acl",
                "set_var" | "permit" | "deny" | "contact_permit" | "contact_deny" | "acl" | "contact_acl"
            )
            | ("identify", "match" | "match_header")
            | ("aor", "contact")
            | ("transport", "local_net")
            | ("resource_list", "list_item")
    )
}

const ENDPOINT: &[&str] = &[
    "type", "100rel", "accept_multiple_sdp_answers", "accountcode", "acl", "aggregate_mwi", "allow",
    "allow_overlap", "allow_subscribe", "allow_transfer", "allow_unauthenticated_options", "aors",
    "asymmetric_rtp_codec", "auth", "bind_rtp_to_media_address", "bundle", "call_group", "callerid",
    "callerid_privacy", "callerid_tag", "codec_prefs_incoming_answer", "codec_prefs_incoming_offer",
    "codec_prefs_outgoing_answer", "codec_prefs_outgoing_offer", "connected_line_method",
    "contact_acl", "contact_deny", "contact_permit", "context", "cos_audio", "cos_video", "deny",
    "device_state_busy_at", "direct_media", "direct_media_glare_mitigation", "direct_media_method",
    "disable_direct_media_on_nat", "disallow", "dtls_auto_generate_cert", "dtls_ca_file",
    "dtls_ca_path", "dtls_cert_file", "dtls_cipher", "dtls_fingerprint", "dtls_private_key",
    "dtls_rekey", "dtls_setup", "dtls_verify", "dtmf_mode", "fax_detect", "fax_detect_timeout",
    "follow_early_media_fork", "follow_redirect_methods", "force_avp", "force_rport", "from_domain",
    "from_user", "g726_non_standard", "geoloc_incoming_call_profile", "geoloc_outgoing_call_profile",
    "ice_support", "identify_by", "ignore_183_without_sdp", "inband_progress",
    "incoming_call_offer_pref", "incoming_mwi_mailbox", "language", "mailboxes", "max_audio_streams",
    "max_video_streams", "media_address", "media_encryption", "media_encryption_optimistic",
    "media_use_received_transport", "message_context", "moh_passthrough", "moh_suggest",
    "mwi_from_user", "mwi_subscribe_replaces_unsolicited", "named_call_group", "named_pickup_group",
    "notify_early_inuse_ringing", "one_touch_recording", "outbound_auth", "outbound_proxy",
    "outgoing_call_offer_pref", "overlap_context", "permit", "pickup_group", "preferred_codec_only",
    "record_off_feature", "record_on_feature", "redirect_method", "refer_blind_progress",
    "rewrite_contact", "rpid_immediate", "rtcp_mux", "rtp_engine", "rtp_ipv6", "rtp_keepalive",
    "rtp_port_end", "rtp_port_start", "rtp_symmetric", "rtp_timeout", "rtp_timeout_hold",
    "sdp_owner", "sdp_session", "security_mechanisms", "security_negotiation", "send_aoc",
    "send_connected_line", "send_diversion", "send_history_info", "send_pai", "send_rpid", "set_var",
    "srtp_tag_32", "stir_shaken", "stir_shaken_profile", "sub_min_expiry", "subscribe_context",
    "suppress_moh_on_sendonly", "suppress_q850_reason_headers", "t38_bind_udptl_to_media_address",
    "t38_udptl", "t38_udptl_ec", "t38_udptl_ipv6", "t38_udptl_maxdatagram", "t38_udptl_nat",
    "tenantid", "timers", "timers_min_se", "timers_sess_expires", "tone_zone", "tos_audio",
    "tos_video", "transport", "trust_connected_line", "trust_id_inbound", "trust_id_outbound",
    "use_avpf", "use_ptime", "user_eq_phone", "voicemail_extension", "webrtc",
    // accepted for compatibility (deprecated aliases)
    "mwi_subscribe_replaces_unsolicited", "media_encryption_optimistic",
];

const AOR: &[&str] = &[
    "type", "authenticate_qualify", "contact", "default_expiration", "mailboxes", "max_contacts",
    "maximum_expiration", "minimum_expiration", "outbound_proxy", "qualify_2xx_only",
    "qualify_frequency", "qualify_timeout", "remove_existing", "remove_unavailable", "support_path",
    "voicemail_extension",
];

const AUTH: &[&str] = &[
    "type", "auth_type", "md5_cred", "nonce_lifetime", "oauth_clientid", "oauth_secret", "password",
    "password_digest", "realm", "refresh_token", "supported_algorithms_uac",
    "supported_algorithms_uas", "username",
];

const TRANSPORT: &[&str] = &[
    "type", "allow_reload", "allow_wildcard_certs", "async_operations", "bind", "ca_list_file",
    "ca_list_path", "cert_file", "cipher", "cos", "domain", "external_media_address",
    "external_signaling_address", "external_signaling_port", "iptos", "local_net", "method",
    "password", "priv_key_file", "protocol", "require_client_cert", "symmetric_transport", "tcp_keepalive_enable",
    "tcp_keepalive_idle_time", "tcp_keepalive_interval_time", "tcp_keepalive_probe_count", "tos",
    "verify_client", "verify_server", "websocket_write_timeout",
];

const IDENTIFY: &[&str] = &["type", "endpoint", "match", "match_header", "match_request_uri", "srv_lookups"];

const REGISTRATION: &[&str] = &[
    "type", "auth_rejection_permanent", "client_uri", "contact_header_params", "contact_user",
    "endpoint", "expiration", "fatal_retry_interval", "forbidden_retry_interval", "line",
    "max_random_initial_delay", "max_retries", "outbound_auth", "outbound_proxy", "retry_interval",
    "security_negotiation", "security_mechanisms", "server_uri", "support_outbound", "support_path",
    "transport", "user_agent",
];

const GLOBAL: &[&str] = &[
    "type", "all_codecs_on_empty_reinvite", "allow_sending_180_after_183", "contact_expiration_check_interval",
    "debug", "default_from_user", "default_outbound_endpoint", "default_realm", "default_voicemail_extension",
    "disable_multi_domain", "disable_rport", "endpoint_identifier_order", "ignore_uri_user_options",
    "keep_alive_interval", "max_forwards", "max_initial_qualify_time", "mwi_disable_initial_unsolicited",
    "mwi_tps_queue_high", "mwi_tps_queue_low", "norefersub", "regcontext", "send_contact_status_on_update_registration",
    "taskprocessor_overload_trigger", "unidentified_request_count", "unidentified_request_period",
    "unidentified_request_prune_interval", "use_callerid_contact", "user_agent", "noanswer_reason_header",
];

const SYSTEM: &[&str] = &[
    "type", "accept_multiple_sdp_answers", "compact_headers", "disable_tcp_switch", "follow_early_media_fork",
    "threadpool_auto_increment", "threadpool_idle_timeout", "threadpool_initial_size", "threadpool_max_size",
    "timer_b", "timer_t1", "disable_rport",
];

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn list_options_accumulate_and_scalars_do_not() {
        assert!(is_list_option("endpoint", "allow"));
        assert!(is_list_option("endpoint", "set_var"));
        assert!(is_list_option("identify", "match"));
        assert!(is_list_option("aor", "contact"));
        assert!(is_list_option("transport", "local_net"));
        assert!(!is_list_option("endpoint", "context"));
        assert!(!is_list_option("identify", "srv_lookups"));
    }

    #[test]
    fn every_type_is_indexed_and_names_are_lower_case() {
        for kind in TYPES {
            for o in options(kind).unwrap() {
                assert_eq!(*o, o.to_ascii_lowercase());
                assert!(is_known_option(kind, o) && is_known_option(kind, &o.to_ascii_uppercase()));
            }
        }
        assert!(!is_known_option("endpoint", "alow"));
    }
}

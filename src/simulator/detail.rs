//! PJSIPShowEndpoint's detail events, shaped like Asterisk 22's: every
//! header in its order (sorcery's field order, which the build fixes;
//! recorded in tests/fixtures/ami/11_pjsipshowendpoint_1001.response and
//! 13_…provider_trunk), with the configured value of each option, and what
//! res_pjsip adds itself (device state, contact counts, the endpoint's name).
//! Options not set show empty, where Asterisk shows its default.

use super::msg;
use crate::ami::Message;
use crate::pjsip::objects::Object;

pub(super) const ENDPOINT: &[&str] = &[
    "RpidImmediate", "Webrtc", "Ignore183WithoutSdp", "SendAoc", "DeviceStateBusyAt",
    "T38UdptlMaxdatagram", "CodecPrefsIncomingAnswer", "SecurityNegotiation", "DtlsRekey",
    "RtpPortEnd", "NamedPickupGroup", "DirectMediaMethod", "SendRpid", "PickupGroup", "SdpSession",
    "DtlsVerify", "MessageContext", "Tenantid", "Mailboxes", "RecordOnFeature", "DtlsPrivateKey",
    "DtlsFingerprint", "OverlapContext", "OutgoingCallOfferPref", "RtpPortStart", "FromDomain",
    "TimersSessExpires", "NamedCallGroup", "DtlsCipher", "MediaEncryptionOptimistic",
    "SuppressQ850ReasonHeaders", "Aors", "IdentifyBy", "CalleridPrivacy",
    "MwiSubscribeReplacesUnsolicited", "CosAudio", "FollowEarlyMediaFork", "Context",
    "RtpSymmetric", "Transport", "MohSuggest", "T38Udptl", "FaxDetect",
    "T38BindUdptlToMediaAddress", "TosVideo", "SrtpTag32", "ReferBlindProgress", "MaxAudioStreams",
    "Bundle", "UseAvpf", "CallGroup", "SendConnectedLine", "FaxDetectTimeout", "SdpOwner",
    "ForceRport", "CalleridTag", "RtpTimeoutHold", "SuppressMohOnSendonly", "UsePtime",
    "MediaAddress", "VoicemailExtension", "RtpTimeout", "StirShaken", "SetVar", "ContactAcl",
    "PreferredCodecOnly", "GeolocOutgoingCallProfile", "ForceAvp", "RecordOffFeature", "FromUser",
    "SendDiversion", "SendHistoryInfo", "T38UdptlIpv6", "ToneZone", "Language", "AllowSubscribe",
    "RtpIpv6", "Callerid", "MohPassthrough", "CosVideo", "DtlsAutoGenerateCert",
    "AsymmetricRtpCodec", "GeolocIncomingCallProfile", "IceSupport", "AggregateMwi",
    "OneTouchRecording", "MwiFromUser", "RedirectMethod", "Accountcode", "CodecPrefsOutgoingAnswer",
    "Allow", "RewriteContact", "UserEqPhone", "RtpEngine", "FollowRedirectMethods",
    "SubscribeContext", "NotifyEarlyInuseRinging", "IncomingMwiMailbox", "IncomingCallOfferPref",
    "AllowUnauthenticatedOptions", "Auth", "DirectMediaGlareMitigation", "TrustIdInbound",
    "StirShakenProfile", "BindRtpToMediaAddress", "DisableDirectMediaOnNat", "MediaEncryption",
    "MediaUseReceivedTransport", "AllowOverlap", "DtmfMode", "OutboundAuth", "TosAudio",
    "DtlsCertFile", "DtlsCaPath", "DtlsSetup", "ConnectedLineMethod", "G726NonStandard", "100rel",
    "Timers", "DirectMedia", "Acl", "TimersMinSe", "TrustIdOutbound", "SubMinExpiry", "RtcpMux",
    "MaxVideoStreams", "AcceptMultipleSdpAnswers", "CodecPrefsIncomingOffer",
    "CodecPrefsOutgoingOffer", "TrustConnectedLine", "SendPai", "RtpKeepalive", "T38UdptlEc",
    "T38UdptlNat", "AllowTransfer", "DtlsCaFile", "OutboundProxy", "InbandProgress", "DeviceState",
    "ActiveChannels",
];

pub(super) const AUTH: &[&str] = &[
    "OauthSecret", "PasswordDigest", "SupportedAlgorithmsUas", "RefreshToken", "Username",
    "Md5Cred", "Realm", "AuthType", "Password", "SupportedAlgorithmsUac", "NonceLifetime",
    "OauthClientid", "EndpointName",
];

pub(super) const TRANSPORT: &[&str] = &[
    "WebsocketWriteTimeout", "Cos", "TcpKeepaliveEnable", "Protocol", "SymmetricTransport",
    "Domain", "VerifyServer", "LocalNet", "Bind", "AllowWildcardCerts", "TcpKeepaliveIntervalTime",
    "AsyncOperations", "ExternalMediaAddress", "Method", "ExternalSignalingAddress",
    "RequireClientCert", "TcpKeepaliveIdleTime", "Tos", "CaListPath", "Cipher", "CertFile",
    "ExternalSignalingPort", "Password", "AllowReload", "VerifyClient", "TcpKeepaliveProbeCount",
    "PrivKeyFile", "CaListFile", "EndpointName",
];

pub(super) const AOR: &[&str] = &[
    "MinimumExpiration", "DefaultExpiration", "QualifyTimeout", "Qualify2xxOnly", "Mailboxes",
    "SupportPath", "RemoveUnavailable", "VoicemailExtension", "MaxContacts", "AuthenticateQualify",
    "Contacts", "MaximumExpiration", "QualifyFrequency", "RemoveExisting", "OutboundProxy",
    "TotalContacts", "ContactsRegistered", "EndpointName",
];

pub(super) const IDENTIFY: &[&str] = &[
    "Match", "MatchRequestUri", "SrvLookups", "Endpoint", "MatchHeader", "EndpointName",
];

/// A detail event for a sorcery object: `headers` in order, each the
/// object's option of that name or else what `special` gives (or empty).
/// Secrets come through `Object::get` redacted: the simulator's AMI never
/// carries the config's passwords, though Asterisk's does.
pub(super) fn object_event(event: &str, obj: &Object, headers: &[&str], special: impl Fn(&str) -> Option<String>) -> Message {
    let options: Vec<(String, String)> =
        obj.effective().iter().filter_map(|e| obj.get(&e.name).map(|v| (crate::ami::types::field_name(&e.name), v))).collect();
    let mut pairs: Vec<(String, String)> = vec![
        ("Event".into(), event.into()),
        ("ObjectType".into(), obj.kind.to_string()),
        ("ObjectName".into(), obj.name.to_string()),
    ];
    for &h in headers {
        let value = special(h).or_else(|| options.iter().find(|(k, _)| k == h).map(|(_, v)| v.clone())).unwrap_or_default();
        pairs.push((h.into(), value));
    }
    let refs: Vec<(&str, &str)> = pairs.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect();
    msg(&refs)
}

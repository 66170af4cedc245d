//! The client's address, which the login limit, the request rate and the
//! audit log count by. Behind a reverse proxy every connection comes from
//! the proxy; only a proxy the admin named is believed about who it
//! forwards for (`X-Forwarded-For`). Anyone else could write that header.

use axum::http::HeaderMap;
use ipnet::IpNet;
use std::net::IpAddr;
use std::sync::Arc;

/// The proxies whose `X-Forwarded-For` is believed: none unless named.
#[derive(Clone, Debug, Default)]
pub struct TrustedProxies(Arc<[IpNet]>);

impl TrustedProxies {
    pub fn new(nets: Vec<IpNet>) -> TrustedProxies {
        TrustedProxies(nets.into())
    }

    /// An address (`10.0.0.1`, `::1`) or a network (`10.0.0.0/8`). Every
    /// host of a network named is believed: name the proxies, not their LAN.
    pub fn parse_one(s: &str) -> Result<IpNet, String> {
        let s = s.trim();
        let net = s
            .parse::<IpNet>()
            .or_else(|_| s.parse::<IpAddr>().map(IpNet::from))
            .map_err(|_| format!("'{s}' is not an address or a network (10.0.0.1, 10.0.0.0/8, ::1)"))?;
        // `::ffff:10.0.0.1` is how a dual-stack socket shows 10.0.0.1, which is what is compared.
        Ok(match net.addr() {
            IpAddr::V6(v6) if v6.to_ipv4_mapped().is_some() && net.prefix_len() >= 96 => {
                IpNet::new(canonical(net.addr()), net.prefix_len() - 96).unwrap_or(net)
            }
            _ => net,
        })
    }

    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    fn trusts(&self, ip: IpAddr) -> bool {
        let ip = canonical(ip);
        self.0.iter().any(|n| n.contains(&ip))
    }

    /// Who a request with these headers, from `peer`, comes from: `peer`
    /// itself, or, while each hop is a trusted proxy, the address it says it
    /// forwards for, right to left (the leftmost entries are the client's to
    /// write). A malformed entry ends the walk at the last hop believed.
    pub fn client(&self, peer: IpAddr, headers: &HeaderMap) -> IpAddr {
        let mut client = canonical(peer);
        if !self.trusts(client) {
            return client;
        }
        let forwarded: Vec<&str> = headers
            .get_all("x-forwarded-for")
            .iter()
            .filter_map(|v| v.to_str().ok())
            .flat_map(|v| v.split(','))
            .map(str::trim)
            .collect();
        for hop in forwarded.into_iter().rev() {
            match parse_hop(hop) {
                Some(ip) => {
                    client = canonical(ip);
                    if !self.trusts(client) {
                        break;
                    }
                }
                None => break,
            }
        }
        client
    }
}

/// An IPv4 client reaching a dual-stack socket is the IPv4 address.
pub(crate) fn canonical(ip: IpAddr) -> IpAddr {
    match ip {
        IpAddr::V6(v6) => v6.to_ipv4_mapped().map_or(ip, IpAddr::V4),
        v4 => v4,
    }
}

/// `192.0.2.7`, `2001:db8::1`, and the forms with a port some proxies send
/// (`192.0.2.7:5060`, `[2001:db8::1]:5060`).
fn parse_hop(hop: &str) -> Option<IpAddr> {
    if let Ok(ip) = hop.parse() {
        return Some(ip);
    }
    if let Ok(sock) = hop.parse::<std::net::SocketAddr>() {
        return Some(sock.ip());
    }
    hop.strip_prefix('[').and_then(|h| h.strip_suffix(']')).and_then(|h| h.parse().ok())
}

#[cfg(test)]
mod tests {
    use super::*;
    use axum::http::HeaderValue;

    fn headers(values: &[&str]) -> HeaderMap {
        let mut h = HeaderMap::new();
        for v in values {
            h.append("x-forwarded-for", HeaderValue::from_str(v).unwrap());
        }
        h
    }

    fn proxies(list: &[&str]) -> TrustedProxies {
        TrustedProxies::new(list.iter().map(|s| TrustedProxies::parse_one(s).unwrap()).collect())
    }

    fn ip(s: &str) -> IpAddr {
        s.parse().unwrap()
    }

    #[test]
    fn only_a_named_proxy_is_believed() {
        let none = TrustedProxies::default();
        assert_eq!(none.client(ip("127.0.0.1"), &headers(&["192.0.2.7"])), ip("127.0.0.1"));
        let local = proxies(&["127.0.0.1", "10.0.0.0/8"]);
        assert_eq!(local.client(ip("127.0.0.1"), &headers(&["192.0.2.7"])), ip("192.0.2.7"));
        assert_eq!(local.client(ip("::ffff:127.0.0.1"), &headers(&["192.0.2.7"])), ip("192.0.2.7"));
        // Not from the proxy: the header is the client's own words.
        assert_eq!(local.client(ip("198.51.100.1"), &headers(&["192.0.2.7"])), ip("198.51.100.1"));
        // No header: the proxy itself.
        assert_eq!(local.client(ip("127.0.0.1"), &headers(&[])), ip("127.0.0.1"));
    }

    #[test]
    fn the_walk_stops_at_the_first_hop_not_trusted() {
        let p = proxies(&["127.0.0.1", "10.0.0.0/8"]);
        // The client wrote "203.0.113.9" itself; the proxies added the rest.
        let h = headers(&["203.0.113.9, 192.0.2.7", "10.1.2.3"]);
        assert_eq!(p.client(ip("127.0.0.1"), &h), ip("192.0.2.7"));
        // All trusted: the leftmost.
        assert_eq!(p.client(ip("127.0.0.1"), &headers(&["10.0.0.2, 10.0.0.3"])), ip("10.0.0.2"));
        // Garbage ends the walk at the last hop believed.
        assert_eq!(p.client(ip("127.0.0.1"), &headers(&["192.0.2.7, nonsense, 10.0.0.4"])), ip("10.0.0.4"));
        assert_eq!(p.client(ip("127.0.0.1"), &headers(&["[2001:db8::1]:443"])), ip("2001:db8::1"));
        assert_eq!(p.client(ip("127.0.0.1"), &headers(&["192.0.2.7:5060"])), ip("192.0.2.7"));
    }

    #[test]
    fn names_of_proxies_are_addresses_or_networks() {
        assert!(TrustedProxies::parse_one("10.0.0.0/8").is_ok());
        assert!(TrustedProxies::parse_one(" ::1 ").is_ok());
        assert!(TrustedProxies::parse_one("proxy.example").unwrap_err().contains("not an address"));
        assert!(TrustedProxies::parse_one("10.0.0.0/33").is_err());
        let mapped = proxies(&["::ffff:127.0.0.1"]);
        assert_eq!(mapped.client(ip("127.0.0.1"), &headers(&["192.0.2.7"])), ip("192.0.2.7"));
    }
}

//! The SSRF guard for feeds added through the API: such a feed may only reach public
//! addresses, never loopback, private, link-local (cloud metadata lives there), shared,
//! multicast or reserved ones.
//!
//! The check happens twice, where each kind of host is decided. A URL whose host is an IP
//! literal never reaches a resolver, so [`PublicOnly`] as a [`UrlGuard`] checks it on the
//! first URL and on every redirect hop. A host name is checked by [`PublicOnly`] as
//! reqwest's DNS resolver: the addresses the name resolves to are filtered before the
//! connection is made, so the address checked is the address connected to (a name that
//! resolves to a public address for the check and to 127.0.0.1 for the connection, DNS
//! rebinding, gains nothing).

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr};
use std::sync::Arc;

use reqwest::dns::{Addrs, Name, Resolve, Resolving};
use url::{Host, Url};

use super::client::UrlGuard;

/// A host name that resolved only to addresses the guard refuses.
#[derive(Debug, thiserror::Error)]
#[error("{host} resolves only to non-public addresses ({addrs})")]
pub struct BlockedAddress {
    /// The name that was looked up.
    pub host: String,
    /// The refused addresses, comma-separated.
    pub addrs: String,
}

/// Which addresses a guarded fetcher may connect to.
pub trait AddressPolicy: Send + Sync + 'static {
    /// True when connecting to `ip` is allowed.
    fn allows(&self, ip: IpAddr) -> bool;
}

/// The policy of API-added feeds: public unicast addresses only (see [`is_public`]).
#[derive(Clone, Copy, Debug, Default)]
pub struct PublicAddresses;

impl AddressPolicy for PublicAddresses {
    fn allows(&self, ip: IpAddr) -> bool {
        is_public(ip)
    }
}

/// Both halves of the guard over one policy: the [`UrlGuard`] for URLs and the resolver
/// for host names.
#[derive(Clone)]
pub struct PublicOnly {
    policy: Arc<dyn AddressPolicy>,
}

impl PublicOnly {
    /// A guard over `policy` (normally [`PublicAddresses`]).
    pub fn new(policy: impl AddressPolicy) -> Self {
        PublicOnly {
            policy: Arc::new(policy),
        }
    }
}

impl UrlGuard for PublicOnly {
    fn check(&self, url: &Url) -> Result<(), String> {
        match url.scheme() {
            "http" | "https" => {}
            other => return Err(format!("{other}: URLs are not allowed here")),
        }
        match url.host() {
            Some(Host::Ipv4(ip)) => self.check_ip(IpAddr::V4(ip)),
            Some(Host::Ipv6(ip)) => self.check_ip(IpAddr::V6(ip)),
            // Names are checked by the resolver, on the addresses actually connected to.
            Some(Host::Domain(_)) => Ok(()),
            None => Err("the URL has no host".into()),
        }
    }
}

impl PublicOnly {
    fn check_ip(&self, ip: IpAddr) -> Result<(), String> {
        if self.policy.allows(ip) {
            Ok(())
        } else {
            Err(format!("{ip} is not a public address"))
        }
    }
}

impl Resolve for PublicOnly {
    fn resolve(&self, name: Name) -> Resolving {
        let policy = self.policy.clone();
        let host = name.as_str().to_owned();
        Box::pin(async move {
            let found: Vec<SocketAddr> =
                tokio::net::lookup_host((host.as_str(), 0)).await?.collect();
            let (allowed, refused): (Vec<SocketAddr>, Vec<SocketAddr>) =
                found.into_iter().partition(|a| policy.allows(a.ip()));
            if allowed.is_empty() {
                let addrs = refused
                    .iter()
                    .map(|a| a.ip().to_string())
                    .collect::<Vec<_>>()
                    .join(", ");
                return Err(Box::new(BlockedAddress { host, addrs }) as _);
            }
            Ok(Box::new(allowed.into_iter()) as Addrs)
        })
    }
}

/// True for addresses on the public internet; false for loopback, unspecified, private
/// (RFC 1918, unique local), shared (100.64/10, carrier NAT and some clouds' metadata),
/// link-local (169.254/16 with the usual metadata address, fe80::/10), multicast,
/// broadcast, documentation, benchmarking and reserved ranges. IPv6 addresses that carry
/// an IPv4 one (mapped, compatible, NAT64, 6to4) are judged by the IPv4 address.
pub fn is_public(ip: IpAddr) -> bool {
    match ip {
        IpAddr::V4(v4) => is_public_v4(v4),
        IpAddr::V6(v6) => is_public_v6(v6),
    }
}

fn is_public_v4(ip: Ipv4Addr) -> bool {
    let [a, b, c, _] = ip.octets();
    let refused = ip.is_unspecified()
        || ip.is_loopback()
        || ip.is_private()
        || ip.is_link_local()
        || ip.is_broadcast()
        || ip.is_documentation()
        || ip.is_multicast()
        || a == 0
        || (a == 100 && (64..128).contains(&b))
        || (a == 192 && b == 0 && c == 0)
        || (a == 198 && (18..20).contains(&b))
        || a >= 240;
    !refused
}

fn is_public_v6(ip: Ipv6Addr) -> bool {
    if let Some(v4) = embedded_v4(ip) {
        return is_public_v4(v4);
    }
    let s = ip.segments();
    let refused = ip.is_unspecified()
        || ip.is_loopback()
        || ip.is_multicast()
        || (s[0] & 0xfe00) == 0xfc00 // unique local fc00::/7
        || (s[0] & 0xffc0) == 0xfe80 // link-local fe80::/10
        || (s[0] & 0xffc0) == 0xfec0 // site-local fec0::/10 (deprecated)
        || (s[0] == 0x2001 && s[1] == 0x0db8) // documentation
        || (s[0] == 0x0100 && s[1..4] == [0, 0, 0]); // discard-only 100::/64
    !refused
}

/// The IPv4 address inside an IPv4-mapped, IPv4-compatible, NAT64 or 6to4 IPv6 address.
fn embedded_v4(ip: Ipv6Addr) -> Option<Ipv4Addr> {
    if let Some(v4) = ip.to_ipv4_mapped() {
        return Some(v4);
    }
    let s = ip.segments();
    let low = |hi: u16, lo: u16| Ipv4Addr::from((u32::from(hi) << 16) | u32::from(lo));
    if s[..6] == [0; 6] && !ip.is_loopback() && !ip.is_unspecified() {
        return Some(low(s[6], s[7])); // ::a.b.c.d (deprecated IPv4-compatible)
    }
    if s[0] == 0x0064 && s[1] == 0xff9b && s[2..6] == [0; 4] {
        return Some(low(s[6], s[7])); // NAT64 64:ff9b::/96
    }
    if s[0] == 0x2002 {
        return Some(low(s[1], s[2])); // 6to4 2002::/16
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    fn public(text: &str) -> bool {
        is_public(text.parse().unwrap())
    }

    #[test]
    fn private_and_special_addresses_are_refused() {
        for ip in [
            "127.0.0.1",
            "127.5.5.5",
            "0.0.0.0",
            "10.1.2.3",
            "172.16.0.1",
            "172.31.255.255",
            "192.168.1.1",
            "169.254.169.254",
            "100.100.100.200",
            "224.0.0.1",
            "255.255.255.255",
            "192.0.2.10",
            "198.18.0.1",
            "240.0.0.1",
            "::1",
            "::",
            "fd00:ec2::254",
            "fe80::1",
            "ff02::1",
            "::ffff:127.0.0.1",
            "::ffff:169.254.169.254",
            "64:ff9b::a9fe:a9fe",
            "2002:7f00:1::",
            "2001:db8::1",
        ] {
            assert!(!public(ip), "{ip} should be refused");
        }
    }

    #[test]
    fn public_addresses_pass() {
        for ip in [
            "93.184.215.14",
            "1.1.1.1",
            "172.32.0.1",
            "100.128.0.1",
            "2606:4700:4700::1111",
            "::ffff:8.8.8.8",
            "2002:0808:0808::",
        ] {
            assert!(public(ip), "{ip} should pass");
        }
    }

    #[test]
    fn the_url_check_refuses_literals_and_other_schemes_but_leaves_names_to_dns() {
        let guard = PublicOnly::new(PublicAddresses);
        let check = |u: &str| guard.check(&Url::parse(u).unwrap());
        assert!(check("http://127.0.0.1:8080/feed").is_err());
        assert!(check("http://[::1]/feed").is_err());
        assert!(check("http://169.254.169.254/latest/meta-data/").is_err());
        assert!(check("file:///etc/passwd").is_err());
        assert!(check("https://93.184.215.14/feed").is_ok());
        assert!(check("https://example.org/feed").is_ok());
    }

    #[tokio::test]
    async fn the_resolver_refuses_names_of_loopback_addresses() {
        let guard = PublicOnly::new(PublicAddresses);
        let name: Name = "localhost".parse().unwrap();
        let err = match guard.resolve(name).await {
            Ok(addrs) => panic!("resolved to {:?}", addrs.collect::<Vec<_>>()),
            Err(e) => e,
        };
        assert!(err.downcast_ref::<BlockedAddress>().is_some(), "{err}");
        assert!(
            err.to_string().contains("localhost resolves only to"),
            "{err}"
        );
    }
}

//! The SSRF guard for `callback_url`: checked at upload (400 with the reason)
//! and again before each delivery.
//!
//! Allowed: `http`/`https` URLs without user-info, on port 80 or 443 (or a port
//! the operator lists), whose host is a public name or a public IP. Refused:
//! literal IPs (v4 in any of the forms the URL standard accepts — decimal,
//! octal, hex, short — and v6, including IPv4-mapped and NAT64 forms) in the
//! loopback, private, link-local (cloud metadata), CGNAT, multicast, reserved,
//! benchmarking or documentation ranges, and names that only resolve locally
//! (`localhost`, `*.localhost`, `*.local`, `*.internal`, `*.home.arpa`). The
//! dev/test configuration may allow loopback explicitly, on any port (receivers
//! in tests listen wherever the OS puts them).
//!
//! A public name that resolves to a private address is not caught here (Workers
//! cannot resolve names); Cloudflare's fetch does not reach private networks.

use std::net::{Ipv4Addr, Ipv6Addr};

use url::{Host, Url};

use crate::contract::api::{ErrorBody, ErrorCode};

/// What the operator allows beyond the defaults.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Policy {
    /// `localhost`, 127.0.0.0/8 and ::1 (dev and tests only).
    pub allow_loopback: bool,
    /// Ports besides 80 and 443.
    pub extra_ports: Vec<u16>,
}

/// Checks a callback URL; returns it normalised.
pub fn check(raw: &str, policy: &Policy) -> Result<Url, ErrorBody> {
    let refuse = |why: String| {
        Err(ErrorBody::new(
            ErrorCode::InvalidCallbackUrl,
            format!("callback_url is not allowed: {why}"),
        ))
    };
    let url = match Url::parse(raw.trim()) {
        Ok(u) => u,
        Err(e) => return refuse(format!("it is not a URL ({e})")),
    };
    if !matches!(url.scheme(), "http" | "https") {
        return refuse(format!(
            "the scheme must be http or https, not {}",
            url.scheme()
        ));
    }
    if !url.username().is_empty() || url.password().is_some() {
        return refuse("it must not contain a user name or password".into());
    }
    let loopback_ok = policy.allow_loopback;
    match url.host() {
        None => return refuse("it has no host".into()),
        Some(Host::Domain(name)) => {
            let name = name.trim_end_matches('.').to_ascii_lowercase();
            let local_only = [
                ".localhost",
                ".local",
                ".internal",
                ".home.arpa",
                ".localdomain",
            ];
            let is_localhost = name == "localhost" || name.ends_with(".localhost");
            if is_localhost && loopback_ok {
                // allowed in dev and tests
            } else if is_localhost
                || local_only.iter().any(|s| name.ends_with(s))
                || !name.contains('.')
            {
                return refuse(format!("{name} is not a public host name"));
            }
        }
        Some(Host::Ipv4(ip)) => {
            if let Some(why) = blocked_v4(ip, loopback_ok) {
                return refuse(format!("{ip} is a {why} address"));
            }
        }
        Some(Host::Ipv6(ip)) => {
            if let Some(why) = blocked_v6(ip, loopback_ok) {
                return refuse(format!("{ip} is a {why} address"));
            }
        }
    }
    // A loopback receiver (allowed in dev and tests only) may listen anywhere.
    let port = url.port_or_known_default().unwrap_or(0);
    let any_port = loopback_ok && is_loopback(&url);
    if port != 80 && port != 443 && !policy.extra_ports.contains(&port) && !any_port {
        return refuse(format!("port {port} is not allowed (80 and 443 are)"));
    }
    Ok(url)
}

fn is_loopback(url: &Url) -> bool {
    match url.host() {
        Some(Host::Domain(name)) => {
            let name = name.trim_end_matches('.').to_ascii_lowercase();
            name == "localhost" || name.ends_with(".localhost")
        }
        Some(Host::Ipv4(ip)) => ip.is_loopback(),
        Some(Host::Ipv6(ip)) => {
            ip.is_loopback() || ip.to_ipv4_mapped().is_some_and(|v4| v4.is_loopback())
        }
        None => false,
    }
}

fn blocked_v4(ip: Ipv4Addr, loopback_ok: bool) -> Option<&'static str> {
    let [a, b, c, _] = ip.octets();
    Some(match (a, b, c) {
        (127, ..) if loopback_ok => return None,
        (127, ..) => "loopback",
        (0, ..) => "\"this network\"",
        (10, ..) => "private",
        (172, 16..=31, _) => "private",
        (192, 168, _) => "private",
        (169, 254, _) => "link-local (cloud metadata)",
        (100, 64..=127, _) => "carrier-grade NAT",
        (192, 0, 0) => "IETF protocol",
        (192, 0, 2) | (198, 51, 100) | (203, 0, 113) => "documentation",
        (198, 18..=19, _) => "benchmarking",
        (224..=239, ..) => "multicast",
        (240..=255, ..) => "reserved",
        _ => return None,
    })
}

fn blocked_v6(ip: Ipv6Addr, loopback_ok: bool) -> Option<&'static str> {
    if let Some(v4) = ip.to_ipv4_mapped() {
        return blocked_v4(v4, loopback_ok);
    }
    let seg = ip.segments();
    // NAT64 (64:ff9b::/96) carries an IPv4 address in its last 32 bits.
    if seg[..6] == [0x64, 0xff9b, 0, 0, 0, 0] {
        let v4 = Ipv4Addr::new(
            (seg[6] >> 8) as u8,
            seg[6] as u8,
            (seg[7] >> 8) as u8,
            seg[7] as u8,
        );
        return blocked_v4(v4, loopback_ok);
    }
    if ip.is_loopback() {
        return (!loopback_ok).then_some("loopback");
    }
    Some(match seg[0] {
        _ if ip.is_unspecified() => "unspecified",
        0 => "reserved (IPv4-compatible)",
        s if s & 0xfe00 == 0xfc00 => "unique-local (private)",
        s if s & 0xffc0 == 0xfe80 => "link-local",
        s if s & 0xff00 == 0xff00 => "multicast",
        0x2001 if seg[1] == 0x0db8 => "documentation",
        _ => return None,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn strict() -> Policy {
        Policy::default()
    }

    fn refused(url: &str) -> String {
        let err = check(url, &strict()).expect_err(url);
        assert_eq!(err.code, ErrorCode::InvalidCallbackUrl);
        err.message
    }

    #[test]
    fn public_urls_pass() {
        for ok in [
            "https://hooks.example.com/docket",
            "http://example.org:80/x?y=1",
            "https://93.184.216.34/cb",
            "https://[2606:2800:220:1:248:1893:25c8:1946]/cb",
        ] {
            assert!(check(ok, &strict()).is_ok(), "{ok}");
        }
    }

    #[test]
    fn schemes_credentials_and_ports() {
        assert!(refused("ftp://example.com/").contains("scheme"));
        assert!(refused("file:///etc/passwd").contains("scheme"));
        assert!(refused("https://user:pw@example.com/").contains("user name"));
        assert!(refused("https://user@example.com/").contains("user name"));
        assert!(refused("https://example.com:8443/").contains("port 8443"));
        let policy = Policy {
            extra_ports: vec![8443],
            ..Policy::default()
        };
        assert!(check("https://example.com:8443/", &policy).is_ok());
        assert!(refused("not a url").contains("not a URL"));
    }

    #[test]
    fn local_names() {
        for name in [
            "http://localhost/",
            "http://LOCALHOST./",
            "http://api.localhost/",
            "http://printer.local/",
            "http://metadata.google.internal/",
            "http://router.home.arpa/",
            "http://intranet/",
        ] {
            assert!(refused(name).contains("not a public host name"), "{name}");
        }
    }

    #[test]
    fn private_and_special_ipv4_in_every_form() {
        for (url, why) in [
            ("http://127.0.0.1/", "loopback"),
            ("http://2130706433/", "loopback"), // decimal
            ("http://0x7f000001/", "loopback"), // hex
            ("http://0177.0.0.1/", "loopback"), // octal
            ("http://127.1/", "loopback"),      // short form
            ("http://10.1.2.3/", "private"),
            ("http://172.16.0.1/", "private"),
            ("http://172.31.255.255/", "private"),
            ("http://192.168.1.1/", "private"),
            ("http://169.254.169.254/latest/meta-data", "metadata"),
            ("http://100.64.0.1/", "carrier-grade"),
            ("http://0.0.0.0/", "this network"),
            ("http://224.0.0.1/", "multicast"),
            ("http://255.255.255.255/", "reserved"),
            ("http://198.18.0.1/", "benchmarking"),
            ("http://192.0.2.1/", "documentation"),
        ] {
            let message = refused(url);
            assert!(message.contains(why), "{url}: {message}");
        }
        assert!(check("http://172.32.0.1/", &strict()).is_ok());
        assert!(check("http://100.128.0.1/", &strict()).is_ok());
    }

    #[test]
    fn private_and_special_ipv6_including_mapped_forms() {
        for (url, why) in [
            ("http://[::1]/", "loopback"),
            ("http://[::]/", "unspecified"),
            ("http://[::ffff:127.0.0.1]/", "loopback"),
            ("http://[::ffff:169.254.169.254]/", "metadata"),
            ("http://[::ffff:a00:1]/", "private"),
            ("http://[64:ff9b::a00:1]/", "private"),
            ("http://[fd00::1]/", "unique-local"),
            ("http://[fe80::1]/", "link-local"),
            ("http://[ff02::1]/", "multicast"),
            ("http://[2001:db8::1]/", "documentation"),
            ("http://[::127.0.0.1]/", "IPv4-compatible"),
        ] {
            let message = refused(url);
            assert!(message.contains(why), "{url}: {message}");
        }
    }

    #[test]
    fn loopback_only_when_the_operator_allows_it() {
        let dev = Policy {
            allow_loopback: true,
            extra_ports: vec![8787],
        };
        for ok in [
            "http://127.0.0.1:8787/hook",
            "http://localhost:8787/",
            "http://[::1]:8787/",
        ] {
            assert!(check(ok, &dev).is_ok(), "{ok}");
        }
        // Still not private networks.
        assert!(check("http://10.0.0.1/", &dev).is_err());
        assert!(check("http://169.254.169.254/", &dev).is_err());
        // A loopback receiver may use any port; other hosts only the listed ones.
        let loopback = Policy {
            allow_loopback: true,
            extra_ports: vec![],
        };
        assert!(check("http://127.0.0.1:40123/hook", &loopback).is_ok());
        assert!(check("http://localhost:40123/", &loopback).is_ok());
        assert!(check("http://[::ffff:127.0.0.1]:40123/", &loopback).is_ok());
        assert!(check("https://example.com:40123/", &loopback).is_err());
        assert!(check("http://127.0.0.1:40123/", &strict()).is_err());
    }
}

//! Fuzz `relay::target::validate_target`: whatever is accepted is https on 443, has no
//! userinfo or fragment, and its host is not a denied IP address or `localhost`.
#![no_main]

use std::net::IpAddr;

use libfuzzer_sys::fuzz_target;
use relay::target::{TargetPolicy, is_denied_ip, validate_target};
use url::Host;

fuzz_target!(|data: &[u8]| {
    let Ok(raw) = std::str::from_utf8(data) else {
        return;
    };
    for candidate in [raw.to_owned(), format!("https://{raw}")] {
        let Ok(url) = validate_target(&candidate, &TargetPolicy::public_https()) else {
            continue;
        };
        assert_eq!(url.scheme(), "https");
        assert!(url.username().is_empty() && url.password().is_none());
        assert!(url.fragment().is_none());
        assert_eq!(url.port_or_known_default(), Some(443));
        match url.host() {
            Some(Host::Ipv4(ip)) => assert!(!is_denied_ip(IpAddr::V4(ip))),
            Some(Host::Ipv6(ip)) => assert!(!is_denied_ip(IpAddr::V6(ip))),
            Some(Host::Domain(name)) => {
                assert!(!name.trim_end_matches('.').eq_ignore_ascii_case("localhost"))
            }
            None => panic!("accepted a URL without a host"),
        }
    }
});

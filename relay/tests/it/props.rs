//! Property tests: the invariants the fuzz targets check, on a bounded number of cases.

use std::collections::BTreeSet;
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};

use proptest::prelude::*;
use relay::callback_query::{MAX_QUERY_LEN, parse_callback_query};
use relay::headers::{DEFAULT_FORWARDED, HeaderPolicy};
use relay::target::{TargetPolicy, is_denied_ip, validate_target};
use url::Host;

/// Spells an IPv4 address the many ways WHATWG URL parsing accepts.
fn spell_ipv4(ip: Ipv4Addr, style: u8) -> String {
    let n = u32::from(ip);
    let [a, b, c, d] = ip.octets();
    match style % 7 {
        0 => ip.to_string(),
        1 => n.to_string(),
        2 => format!("0x{n:x}"),
        3 => format!("0{a:o}.0{b:o}.0{c:o}.0{d:o}"),
        4 => format!("{a}.{}", n & 0x00ff_ffff),
        5 => format!("0x{a:x}.{b}.0{c:o}.{d}"),
        _ => ip
            .to_string()
            .chars()
            .map(|ch| {
                ch.to_digit(10)
                    .map_or(ch, |d| char::from_u32(0xff10 + d).unwrap())
            })
            .collect(),
    }
}

/// The invariant every accepted target must satisfy.
fn assert_safe(raw: &str) {
    if let Ok(url) = validate_target(raw, &TargetPolicy::public_https()) {
        assert_eq!(url.scheme(), "https", "{raw}");
        assert!(
            url.username().is_empty() && url.password().is_none(),
            "{raw}"
        );
        assert!(url.fragment().is_none(), "{raw}");
        assert_eq!(url.port_or_known_default(), Some(443), "{raw}");
        match url.host() {
            Some(Host::Ipv4(ip)) => assert!(!is_denied_ip(IpAddr::V4(ip)), "{raw}"),
            Some(Host::Ipv6(ip)) => assert!(!is_denied_ip(IpAddr::V6(ip)), "{raw}"),
            Some(Host::Domain(name)) => assert!(
                !name.trim_end_matches('.').eq_ignore_ascii_case("localhost"),
                "{raw}"
            ),
            None => panic!("accepted without a host: {raw}"),
        }
    }
}

fn url_piece() -> impl Strategy<Value = String> {
    prop_oneof![
        Just(String::new()),
        Just("@".to_owned()),
        Just(":".to_owned()),
        Just("#".to_owned()),
        Just("%".to_owned()),
        Just("[".to_owned()),
        Just("]".to_owned()),
        Just("\\".to_owned()),
        Just("/".to_owned()),
        Just(".".to_owned()),
        Just("localhost".to_owned()),
        Just("127.0.0.1".to_owned()),
        Just("::ffff:".to_owned()),
        Just("0x7f".to_owned()),
        Just("example.com".to_owned()),
        Just("user:pw".to_owned()),
        Just("443".to_owned()),
        "[a-z0-9]{1,6}",
        "[0-9]{1,10}",
        any::<char>().prop_map(|c| c.to_string()),
    ]
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 512, ..ProptestConfig::default() })]

    #[test]
    fn ipv4_literals_pass_exactly_when_public(raw in any::<u32>(), style in any::<u8>()) {
        let ip = Ipv4Addr::from(raw);
        let url = format!("https://{}/token", spell_ipv4(ip, style));
        let accepted = validate_target(&url, &TargetPolicy::public_https()).is_ok();
        // Full-width digits are not ASCII: refused whatever the address (no Unicode tables).
        let expected = url.is_ascii() && !is_denied_ip(IpAddr::V4(ip));
        prop_assert_eq!(accepted, expected, "{}", url);
    }

    #[test]
    fn ipv6_literals_pass_exactly_when_public(raw in any::<u128>(), mapped in any::<u32>(), form in 0u8..5) {
        let ip = match form {
            0 => Ipv6Addr::from(raw),
            1 => Ipv4Addr::from(mapped).to_ipv6_mapped(),
            2 => Ipv6Addr::from((0x0064_ff9b_u128 << 96) | u128::from(mapped)),
            3 => Ipv6Addr::from((0x2002_u128 << 112) | (u128::from(mapped) << 80)),
            _ => Ipv6Addr::from((0x2000_u128 << 112) | (raw >> 16)),
        };
        let url = format!("https://[{ip}]/token");
        let accepted = validate_target(&url, &TargetPolicy::public_https()).is_ok();
        prop_assert_eq!(accepted, !is_denied_ip(IpAddr::V6(ip)), "{}", url);
        if let Some(v4) = relay::target::embedded_ipv4(ip) {
            prop_assert!(!accepted || !is_denied_ip(IpAddr::V4(v4)), "{} embeds {}", url, v4);
        }
    }

    #[test]
    fn composed_urls_are_safe_when_accepted(
        scheme in prop_oneof![Just("https://"), Just("http://"), Just("HTTPS://"), Just("https:"), Just("https:///"), Just("gopher://"), Just("https:\\\\")],
        pieces in proptest::collection::vec(url_piece(), 0..8),
    ) {
        assert_safe(&format!("{scheme}{}", pieces.concat()));
    }

    #[test]
    fn arbitrary_strings_are_safe_when_accepted(raw in any::<String>(), tail in "[ -~]{0,60}") {
        assert_safe(&raw);
        assert_safe(&format!("https://{tail}"));
    }

    #[test]
    fn callback_query_never_panics_and_reencodes_to_ascii(raw in any::<String>(), pairs in proptest::collection::vec(("[a-z_]{1,6}", any::<String>()), 0..6)) {
        let built = pairs.iter().map(|(n, v)| format!("{n}={}", url::form_urlencoded::byte_serialize(v.as_bytes()).collect::<String>())).collect::<Vec<_>>().join("&");
        for input in [raw.as_str(), built.as_str()] {
            if let Ok(query) = parse_callback_query(input) {
                prop_assert!(query.canonical.len() <= MAX_QUERY_LEN);
                prop_assert!(query.canonical.bytes().all(|b| b.is_ascii_graphic()), "{}", query.canonical);
                prop_assert!(!query.canonical.contains('<') && !query.canonical.contains('"') && !query.canonical.contains('#'));
                let names: Vec<String> = url::form_urlencoded::parse(query.canonical.as_bytes()).map(|(n, _)| n.into_owned()).collect();
                let unique: BTreeSet<&String> = names.iter().collect();
                prop_assert_eq!(unique.len(), names.len(), "duplicates must never pass");
                let again = parse_callback_query(&query.canonical).unwrap();
                prop_assert_eq!(&again, &query, "re-encoding is stable");
            }
        }
        let names: Vec<&String> = pairs.iter().map(|(n, _)| n).collect();
        let has_duplicate = names.iter().collect::<BTreeSet<_>>().len() != names.len();
        if has_duplicate {
            prop_assert!(parse_callback_query(&built).is_err());
        }
    }

    #[test]
    fn header_filter_lets_out_only_allowlisted_clean_headers(
        headers in proptest::collection::vec(
            (
                prop_oneof![
                    proptest::sample::select(DEFAULT_FORWARDED.to_vec()).prop_map(str::to_owned),
                    Just("Host".to_owned()),
                    Just("cookie".to_owned()),
                    Just("X-Forwarded-For".to_owned()),
                    "[A-Za-z-]{1,12}",
                    any::<String>(),
                ],
                prop_oneof!["[ -~]{0,20}", any::<String>(), Just("a\r\nHost: x".to_owned()), Just("a\0".to_owned())],
            ),
            0..6,
        ),
    ) {
        let policy = HeaderPolicy::default();
        if let Ok(out) = policy.filter_request(&headers) {
            for (name, value) in &out {
                prop_assert!(DEFAULT_FORWARDED.contains(&name.as_str()), "{}", name);
                prop_assert!(!value.as_bytes().iter().any(|b| matches!(b, b'\r' | b'\n' | 0)));
                prop_assert!(value.as_bytes().iter().all(|b| *b == b'\t' || (0x20..0x7f).contains(b)));
            }
        }
    }
}

//! Fuzz `relay::headers::HeaderPolicy::filter_request`: nothing outside the allowlist and no
//! CR, LF, NUL or non-ASCII byte ever comes out.
#![no_main]

use libfuzzer_sys::fuzz_target;
use relay::headers::{DEFAULT_FORWARDED, HeaderPolicy};

fuzz_target!(|headers: Vec<(String, String)>| {
    let Ok(out) = HeaderPolicy::default().filter_request(&headers) else {
        return;
    };
    for (name, value) in out {
        assert!(DEFAULT_FORWARDED.contains(&name.as_str()), "{name}");
        assert!(value.as_bytes().iter().all(|b| *b == b'\t' || (0x20..0x7f).contains(b)));
    }
});

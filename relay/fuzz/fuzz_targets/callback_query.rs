//! Fuzz `relay::callback_query::parse_callback_query`: never panics; what it keeps is
//! printable ASCII, within the size limit, free of duplicate names, and stable when re-read.
#![no_main]

use std::collections::BTreeSet;

use libfuzzer_sys::fuzz_target;
use relay::callback_query::{MAX_QUERY_LEN, parse_callback_query};

fuzz_target!(|data: &[u8]| {
    let Ok(input) = std::str::from_utf8(data) else {
        return;
    };
    let Ok(query) = parse_callback_query(input) else {
        return;
    };
    assert!(query.canonical.len() <= MAX_QUERY_LEN);
    assert!(query.canonical.bytes().all(|b| b.is_ascii_graphic()));
    let names: Vec<String> =
        url::form_urlencoded::parse(query.canonical.as_bytes()).map(|(n, _)| n.into_owned()).collect();
    assert_eq!(names.iter().collect::<BTreeSet<_>>().len(), names.len());
    assert_eq!(parse_callback_query(&query.canonical).as_ref(), Ok(&query));
});

//! The relay's integration tests (one binary): oneshot tests through the router and
//! real-socket tests with a loopback test upstream.

mod access;
mod capture;
mod compression;
mod fleet;
mod flood;
mod listener;
mod live;
mod props;
mod proxy;
mod support;

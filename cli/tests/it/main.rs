//! `otw` end to end: the real binary as child processes, against the e2e crate's mock OAuth
//! provider on loopback, folder stores in temporary folders, Debian's redis-server, and headless
//! Chromium for the login.

mod client_credentials;
mod commands;
mod concurrency;
mod crash;
mod device;
mod follow_up;
mod jwt;
mod login;
mod redis;
mod support;

//! Integration tests of the `presets` crate: the bundled files, the golden requests each preset
//! produces, and the exported configuration format. One test binary (see the style guide).

mod bundled;
mod catalog;
mod config;
mod explainer;
mod facts;
mod golden;
mod sample;
mod token_hosts;

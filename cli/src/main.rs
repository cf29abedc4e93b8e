//! The `otw` binary: everything is in the library (`otw::run`), so tests and benchmarks run the
//! same code.

fn main() {
    std::process::exit(otw::run());
}

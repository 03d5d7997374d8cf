//! Generates the typed client of every spec in `specs/` whose feature is on, and what else the
//! specs determine (`crates/codegen`).

fn main() {
    threatbind_codegen::run();
}

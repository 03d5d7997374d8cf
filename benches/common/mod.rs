//! What every benchmark shares: its runtime, whether it measures, and the report.
#![allow(dead_code)]

use std::path::PathBuf;

/// The runtime of a benchmark: two workers, as many as the machine's cores here.
pub fn runtime() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .expect("runtime")
}

/// `cargo bench` passes `--bench`; `cargo test --all-targets` runs a benchmark as a quick
/// smoke run, which writes nothing to the report.
pub fn measuring() -> bool {
    std::env::args().any(|a| a == "--bench")
}

/// The machine's cores, for the report's headings.
pub fn cores() -> usize {
    std::thread::available_parallelism().map_or(0, |n| n.get())
}

/// Prints a section and, when measuring, appends it to the workspace's `target/bench-report.md`.
pub fn report(section: &str) {
    println!("{section}");
    if !measuring() {
        return;
    }
    // The workspace's target folder, from any of its crates.
    let manifest = PathBuf::from(env!("CARGO_MANIFEST_DIR"));
    let root = manifest
        .ancestors()
        .find(|dir| dir.join("Cargo.lock").exists())
        .unwrap_or(&manifest);
    // Always the workspace's `target/` (where `make bench` reads it), also when
    // `CARGO_TARGET_DIR` puts the build elsewhere and that folder does not exist yet.
    let path = root.join("target/bench-report.md");
    let mut text = std::fs::read_to_string(&path).unwrap_or_default();
    text.push('\n');
    text.push_str(section);
    let written =
        std::fs::create_dir_all(root.join("target")).and_then(|()| std::fs::write(&path, text));
    if let Err(e) = written {
        eprintln!("the report was not written to {}: {e}", path.display());
    }
}

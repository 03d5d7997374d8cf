//! The commit the CLI is built from, for `threatbind --version` (`unknown` outside a git
//! checkout, e.g. from a published crate).

fn main() {
    let git = |args: &[&str]| {
        std::process::Command::new("git")
            .args(args)
            .output()
            .ok()
            .filter(|out| out.status.success())
            .and_then(|out| String::from_utf8(out.stdout).ok())
            .map(|text| text.trim().to_owned())
    };
    if let Some(commit) = git(&["rev-parse", "--short=12", "HEAD"]) {
        println!("cargo:rustc-env=THREATBIND_COMMIT={commit}");
    }
    // A new commit (HEAD moves, or the branch it names does) rebuilds the version text. Only
    // paths that exist are watched: cargo reruns a script whose watched path is missing on
    // every build.
    let watch = |path: std::path::PathBuf| {
        if path.exists() {
            println!("cargo:rerun-if-changed={}", path.display());
        }
    };
    let dir = git(&["rev-parse", "--absolute-git-dir"]);
    let common = git(&["rev-parse", "--path-format=absolute", "--git-common-dir"]).or(dir.clone());
    if let (Some(dir), Some(common)) = (dir, common) {
        watch(std::path::Path::new(&dir).join("HEAD"));
        if let Some(reference) = git(&["symbolic-ref", "-q", "HEAD"]) {
            watch(std::path::Path::new(&common).join(reference));
        }
        watch(std::path::Path::new(&common).join("packed-refs"));
    }
    println!("cargo:rerun-if-changed=build.rs");
}

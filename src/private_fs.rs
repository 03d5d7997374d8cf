//! Files and folders only their owner can read: the quota state and the cached access tokens.

use std::path::Path;

/// Creates `dir` (and its parents) readable by its owner only (unix mode 0700).
pub(crate) fn dir(dir: &Path) -> std::io::Result<()> {
    let mut builder = std::fs::DirBuilder::new();
    builder.recursive(true);
    #[cfg(unix)]
    std::os::unix::fs::DirBuilderExt::mode(&mut builder, 0o700);
    builder.create(dir)
}

/// Creates `dir` (mode 0700) and checks that a file can be made in it (a probe, removed at
/// once): a directory that exists but cannot be written is found out now, not when state is
/// first kept there.
pub(crate) fn usable_dir(dir: &Path) -> std::io::Result<()> {
    self::dir(dir)?;
    let probe = dir.join(format!(".probe-{}", std::process::id()));
    open(&probe)?;
    std::fs::remove_file(&probe)
}

/// Opens `path` for reading and writing, creating it readable by its owner only (unix mode
/// 0600); an existing file keeps its content.
pub(crate) fn open(path: &Path) -> std::io::Result<std::fs::File> {
    let mut options = std::fs::OpenOptions::new();
    options.create(true).truncate(false).read(true).write(true);
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
    options.open(path)
}

/// Writes a new file readable by its owner only (unix mode 0600), whatever the umask.
#[cfg_attr(not(feature = "log360-cloud"), allow(dead_code))]
pub(crate) fn write(path: &Path, bytes: &[u8]) -> std::io::Result<()> {
    use std::io::Write;
    let _ = std::fs::remove_file(path);
    let mut file = open(path)?;
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        file.set_permissions(std::fs::Permissions::from_mode(0o600))?;
    }
    file.write_all(bytes)?;
    file.sync_all()
}

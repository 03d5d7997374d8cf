//! The process's TLS provider: one place, read by the HTTP clients and the Redis quota store.

/// Makes rustls' `ring` provider the process default unless one is installed already.
///
/// threatbind builds reqwest's rustls without a provider of its own (`ring` instead of the
/// default `aws-lc-rs`, a third of the build). Every threatbind client calls this before it
/// builds its HTTP client; a program that builds a bare `reqwest::Client` first, with no
/// provider of its own, calls it once at start.
///
/// ```
/// threatbind::install_crypto_provider();
/// let _http = reqwest::Client::new(); // would panic without a provider
/// ```
pub fn install_crypto_provider() {
    if rustls::crypto::CryptoProvider::get_default().is_none() {
        // Losing a race to another thread's install is fine: a provider is then in place.
        let _ = rustls::crypto::ring::default_provider().install_default();
    }
}

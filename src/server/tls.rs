//! HTTPS without a proxy: a certificate and key in PEM files
//! (`ISPBX_TLS_CERT`, `ISPBX_TLS_KEY`), served with rustls, and taken again
//! when either file changes, so a renewed certificate (certbot, an internal
//! CA) is served without a restart. A renewal that cannot be read leaves the
//! certificate being served in place, and says why.

use axum_server::tls_rustls::RustlsConfig;
use std::path::{Path, PathBuf};
use std::time::{Duration, SystemTime};

#[derive(Debug, thiserror::Error)]
pub enum TlsError {
    #[error("cannot read the TLS certificate {cert} with its key {key}: {source}")]
    Load { cert: PathBuf, key: PathBuf, source: std::io::Error },
}

/// What a file looked like when last read: a change in either means "read it again".
type Stamp = Option<(SystemTime, u64)>;

fn stamp(path: &Path) -> Stamp {
    std::fs::metadata(path).ok().and_then(|m| Some((m.modified().ok()?, m.len())))
}

/// The certificate being served, and where it comes from.
#[derive(Clone, Debug)]
pub struct Tls {
    cert: PathBuf,
    key: PathBuf,
    config: RustlsConfig,
}

impl Tls {
    pub async fn load(cert: &Path, key: &Path) -> Result<Tls, TlsError> {
        let config = RustlsConfig::from_pem_file(cert, key)
            .await
            .map_err(|source| TlsError::Load { cert: cert.to_path_buf(), key: key.to_path_buf(), source })?;
        Ok(Tls { cert: cert.to_path_buf(), key: key.to_path_buf(), config })
    }

    /// What the server accepts connections with; it follows reloads.
    pub fn config(&self) -> RustlsConfig {
        self.config.clone()
    }

    async fn reload(&self) -> Result<(), TlsError> {
        self.config
            .reload_from_pem_file(&self.cert, &self.key)
            .await
            .map_err(|source| TlsError::Load { cert: self.cert.clone(), key: self.key.clone(), source })
    }

    /// Looks at both files every `every`; when either changed, serves them
    /// again. Certificate and key are renewed as two writes: a pair that
    /// does not match yet is tried again at the next change or look.
    pub fn spawn_reloader(&self, every: Duration) -> tokio::task::JoinHandle<()> {
        let tls = self.clone();
        tokio::spawn(async move {
            let seen = |t: &Tls| (stamp(&t.cert), stamp(&t.key));
            let mut served = seen(&tls);
            let mut failing = false;
            loop {
                tokio::time::sleep(every).await;
                let now = seen(&tls);
                if now == served && !failing {
                    continue;
                }
                match tls.reload().await {
                    Ok(()) => {
                        tracing::info!(cert = %tls.cert.display(), "serving the renewed TLS certificate");
                        served = now;
                        failing = false;
                    }
                    Err(e) => {
                        // Said once per change, not at every look.
                        if now != served || !failing {
                            tracing::error!("{e}; the previous certificate is still served");
                        }
                        served = now;
                        failing = true;
                    }
                }
            }
        })
    }
}

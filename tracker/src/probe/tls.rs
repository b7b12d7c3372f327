//! TLS for HTTPS probes: rustls with the ring provider (smaller than
//! aws-lc-rs), the system's CA store through rustls-platform-verifier,
//! HTTP/1.1 only (reqwest is built without HTTP/2). Built once per process:
//! the CA store is parsed once and shared by every WAN's client.

use std::sync::{Arc, OnceLock};

use rustls::client::danger::{HandshakeSignatureValid, ServerCertVerified, ServerCertVerifier};
use rustls::pki_types::{CertificateDer, ServerName, UnixTime};
use rustls::{CertificateError, ClientConfig, DigitallySignedStruct, SignatureScheme};

/// The shared configuration, or why there is none.
pub(super) fn client_config() -> Result<ClientConfig, String> {
    static CONFIG: OnceLock<Result<ClientConfig, String>> = OnceLock::new();
    CONFIG.get_or_init(build).clone()
}

fn build() -> Result<ClientConfig, String> {
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let verifier: Arc<dyn ServerCertVerifier> =
        match rustls_platform_verifier::Verifier::new(Arc::clone(&provider)) {
            Ok(v) => Arc::new(v),
            // A router without a CA bundle still probes plain HTTP; its
            // HTTPS probes fail as bad answers, and the log says why.
            Err(e) => {
                tracing::warn!(error = %e, "no CA certificates: every HTTPS probe will fail");
                let schemes = provider
                    .signature_verification_algorithms
                    .supported_schemes();
                Arc::new(NoTrustAnchors { schemes })
            }
        };
    let mut config = ClientConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .map_err(|e| e.to_string())?
        .dangerous()
        .with_custom_certificate_verifier(verifier)
        .with_no_client_auth();
    config.alpn_protocols = vec![b"http/1.1".to_vec()];
    Ok(config)
}

/// Trusts nothing: what verification means without a CA store.
#[derive(Debug)]
struct NoTrustAnchors {
    schemes: Vec<SignatureScheme>,
}

impl ServerCertVerifier for NoTrustAnchors {
    fn verify_server_cert(
        &self,
        _end_entity: &CertificateDer<'_>,
        _intermediates: &[CertificateDer<'_>],
        _server_name: &ServerName<'_>,
        _ocsp_response: &[u8],
        _now: UnixTime,
    ) -> Result<ServerCertVerified, rustls::Error> {
        Err(rustls::Error::InvalidCertificate(
            CertificateError::UnknownIssuer,
        ))
    }

    fn verify_tls12_signature(
        &self,
        _message: &[u8],
        _cert: &CertificateDer<'_>,
        _dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        Err(rustls::Error::InvalidCertificate(
            CertificateError::UnknownIssuer,
        ))
    }

    fn verify_tls13_signature(
        &self,
        _message: &[u8],
        _cert: &CertificateDer<'_>,
        _dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        Err(rustls::Error::InvalidCertificate(
            CertificateError::UnknownIssuer,
        ))
    }

    fn supported_verify_schemes(&self) -> Vec<SignatureScheme> {
        self.schemes.clone()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_configuration_builds_with_ring_and_http1() {
        let config = client_config().unwrap();
        assert_eq!(config.alpn_protocols, vec![b"http/1.1".to_vec()]);
    }

    #[test]
    fn without_a_ca_store_every_certificate_is_refused() {
        let v = NoTrustAnchors {
            schemes: vec![SignatureScheme::ECDSA_NISTP256_SHA256],
        };
        let name = ServerName::try_from("192.0.2.80").unwrap();
        let r = v.verify_server_cert(
            &CertificateDer::from(vec![0x30]),
            &[],
            &name,
            &[],
            UnixTime::now(),
        );
        assert!(matches!(
            r,
            Err(rustls::Error::InvalidCertificate(
                CertificateError::UnknownIssuer
            ))
        ));
        assert_eq!(
            v.supported_verify_schemes(),
            [SignatureScheme::ECDSA_NISTP256_SHA256]
        );
    }
}

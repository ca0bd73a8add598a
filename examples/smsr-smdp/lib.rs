//! An example SM-DP (GSMA SGP.02) over the `smsr` crate: per eUICC it runs
//! CreateISDP, ES8.EstablishISDPKeySet (scenario #3) and
//! DownloadAndInstallation of a TS.48 package in SCP03t `86` segments,
//! each through an SM-SR's ES3.SendData with `moreToDo`, then
//! ProfileDownloadCompleted.
//!
//! * [`flow`]: one eUICC's download as a sans-IO state machine (ES3 calls
//!   out, answers in).
//! * [`package`]: the TS.48 package, with its own ICCID per eUICC.
//! * [`client`] and [`run`]: the transport, the SM-SR's JSON ES3 API.
//! * [`soap`], [`wsdl`], [`xml`], [`reply`]: the SOAP 1.2 binding over
//!   mutual TLS (SGP.02 §5), as an MNO's or SM-DP's client: the SM-SR's
//!   WSDL as the contract, WS-Addressing, a `ReplyTo` listener for the
//!   asynchronous answers; [`transport::Es3Soap`] runs a download over it.
#![allow(clippy::std_instead_of_core, clippy::std_instead_of_alloc)]

#[cfg(feature = "net")]
pub mod client;
pub mod flow;
pub mod package;
#[cfg(feature = "net")]
pub mod reply;
#[cfg(feature = "net")]
pub mod soap;
#[cfg(feature = "net")]
pub mod transport;
pub mod wsdl;
pub mod xml;

#[cfg(feature = "net")]
pub use client::Client;
pub use flow::{Call, Download, Error, Identity, KeyProvider, Order, Report};
#[cfg(feature = "net")]
pub use transport::Transport;

/// Fresh randomness for an [`Order`] from the operating system (the
/// ephemeral key, the SCP03t host challenge). The ephemeral scalar is
/// drawn again until it is a valid private key on both curves SGP.02
/// allows (1..n of NIST P-256 and of brainpoolP256r1, FIPS 186-5 A.4.2
/// rejection sampling), since the ECASD's curve is known only from its
/// certificate.
///
/// # Errors
/// The operating system has no random source.
pub fn randomness() -> Result<([u8; 32], [u8; 8]), String> {
    use smsr::crypto::ecka::{Curve, PrivateKey};
    let mut esk = [0u8; 32];
    let mut challenge = [0u8; 8];
    getrandom::fill(&mut challenge).map_err(|e| format!("random: {e}"))?;
    // Each draw fits both curves with probability about 2/3.
    for _ in 0..128 {
        getrandom::fill(&mut esk).map_err(|e| format!("random: {e}"))?;
        let fits = |c| PrivateKey::from_bytes_on(c, &esk).is_ok();
        if fits(Curve::NistP256) && fits(Curve::BrainpoolP256r1) {
            return Ok((esk, challenge));
        }
    }
    Err("random: no valid ephemeral scalar in 128 draws".into())
}

/// Drives `download` over `transport` until it is done.
#[cfg(feature = "net")]
///
/// # Errors
/// The transport failed or the download stopped ([`Error`]).
pub async fn run<T: Transport, P: KeyProvider>(
    transport: &T,
    download: &mut Download<'_, P>,
) -> Result<Report, String> {
    let mut call = Some(download.start());
    while let Some(c) = call {
        let (status, answer) = transport.send(&c).await?;
        call = download
            .handle(status, &answer)
            .map_err(|e| e.to_string())?;
    }
    download
        .report()
        .ok_or_else(|| "download ended without its report".to_owned())
}

//! A minimal line-based SMSC link over TCP, standing in for SMPP when the
//! simulated fleet runs in another process (`--fleet-only`), so that the
//! server can be killed and restarted while the eUICCs keep their state.
//!
//! One line per SMS: `MT <msisdn> <TP-UD hex>` towards the handsets,
//! `MO <msisdn> <TP-UD hex>` towards the SM-SR, which first sends `BIND`
//! (as an SMPP ESME binds). `STATS` asks the fleet for its report.

use std::net::SocketAddr;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use tokio::io::{AsyncBufReadExt, AsyncWriteExt, BufReader};
use tokio::net::TcpStream;
use tokio::sync::{mpsc, watch};

use crate::ota::{MoSms, MtSms, SmsGateway};

/// Formats one SMS line.
pub fn line(kind: &str, msisdn: &str, tp_ud: &[u8]) -> String {
    format!("{kind} {msisdn} {}\n", hex::encode_upper(tp_ud))
}

/// Parses one SMS line: `(kind, msisdn, tp_ud)`.
pub fn parse_line(l: &str) -> Option<(&str, &str, Vec<u8>)> {
    let mut it = l.split_whitespace();
    let kind = it.next()?;
    let msisdn = it.next()?;
    let data = hex::decode(it.next()?).ok()?;
    it.next().is_none().then_some((kind, msisdn, data))
}

/// The SM-SR's end of the link: reconnects until shut down.
pub struct TcpSmsc {
    tx: mpsc::UnboundedSender<String>,
    up: Arc<AtomicBool>,
}

impl TcpSmsc {
    /// Connects (in the background) to the SMSC at `addr`; MO SMS go to
    /// `mo`.
    pub fn connect(
        addr: SocketAddr,
        mo: mpsc::UnboundedSender<MoSms>,
        shutdown: watch::Receiver<bool>,
    ) -> Self {
        let (tx, rx) = mpsc::unbounded_channel::<String>();
        let up = Arc::new(AtomicBool::new(false));
        tokio::spawn(link(addr, rx, mo, up.clone(), shutdown));
        Self { tx, up }
    }
}

async fn link(
    addr: SocketAddr,
    mut rx: mpsc::UnboundedReceiver<String>,
    mo: mpsc::UnboundedSender<MoSms>,
    up: Arc<AtomicBool>,
    mut shutdown: watch::Receiver<bool>,
) {
    loop {
        if *shutdown.borrow() {
            return;
        }
        let Ok(tcp) = TcpStream::connect(addr).await else {
            tokio::time::sleep(Duration::from_millis(200)).await;
            continue;
        };
        let _ = tcp.set_nodelay(true);
        let (r, mut w) = tcp.into_split();
        // Bind as the SM-SR: MO SMS come to this link.
        if w.write_all(b"BIND\n").await.is_err() {
            tokio::time::sleep(Duration::from_millis(200)).await;
            continue;
        }
        let mut lines = BufReader::new(r).lines();
        up.store(true, Ordering::SeqCst);
        tracing::info!(%addr, "SMSC link up");
        loop {
            tokio::select! {
                out = rx.recv() => {
                    let Some(out) = out else { return };
                    if w.write_all(out.as_bytes()).await.is_err() {
                        break;
                    }
                }
                l = lines.next_line() => {
                    match l {
                        Ok(Some(l)) => {
                            if let Some(("MO", from, tp_ud)) = parse_line(&l) {
                                let _ = mo.send(MoSms { from: from.to_owned(), tp_ud });
                            }
                        }
                        _ => break,
                    }
                }
                _ = shutdown.changed() => return,
            }
        }
        up.store(false, Ordering::SeqCst);
        tracing::warn!(%addr, "SMSC link down");
    }
}

impl SmsGateway for TcpSmsc {
    fn submit(&self, sms: MtSms) -> Result<(), String> {
        if !self.up.load(Ordering::SeqCst) {
            return Err("SMSC link down".into());
        }
        self.tx
            .send(line("MT", &sms.to, &sms.tp_ud))
            .map_err(|_| "SMSC link closed".to_owned())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lines_round_trip() {
        let l = line("MT", "4917", &[0x02, 0x70, 0x00]);
        assert_eq!(l, "MT 4917 027000\n");
        let (k, m, d) = parse_line(l.trim()).unwrap();
        assert_eq!((k, m, d), ("MT", "4917", vec![0x02, 0x70, 0x00]));
        assert!(parse_line("MT 4917 0Z").is_none());
        assert!(parse_line("MT 4917 00 extra").is_none());
        assert!(parse_line("").is_none());
    }
}

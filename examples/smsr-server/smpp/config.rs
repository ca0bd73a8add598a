//! The `--smsc smpp://…` URL: how the server's ESME binds to an SMSC.
//!
//! ```text
//! smpp://SYSTEM_ID:PASSWORD@HOST:PORT?system_type=OTA&data_coding=0xF6
//!     &registered_delivery=1&binds=2&window=10&concat=udh
//!     &enquire_link_ms=30000&queue_ms=5000&source_addr=
//! ```
//!
//! `system_id` (≤ 15 characters) and `password` (≤ 8, SMPP 3.4 §4.1.1)
//! are percent-free text; every query key is optional:
//! - `system_type` (≤ 12): sent in the bind, default empty.
//! - `data_coding`: `0xF6` (default; 8-bit, SIM-specific class 2 as
//!   3GPP TS 23.038 codes it for SMS-PP data download), `0x02` (SMPP 3.4
//!   §5.2.19 "octet unspecified", python-smpplib's SMPP_ENCODING_BINARY,
//!   what pySim's contrib/smpp-ota-tool.py sends), `0x04` (8-bit) or
//!   `0x16` (8-bit class 2, general data coding group), since SMSCs
//!   differ in what they accept.
//! - `registered_delivery`: `0` or `1` (default, SMSC delivery receipt on
//!   success and failure, SMPP 3.4 §5.2.17: a failed delivery is then a
//!   failed attempt).
//! - `binds`: 1–16 transceiver sessions (default 1); `window`: 1–1000
//!   outstanding requests per session (default 64).
//! - `concat`: `udh` (default: each segment its own submit_sm with its
//!   concatenation IE, TS 23.040 §9.2.3.24.1) or `sar` (the concatenation
//!   IE moved into the sar_msg_ref_num / sar_total_segments /
//!   sar_segment_seqnum TLVs, SMPP 3.4 §5.3.2.22–24).
//! - `enquire_link_ms` (default 30000): keep-alive period;
//!   `queue_ms` (default 5000): how long an MT SMS may wait for a window
//!   slot or a bound session before its attempt fails (never sent late).
//! - `source_addr` (≤ 20): the SM-SR's address, default empty.
//! - `tls`: `false` (default) or `true`: SMPP over TLS (the SMSC's
//!   certificate verified, host name included). With `tls=true`:
//!   `ca_file` (PEM trust anchors; default the system's), `server_name`
//!   (the name checked in the certificate, and sent as SNI; default the
//!   host), and `cert_file` + `key_file` (PEM paths of an optional client
//!   certificate; paths only, never key material in the URL).

use std::collections::HashMap;
use std::path::PathBuf;

use zeroize::Zeroizing;

/// How segments of a concatenated command packet are marked.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Concat {
    /// The concatenation IE stays in each segment's UDH.
    Udh,
    /// The concatenation IE becomes the sar_* TLVs.
    Sar,
}

/// SMPP over TLS: where the trust anchors and the client certificate are.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct SmppTls {
    /// PEM trust anchors (`None`: the system's).
    pub ca_file: Option<PathBuf>,
    /// Name checked in the SMSC's certificate (`None`: the host).
    pub server_name: Option<String>,
    /// PEM client certificate chain and its key.
    pub client: Option<(PathBuf, PathBuf)>,
}

/// One SMSC account.
#[derive(Clone, PartialEq, Eq)]
pub struct SmppConfig {
    /// SMSC host name or address.
    pub host: String,
    /// SMSC port.
    pub port: u16,
    /// Bind system_id.
    pub system_id: String,
    /// Bind password (never in Debug or logs).
    pub password: Zeroizing<String>,
    /// Bind system_type.
    pub system_type: String,
    /// data_coding of MT SMS.
    pub data_coding: u8,
    /// registered_delivery of MT SMS.
    pub registered_delivery: u8,
    /// Transceiver sessions.
    pub binds: usize,
    /// Outstanding requests per session.
    pub window: usize,
    /// Concatenation marking.
    pub concat: Concat,
    /// enquire_link period, ms.
    pub enquire_link_ms: u64,
    /// Longest wait of an MT SMS before it is submitted, ms.
    pub queue_ms: u64,
    /// source_addr of MT SMS.
    pub source_addr: String,
    /// SMPP over TLS, if asked for.
    pub tls: Option<Box<SmppTls>>,
}

impl core::fmt::Debug for SmppConfig {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        write!(
            f,
            "smpp://{}:<redacted>@{}:{} (binds {}, window {}, data_coding {:#04X}, tls {})",
            self.system_id,
            self.host,
            self.port,
            self.binds,
            self.window,
            self.data_coding,
            self.tls.is_some()
        )
    }
}

/// Text of at most `max` bytes without NUL (a C-Octet String field).
fn text(key: &str, v: &str, max: usize) -> Result<String, String> {
    if v.len() > max || v.contains('\0') {
        return Err(format!("{key}: at most {max} characters, no NUL"));
    }
    Ok(v.to_owned())
}

/// A number in `lo..=hi`, decimal or `0x` hexadecimal.
fn number(key: &str, v: &str, lo: u64, hi: u64) -> Result<u64, String> {
    let n = match v.strip_prefix("0x").or_else(|| v.strip_prefix("0X")) {
        Some(h) => u64::from_str_radix(h, 16),
        None => v.parse(),
    }
    .map_err(|e| format!("{key}={v}: {e}"))?;
    if !(lo..=hi).contains(&n) {
        return Err(format!("{key}={v}: outside {lo}..={hi}"));
    }
    Ok(n)
}

impl SmppConfig {
    /// Parses an `smpp://` URL (see the module documentation).
    ///
    /// # Errors
    /// Any part is missing, malformed or out of range.
    pub fn parse(url: &str) -> Result<Self, String> {
        let rest = url
            .strip_prefix("smpp://")
            .ok_or("expected smpp://SYSTEM_ID:PASSWORD@HOST:PORT[?…]")?;
        let (authority, query) = rest.split_once('?').unwrap_or((rest, ""));
        let (account, hostport) = authority
            .rsplit_once('@')
            .ok_or("missing SYSTEM_ID:PASSWORD@")?;
        let (system_id, password) = account.split_once(':').ok_or("missing :PASSWORD")?;
        let (host, port) = hostport.rsplit_once(':').ok_or("missing :PORT")?;
        if system_id.is_empty() || host.is_empty() {
            return Err("empty system_id or host".into());
        }
        let mut q: HashMap<&str, &str> = HashMap::new();
        for kv in query.split('&').filter(|s| !s.is_empty()) {
            let (k, v) = kv
                .split_once('=')
                .ok_or_else(|| format!("{kv}: not key=value"))?;
            if q.insert(k, v).is_some() {
                return Err(format!("{k}: given twice"));
            }
        }
        let mut c = Self {
            host: host
                .trim_start_matches('[')
                .trim_end_matches(']')
                .to_owned(),
            port: u16::try_from(number("port", port, 1, 65_535)?).map_err(|e| e.to_string())?,
            system_id: text("system_id", system_id, 15)?,
            password: Zeroizing::new(text("password", password, 8)?),
            system_type: String::new(),
            data_coding: 0xF6,
            registered_delivery: 1,
            binds: 1,
            window: 64,
            concat: Concat::Udh,
            enquire_link_ms: 30_000,
            queue_ms: 5_000,
            source_addr: String::new(),
            tls: None,
        };
        let tls = tls_options(&mut q)?;
        for (k, v) in q {
            c.set(k, v)?;
        }
        c.tls = tls;
        Ok(c)
    }

    fn set(&mut self, k: &str, v: &str) -> Result<(), String> {
        let small = |n: u64| usize::try_from(n).map_err(|e| e.to_string());
        match k {
            "system_type" => self.system_type = text(k, v, 12)?,
            "source_addr" => self.source_addr = text(k, v, 20)?,
            "data_coding" => {
                let n = number(k, v, 0, 255)?;
                self.data_coding = match n {
                    0x02 | 0x04 | 0x16 | 0xF6 => u8::try_from(n).map_err(|e| e.to_string())?,
                    _ => return Err(format!("{k}={v}: expected 0x02, 0x04, 0x16 or 0xF6")),
                };
            }
            "registered_delivery" => {
                self.registered_delivery =
                    u8::try_from(number(k, v, 0, 1)?).map_err(|e| e.to_string())?;
            }
            "binds" => self.binds = small(number(k, v, 1, 16)?)?,
            "window" => self.window = small(number(k, v, 1, 1000)?)?,
            "enquire_link_ms" => self.enquire_link_ms = number(k, v, 100, 3_600_000)?,
            "queue_ms" => self.queue_ms = number(k, v, 10, 600_000)?,
            "concat" => {
                self.concat = match v {
                    "udh" => Concat::Udh,
                    "sar" => Concat::Sar,
                    _ => return Err(format!("{k}={v}: expected udh or sar")),
                };
            }
            _ => return Err(format!("{k}: unknown key")),
        }
        Ok(())
    }
}

/// Takes `tls`, `ca_file`, `server_name`, `cert_file` and `key_file` out
/// of the query.
fn tls_options(q: &mut HashMap<&str, &str>) -> Result<Option<Box<SmppTls>>, String> {
    let on = match q.remove("tls") {
        None | Some("false") => false,
        Some("true") => true,
        Some(v) => return Err(format!("tls={v}: expected true or false")),
    };
    let path = |v: &str| -> Result<PathBuf, String> {
        if v.is_empty() {
            return Err("an empty path".into());
        }
        Ok(PathBuf::from(v))
    };
    let ca_file = q.remove("ca_file").map(path).transpose()?;
    let server_name = q
        .remove("server_name")
        .map(|v| text("server_name", v, 253))
        .transpose()?;
    let cert = q.remove("cert_file").map(path).transpose()?;
    let key = q.remove("key_file").map(path).transpose()?;
    let client = match (cert, key) {
        (Some(c), Some(k)) => Some((c, k)),
        (None, None) => None,
        _ => return Err("cert_file and key_file go together".into()),
    };
    let t = SmppTls {
        ca_file,
        server_name,
        client,
    };
    match (on, t == SmppTls::default()) {
        (true, _) => Ok(Some(Box::new(t))),
        (false, true) => Ok(None),
        (false, false) => Err("ca_file, server_name, cert_file, key_file need tls=true".into()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_full_url() {
        let c = SmppConfig::parse(
            "smpp://smsr:secret@127.0.0.1:2775?system_type=OTA&data_coding=0x04\
             &registered_delivery=0&binds=3&window=50&concat=sar&enquire_link_ms=1000\
             &queue_ms=2000&source_addr=12345&tls=false",
        )
        .unwrap();
        assert_eq!((c.host.as_str(), c.port), ("127.0.0.1", 2775));
        assert_eq!(
            (c.system_id.as_str(), c.password.as_str()),
            ("smsr", "secret")
        );
        assert_eq!(c.system_type, "OTA");
        assert_eq!((c.data_coding, c.registered_delivery), (0x04, 0));
        assert_eq!((c.binds, c.window, c.concat), (3, 50, Concat::Sar));
        assert_eq!((c.enquire_link_ms, c.queue_ms), (1000, 2000));
        assert_eq!(c.source_addr, "12345");
        assert!(!format!("{c:?}").contains("secret"));
    }

    #[test]
    fn defaults() {
        let c = SmppConfig::parse("smpp://a:b@[::1]:1").unwrap();
        assert_eq!(c.host, "::1");
        assert_eq!((c.data_coding, c.registered_delivery), (0xF6, 1));
        assert_eq!((c.binds, c.window, c.concat), (1, 64, Concat::Udh));
        let c = SmppConfig::parse("smpp://a:b@h:1?data_coding=2").unwrap();
        assert_eq!(c.data_coding, 0x02);
    }

    #[test]
    fn tls_options() {
        let c = SmppConfig::parse(
            "smpp://a:b@h:1?tls=true&ca_file=/ca.pem&server_name=smsc.example\
             &cert_file=/c.pem&key_file=/k.pem",
        )
        .unwrap();
        let t = c.tls.unwrap();
        assert_eq!(t.ca_file, Some(PathBuf::from("/ca.pem")));
        assert_eq!(t.server_name.as_deref(), Some("smsc.example"));
        assert_eq!(
            t.client,
            Some((PathBuf::from("/c.pem"), PathBuf::from("/k.pem")))
        );
        let c = SmppConfig::parse("smpp://a:b@h:1?tls=true").unwrap();
        assert_eq!(c.tls, Some(Box::new(SmppTls::default())));
        assert_eq!(
            SmppConfig::parse("smpp://a:b@h:1?tls=false").unwrap().tls,
            None
        );
    }

    #[test]
    fn bad_urls_are_refused() {
        for bad in [
            "tcp://a:b@h:1",
            "smpp://h:1",
            "smpp://a@h:1",
            "smpp://a:b@h",
            "smpp://a:b@h:0",
            "smpp://a:b@h:99999",
            "smpp://:b@h:1",
            "smpp://a:123456789@h:1",
            "smpp://a:b@h:1?window=0",
            "smpp://a:b@h:1?binds=17",
            "smpp://a:b@h:1?data_coding=0x08",
            "smpp://a:b@h:1?data_coding=0x00",
            "smpp://a:b@h:1?concat=tlv",
            "smpp://a:b@h:1?tls=yes",
            "smpp://a:b@h:1?ca_file=/ca.pem",
            "smpp://a:b@h:1?tls=false&server_name=x",
            "smpp://a:b@h:1?tls=true&cert_file=/c.pem",
            "smpp://a:b@h:1?tls=true&key_file=/k.pem",
            "smpp://a:b@h:1?tls=true&ca_file=",
            "smpp://a:b@h:1?nope=1",
            "smpp://a:b@h:1?window",
            "smpp://a:b@h:1?window=1&window=2",
        ] {
            assert!(SmppConfig::parse(bad).is_err(), "{bad}");
        }
    }
}

//! A keep-alive HTTP/1.1 client for an SM-SR's operator API (the JSON
//! binding of ES1/ES3/ES4), over hyper and tokio.

use std::net::SocketAddr;

use http_body_util::{BodyExt, Full};
use hyper::body::Bytes;
use hyper::client::conn::http1;
use hyper_util::rt::TokioIo;
use serde_json::Value;
use tokio::net::TcpStream;
use tokio::sync::Mutex;

/// A keep-alive HTTP/1.1 client for the operator API.
pub struct Client {
    addr: SocketAddr,
    token: String,
    conn: Mutex<Option<http1::SendRequest<Full<Bytes>>>>,
}

impl Client {
    /// A client for `addr` presenting `token`.
    pub fn new(addr: SocketAddr, token: &str) -> Self {
        Self {
            addr,
            token: token.to_owned(),
            conn: Mutex::new(None),
        }
    }

    async fn connect(&self) -> Result<http1::SendRequest<Full<Bytes>>, String> {
        let tcp = TcpStream::connect(self.addr)
            .await
            .map_err(|e| format!("connect {}: {e}", self.addr))?;
        let (send, conn) = http1::handshake(TokioIo::new(tcp))
            .await
            .map_err(|e| format!("HTTP handshake: {e}"))?;
        tokio::spawn(async move {
            if let Err(e) = conn.await {
                tracing::debug!("operator API connection: {e}");
            }
        });
        Ok(send)
    }

    /// Sends one request; returns the HTTP status and the JSON body.
    ///
    /// # Errors
    /// The connection failed or the answer is not JSON.
    pub async fn call(
        &self,
        method: &str,
        path: &str,
        body: Option<&Value>,
    ) -> Result<(u16, Value), String> {
        let mut guard = self.conn.lock().await;
        let mut send = match guard.take() {
            Some(mut s) if !s.is_closed() => {
                // The previous exchange may not have settled yet.
                if s.ready().await.is_ok() {
                    s
                } else {
                    self.connect().await?
                }
            }
            _ => self.connect().await?,
        };
        // A request without a body (GET) sends an empty one.
        let bytes = body.map_or_else(String::new, Value::to_string);
        let req = hyper::Request::builder()
            .method(method)
            .uri(path)
            .header("host", self.addr.to_string())
            .header("authorization", format!("Bearer {}", self.token))
            .header("content-type", "application/json")
            .body(Full::new(Bytes::from(bytes)))
            .map_err(|e| e.to_string())?;
        let resp = send
            .send_request(req)
            .await
            .map_err(|e| format!("{method} {path}: {e}"))?;
        let status = resp.status().as_u16();
        let body = resp
            .into_body()
            .collect()
            .await
            .map_err(|e| e.to_string())?
            .to_bytes();
        *guard = Some(send);
        let v = if body.is_empty() {
            Value::Null
        } else {
            serde_json::from_slice(&body).map_err(|e| format!("{path}: answer not JSON: {e}"))?
        };
        Ok((status, v))
    }

    /// POSTs a function and insists on `Executed-Success` (200).
    ///
    /// # Errors
    /// Any other answer.
    pub async fn ok(&self, path: &str, body: Value) -> Result<Value, String> {
        let (s, v) = self.call("POST", path, Some(&body)).await?;
        let st = v
            .pointer("/FunctionExecutionStatus/Status")
            .and_then(Value::as_str)
            .unwrap_or("");
        if s == 200 && st.starts_with("Executed") {
            Ok(v)
        } else {
            Err(format!("{path} {body}: HTTP {s} {v}"))
        }
    }
}

//! How a [`crate::Download`]'s ES3 calls reach the SM-SR: the JSON API
//! ([`crate::Client`]) or the SOAP binding ([`Es3Soap`]).

use std::future::Future;

use serde_json::Value;

use crate::flow::Call;
use crate::soap::SoapClient;

/// Sends one ES3 call; the HTTP status and the answer as JSON.
pub trait Transport {
    /// Sends `call`.
    fn send(&self, call: &Call) -> impl Future<Output = Result<(u16, Value), String>> + Send;
}

impl Transport for crate::Client {
    async fn send(&self, call: &Call) -> Result<(u16, Value), String> {
        self.call("POST", call.path, Some(&call.body)).await
    }
}

/// The SM-DP's ES3 over SOAP (SGP.02 §5.4): the call's function is the
/// last segment of its JSON path (`/es4/GetEIS` → ES3.GetEIS), and
/// ES3.CreateISDP names the MNO the SM-DP acts for (`Mno-id`, mandatory
/// in SGP.02 §5.4.1, implied by the caller in the JSON API).
pub struct Es3Soap<'a> {
    /// A client of the SM-DP's ES3 party.
    pub client: &'a SoapClient,
    /// The MNO it downloads for.
    pub mno_id: &'a str,
}

impl Transport for Es3Soap<'_> {
    async fn send(&self, call: &Call) -> Result<(u16, Value), String> {
        let name = call.path.rsplit('/').next().unwrap_or(call.path);
        let mut body = call.body.clone();
        if name == "CreateISDP"
            && let Some(o) = body.as_object_mut()
        {
            o.entry("Mno-id")
                .or_insert_with(|| Value::String(self.mno_id.to_owned()));
        }
        self.client.call(name, &body).await
    }
}

impl<T: Transport + Send + Sync> Transport for std::sync::Arc<T> {
    fn send(&self, call: &Call) -> impl Future<Output = Result<(u16, Value), String>> + Send {
        T::send(self, call)
    }
}

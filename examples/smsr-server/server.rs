//! Wiring: the store, the SMS gateway, the delivery engine, the SCP81
//! listener and the operator API, started together and stopped together.

use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use hyper::server::conn::http1;
use hyper::service::service_fn;
use hyper_util::rt::{TokioIo, TokioTimer};
use openssl::ssl::SslAcceptor;
use tokio::io::{AsyncRead, AsyncReadExt, AsyncWrite, AsyncWriteExt};
use tokio::net::{TcpListener, TcpSocket};
use tokio::sync::{Semaphore, mpsc, watch};

use crate::config::Db;
use crate::config::EngineConfig;
use crate::config::{Config, Smsc};
use crate::engine::Engine;
use crate::ota::{Gateway, NoSmsc};
use crate::scp81::{self, Hub};
use crate::smpp::esme::Esme;
use crate::store::Store;
use crate::store::authorisations::Authorisations;
use crate::store::onc::Oncs;
use crate::store::outbox::Outbox;
use crate::store::outbox_prune::PrunableOutbox;
use crate::store::postgres::PostgresStore;
use crate::store::sqlite::SqliteStore;

/// The inventory file when none is configured (outside `--demo`).
pub const DEFAULT_DATABASE: &str = "smsr-inventory.db";

/// What the API handlers share.
pub struct App {
    /// The inventory store.
    pub store: Arc<dyn Store>,
    /// The PLMAs granted (same database).
    pub plmas: Arc<dyn Authorisations>,
    /// The ONCs set (same database, `store/onc.rs`).
    pub oncs: Arc<dyn Oncs>,
    /// The outbox (same database): messages not caused by an EIS change
    /// (HandlePLMASettingNotification), and its pruning
    /// (`store/outbox_prune.rs`).
    pub outbox: Arc<dyn PrunableOutbox>,
    /// The configuration.
    pub config: Config,
    /// The delivery engine.
    pub engine: Arc<Engine>,
}

/// A running server.
pub struct Running {
    /// Operator API address.
    pub api: SocketAddr,
    /// SCP81 listener address.
    pub scp81: SocketAddr,
    /// The ES (SOAP over mutual TLS) listener address, when configured.
    pub es: Option<SocketAddr>,
    /// The database file (SQLite) or URL, password redacted (PostgreSQL).
    pub database: PathBuf,
    /// Shared state.
    pub app: Arc<App>,
    shutdown: watch::Sender<bool>,
    /// Bound SMSC sessions, when the gateway has any.
    smsc_link: Option<watch::Receiver<usize>>,
}

impl Running {
    /// Stops accepting connections and gives in-flight operations up to
    /// `grace` to settle (unsettled ones stay queued in the store).
    pub async fn stop(self, grace: Duration) {
        // Sent even when every listener has already stopped.
        self.shutdown.send_replace(true);
        let deadline = tokio::time::Instant::now() + grace;
        // SMPP sessions unbind (SMPP 3.4 §4.2) before the runtime stops.
        if let Some(mut link) = self.smsc_link
            && tokio::time::timeout_at(deadline, link.wait_for(|n| *n == 0))
                .await
                .is_err()
        {
            tracing::warn!("SMPP sessions still bound at shutdown");
        }
        while tokio::time::Instant::now() < deadline && self.app.engine.active() > 0 {
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }
}

/// PostgreSQL connections per instance.
const POSTGRES_POOL: usize = 16;

/// The inventory file: the configured one, a throw-away file for the demo,
/// else [`DEFAULT_DATABASE`]; for PostgreSQL its URL without password.
fn database_path(config: &Config) -> PathBuf {
    match &config.database {
        Some(Db::Sqlite(p)) => p.clone(),
        Some(Db::Postgres(url)) => PathBuf::from(crate::config::redact_url(url)),
        // The demo runs on a throw-away file; a server keeps its inventory.
        None if config.demo => std::env::temp_dir().join(format!(
            "smsr-server-{}-{}.db",
            std::process::id(),
            crate::ops::now_ms()
        )),
        None => PathBuf::from(DEFAULT_DATABASE),
    }
}

/// The listen backlog: connections the kernel completes before the accept
/// loop takes them. A fleet-wide trigger makes thousands of cards connect
/// at once; mio's default (128) drops their SYNs into one-second
/// retransmits (the kernel caps it at `net.core.somaxconn`).
const BACKLOG: u32 = 4096;

/// Binds `addr` with [`BACKLOG`]; `what` names the listener in the error.
pub async fn bind(addr: SocketAddr, what: &str) -> Result<(TcpListener, SocketAddr), String> {
    let err = |e: std::io::Error| format!("{what} {addr}: {e}");
    let socket = if addr.is_ipv4() {
        TcpSocket::new_v4()
    } else {
        TcpSocket::new_v6()
    }
    .map_err(err)?;
    socket.set_reuseaddr(true).map_err(err)?;
    socket.bind(addr).map_err(err)?;
    let listener = socket.listen(BACKLOG).map_err(err)?;
    let bound = listener.local_addr().map_err(|e| e.to_string())?;
    Ok((listener, bound))
}

/// The configured SMS gateway; MO SMS go to `mo_tx`.
fn gateway(
    smsc: &Smsc,
    mo_tx: mpsc::UnboundedSender<crate::ota::MoSms>,
    shutdown: watch::Receiver<bool>,
) -> Gateway {
    match smsc {
        Smsc::Loopback => Arc::new(NoSmsc),
        Smsc::Smpp(cfg) => Arc::new(Esme::start(cfg.clone(), mo_tx, shutdown)),
    }
}

/// Writes the bound addresses to `file` (atomically: a temporary file
/// renamed), for the tests that start the server.
fn write_ready_file(
    file: &std::path::Path,
    api: SocketAddr,
    scp81: SocketAddr,
    es: Option<SocketAddr>,
    database: &std::path::Path,
) -> Result<(), String> {
    let v = serde_json::json!({
        "Api": api.to_string(),
        "Scp81": scp81.to_string(),
        "Es": es.map(|a| a.to_string()),
        "Database": database.display().to_string(),
        "Pid": std::process::id(),
    });
    let tmp = file.with_extension("tmp");
    std::fs::write(&tmp, v.to_string())
        .and_then(|()| std::fs::rename(&tmp, file))
        .map_err(|e| format!("{}: {e}", file.display()))
}

/// The configured database seen through each of its traits: the
/// inventory store, its outbox (`store/outbox.rs`), the PLMA store
/// (`store/authorisations.rs`), the key-handle store (`store/held.rs`)
/// and the ONC store (`store/onc.rs`).
struct Stores {
    inventory: Arc<dyn Store>,
    outbox: Arc<dyn PrunableOutbox>,
    plmas: Arc<dyn Authorisations>,
    keys: Arc<dyn crate::store::held::HeldKeys>,
    oncs: Arc<dyn Oncs>,
    /// The engine's per-operation calls, awaited (`store/hot.rs`).
    hot: Arc<dyn crate::store::hot::HotPath>,
}

impl Stores {
    /// One database behind every trait.
    fn of<S>(store: S) -> Self
    where
        S: Store + PrunableOutbox + Authorisations + crate::store::held::HeldKeys + Oncs + 'static,
        S: crate::store::hot::HotPath,
    {
        let store = Arc::new(store);
        Self {
            inventory: store.clone(),
            outbox: store.clone(),
            plmas: store.clone(),
            keys: store.clone(),
            hot: store.clone(),
            oncs: store,
        }
    }
}

/// The configured store (`database` as [`database_path`] names it).
fn open_store(config: &Config, database: &std::path::Path) -> Result<Stores, String> {
    let failed = |e| format!("{}: {e}", database.display());
    let temporary = config.demo && config.database.is_none();
    let custody =
        crate::keys::custody_for(&config.keys, config.master_key_file.as_deref(), temporary)?;
    Ok(match &config.database {
        Some(Db::Postgres(url)) => {
            // Connecting blocks: not on a runtime worker unknowingly.
            let url = url.clone();
            let store =
                tokio::task::block_in_place(|| PostgresStore::open(&url, POSTGRES_POOL, custody));
            Stores::of(store.map_err(failed)?)
        }
        _ => Stores::of(SqliteStore::open(database, config.power_safe, custody).map_err(failed)?),
    })
}

/// A name for this server instance, unique per process: the owner of its
/// leases on queued operations.
fn instance_id(scp81: SocketAddr) -> String {
    format!("{scp81}/{}/{}", std::process::id(), crate::ops::now_ms())
}

/// Starts everything.
///
/// # Errors
/// A listener cannot be bound or the database opened.
pub async fn start(config: Config) -> Result<Running, String> {
    let database = database_path(&config);
    let Stores {
        inventory: store,
        outbox,
        plmas,
        keys,
        oncs,
        hot,
    } = open_store(&config, &database)?;
    let (scp81_listener, scp81_addr) = bind(config.scp81, "SCP81 listener").await?;
    let api_tls = crate::api_tls::acceptor_for(&config).map_err(|e| e.to_string())?;
    let (api_listener, api_addr) = bind(config.api, "API listener").await?;
    let (shutdown, shutdown_rx) = watch::channel(false);

    let (mo_tx, mo_rx) = mpsc::unbounded_channel();
    let gateway = gateway(&config.smsc, mo_tx, shutdown_rx.clone());
    let smsc_link = gateway.link();
    let hub = Arc::new(Hub::default());
    let engine = Arc::new(Engine::new(
        (store.clone(), keys.clone(), hot),
        EngineConfig {
            smsr_id: config.smsr_id.clone(),
            attempts: config.attempts,
            backoff_ms: config.backoff_ms,
            session_timeout_ms: config.session_timeout_ms,
            max_parallel: config.max_parallel,
            scp81_addr: config.scp81_public.unwrap_or(scp81_addr),
            instance_id: instance_id(config.scp81_public.unwrap_or(scp81_addr)),
            lease_ms: config.lease_ms,
        },
        gateway,
        hub.clone(),
    ));
    tokio::spawn(engine.clone().run_mo(mo_rx));
    let ctx = scp81::context(keys, hub.clone()).map_err(|e| format!("TLS context: {e}"))?;
    tokio::spawn(scp81::serve(
        scp81_listener,
        ctx,
        hub,
        config.limits,
        shutdown_rx.clone(),
    ));
    let app = Arc::new(App {
        store: store.clone(),
        plmas,
        oncs,
        outbox: outbox.clone(),
        config: config.clone(),
        engine: engine.clone(),
    });
    let es = match &config.es {
        Some(es) => Some(start_es(es, app.clone(), outbox, shutdown_rx.clone()).await?),
        None => None,
    };
    let api_tls = api_tls.map(Arc::new);
    let api_scheme = if api_tls.is_some() { "https" } else { "http" };
    tokio::spawn(serve_api(
        api_listener,
        api_tls,
        app.clone(),
        shutdown_rx.clone(),
    ));
    let resumed = engine.resume().map_err(|e| e.to_string())?;
    tokio::spawn(engine.clone().run_claims(shutdown_rx));
    if config.operators.is_empty() {
        tracing::warn!("no operators configured: every API request will be refused (401)");
    }
    let euiccs = store.count().map_err(|e| format!("inventory count: {e}"))?;
    tracing::info!(
        api = %api_addr, api_scheme, scp81 = %scp81_addr, database = %database.display(),
        euiccs, resumed, "SM-SR listening"
    );
    if let Some(f) = &config.ready_file {
        write_ready_file(f, api_addr, scp81_addr, es, &database)?;
    }
    Ok(Running {
        api: api_addr,
        scp81: scp81_addr,
        es,
        database,
        app,
        shutdown,
        smsc_link,
    })
}

/// Binds and starts the ES listener (`es_tls.rs`, `soap/`).
async fn start_es(
    es: &crate::config::EsConfig,
    app: Arc<App>,
    outbox: Arc<dyn Outbox>,
    shutdown: watch::Receiver<bool>,
) -> Result<SocketAddr, String> {
    let (listener, addr) = bind(es.listen, "ES listener").await?;
    let clients = crate::es_tls::clients(es);
    let acceptor = crate::es_tls::acceptor(es, &clients)?;
    let notifier = Arc::new(crate::soap::notify::Notifier::new(
        app.clone(),
        outbox,
        es,
        &instance_id(addr),
    )?);
    tokio::spawn(notifier.clone().run(shutdown.clone()));
    let binding = Arc::new(crate::soap::Binding {
        notifier,
        limits: smsr::soap::Limits::DEFAULT,
    });
    tokio::spawn(crate::es_tls::serve(
        listener, acceptor, clients, binding, app, shutdown,
    ));
    tracing::info!(es = %addr, "ES SOAP listener (mutual TLS)");
    Ok(addr)
}

/// The answer to an API connection past `MaxApiConnections`, written
/// before the connection is closed.
fn api_busy() -> String {
    let body = serde_json::json!({
        "Message": "too many operator API connections open (MaxApiConnections); retry later",
    })
    .to_string();
    format!(
        "HTTP/1.1 503 Service Unavailable\r\nContent-Type: application/json\r\n\
         Connection: close\r\nRetry-After: 1\r\nContent-Length: {}\r\n\r\n{body}",
        body.len()
    )
}

/// Writes [`api_busy`] to a refused connection and closes it: the write
/// side first, then what the peer still sends is read and dropped (so its
/// request does not turn the close into a reset that loses the answer),
/// all within a second.
async fn refuse_api<S: AsyncRead + AsyncWrite + Unpin>(mut tcp: S, peer: SocketAddr) {
    let busy = async {
        tcp.write_all(api_busy().as_bytes()).await?;
        tcp.shutdown().await?;
        let mut sink = [0u8; 1024];
        while tcp.read(&mut sink).await? > 0 {}
        Ok::<(), std::io::Error>(())
    };
    match tokio::time::timeout(Duration::from_secs(1), busy).await {
        Ok(Ok(())) => {}
        Ok(Err(e)) => tracing::debug!(%peer, "operator API 503: {e}"),
        Err(_) => tracing::debug!(%peer, "operator API 503: the peer kept the connection open"),
    }
}

/// Accepts operator API connections until `shutdown` (over TLS when
/// `tls` is given), at most `MaxApiConnections` at a time (past that:
/// `503` and close, logged); a connection that completes no TLS handshake
/// or sends no request head for `ApiIdleTimeoutMs` is closed.
async fn serve_api(
    listener: TcpListener,
    tls: Option<Arc<SslAcceptor>>,
    app: Arc<App>,
    mut shutdown: watch::Receiver<bool>,
) {
    let limits = app.config.limits;
    let slots = Arc::new(Semaphore::new(limits.max_api_connections));
    let idle = Duration::from_millis(limits.api_idle_timeout_ms);
    loop {
        let accepted = tokio::select! {
            a = listener.accept() => a,
            _ = shutdown.changed() => return,
        };
        let (tcp, peer) = match accepted {
            Ok(a) => a,
            Err(e) => {
                tracing::warn!("operator API accept: {e}");
                tokio::time::sleep(Duration::from_millis(50)).await;
                continue;
            }
        };
        let slot = slots.clone().try_acquire_owned().ok();
        if slot.is_none() {
            tracing::warn!(
                %peer, limit = limits.max_api_connections,
                "operator API connection refused (503): MaxApiConnections open"
            );
        }
        let (app, tls) = (app.clone(), tls.clone());
        tokio::spawn(async move {
            let Some(acceptor) = tls else {
                match slot {
                    Some(slot) => serve_api_connection(tcp, app, idle, peer, slot).await,
                    None => refuse_api(tcp, peer).await,
                }
                return;
            };
            let limit = if slot.is_some() {
                idle
            } else {
                Duration::from_secs(1)
            };
            let stream =
                match tokio::time::timeout(limit, crate::es_tls::handshake(&acceptor, tcp)).await {
                    Ok(Ok(s)) => s,
                    Ok(Err(e)) => return tracing::info!(%peer, "operator API TLS handshake: {e}"),
                    Err(_) => return tracing::info!(%peer, "operator API TLS handshake timed out"),
                };
            match slot {
                Some(slot) => serve_api_connection(stream, app, idle, peer, slot).await,
                None => refuse_api(stream, peer).await,
            }
        });
    }
}

/// Serves one operator API connection, holding its `slot`.
async fn serve_api_connection<S>(
    io: S,
    app: Arc<App>,
    idle: Duration,
    peer: SocketAddr,
    slot: tokio::sync::OwnedSemaphorePermit,
) where
    S: AsyncRead + AsyncWrite + Unpin + Send + 'static,
{
    let service = service_fn(move |req| crate::api::handle(app.clone(), req));
    if let Err(e) = http1::Builder::new()
        .timer(TokioTimer::new())
        .header_read_timeout(idle)
        .serve_connection(TokioIo::new(io), service)
        .await
    {
        tracing::debug!(%peer, "operator API connection: {e}");
    }
    drop(slot);
}

//! `ispbx`: the server (`serve`, the default), the pjsip.conf tools, and the
//! AMI simulator for development and demos.

mod account_cmd;
mod cli;
mod edit_cmd;

use clap::Parser;
use cli::{Cli, Command, PjsipCommand, ServeArgs, SimulateArgs};
use ispbx::pjsip::{report, PjsipConfig};
use std::process::ExitCode;

// Config reloads build and free ~10^5 small strings; mimalloc halves that cost.
#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn main() -> ExitCode {
    let cli = Cli::parse();
    match cli.command {
        Some(Command::Pjsip { command }) => pjsip(command),
        Some(Command::Simulate(args)) => block_on(simulate(args)),
        Some(Command::User { command, state }) => block_on(account_cmd::user(command, state)),
        Some(Command::Token { command, state }) => block_on(account_cmd::token(command, state)),
        Some(Command::Serve(args)) => block_on(serve(args)),
        None => block_on(serve(cli.serve)),
    }
}

fn block_on(task: impl std::future::Future<Output = ExitCode>) -> ExitCode {
    // Rendering a page is deeply nested generic code: a debug build's frames
    // overflowed tokio's default 2 MiB on the endpoint page an admin sees.
    match tokio::runtime::Builder::new_multi_thread().enable_all().thread_stack_size(8 << 20).build() {
        Ok(runtime) => runtime.block_on(task),
        Err(e) => {
            eprintln!("ispbx: cannot start the async runtime: {e}");
            ExitCode::FAILURE
        }
    }
}

fn pjsip(command: PjsipCommand) -> ExitCode {
    match command {
        PjsipCommand::Resolve { path, show_secrets } => {
            let cfg = PjsipConfig::load(&path);
            let secrets = if show_secrets {
                eprintln!("ispbx: warning: --show-secrets prints passwords in clear text; keep this output off tickets, chats and logs");
                report::Secrets::Shown
            } else {
                report::Secrets::Redacted
            };
            let out = report::resolve_with(&cfg, secrets);
            match serde_json::to_string_pretty(&out) {
                Ok(json) => println!("{json}"),
                Err(e) => {
                    eprintln!("ispbx: {e}");
                    return ExitCode::from(2);
                }
            }
            if report::would_load(&cfg) { ExitCode::SUCCESS } else { ExitCode::from(1) }
        }
        PjsipCommand::Generate { extensions } => {
            print!("{}", ispbx::pjsip::generate::extensions(extensions));
            ExitCode::SUCCESS
        }
        command @ (PjsipCommand::Set { .. } | PjsipCommand::Unset { .. } | PjsipCommand::Add { .. } | PjsipCommand::Delete { .. }) => {
            edit_cmd::run(command)
        }
        PjsipCommand::Check { path } => {
            let cfg = PjsipConfig::load(&path);
            print!("{}", report::check_lines(&cfg));
            eprintln!("{}", report::summary(&cfg));
            if report::is_clean(&cfg) { ExitCode::SUCCESS } else { ExitCode::from(1) }
        }
    }
}

async fn serve(args: ServeArgs) -> ExitCode {
    use ispbx::pbx::{ConfigStore, Live, LiveSnapshot, Pbx};
    use ispbx::server::{app_state::AppState, router};

    let logs = tracing_subscriber::fmt()
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_default_env()
                .unwrap_or_else(|_| "info,tower_http=info".into()),
        )
        .with_writer(std::io::stderr);
    match args.log_format {
        cli::LogFormat::Json => logs.json().with_current_span(true).init(),
        cli::LogFormat::Text => logs.with_ansi(std::io::IsTerminal::is_terminal(&std::io::stderr())).init(),
    }

    let addr = args.listen_addr();
    // cargo-leptos's settings (Cargo.toml, LEPTOS_* variables); ours win where they overlap.
    let mut leptos_options = match leptos::config::get_configuration(None) {
        Ok(conf) => conf.leptos_options,
        Err(e) => {
            tracing::error!("Leptos settings: {e}");
            return ExitCode::FAILURE;
        }
    };
    leptos_options.site_addr = addr;
    if let Some(root) = &args.site_root {
        leptos_options.site_root = root.display().to_string().into();
    }

    let secret = match args.ami_secret() {
        Ok(s) => s,
        Err(e) => {
            tracing::error!("{e}");
            return ExitCode::FAILURE;
        }
    };
    let config = ConfigStore::open(args.pjsip_conf.clone()).await;
    config.spawn_watcher(std::time::Duration::from_millis(args.config_poll_ms.max(50)));

    let initial = match (&args.ami_username, &secret) {
        (Some(_), Some(_)) => LiveSnapshot::disconnected("Connecting to Asterisk."),
        _ => LiveSnapshot::not_configured(
            "No AMI user is configured (set ISPBX_AMI_USERNAME and ISPBX_AMI_SECRET or ISPBX_AMI_SECRET_FILE).",
        ),
    };
    let (live, publisher) = Live::new(initial);
    let mut ami_dial = None;
    if let (Some(user), Some(secret)) = (&args.ami_username, &secret) {
        use ispbx::ami::{client::ClientOptions, supervisor, Credentials};
        let mut client = ClientOptions::new(args.ami_addr.clone(), Credentials::new(user.clone(), secret.0.clone()));
        client.auth = args.ami_auth.into();
        ami_dial = Some(client.clone());
        let mut options = supervisor::SupervisorOptions::new(client);
        options.stats = live.stats();
        options.session = live.session();
        tokio::spawn(supervisor::run(options, move |update| {
            publisher.publish(match update {
                supervisor::Update::Connected(state) => LiveSnapshot::connected(state),
                supervisor::Update::Disconnected(why) => LiveSnapshot::disconnected(why),
            })
        }));
    }

    if args.anonymous_read && !addr.ip().is_loopback() && !args.anonymous_read_public {
        tracing::error!(
            "anonymous read on {addr} would show anyone who can reach it who is registered from where: \
             listen on loopback, turn anonymous read off, or say --i-know-this-is-public"
        );
        return ExitCode::FAILURE;
    }
    // Before the first account is made: a start that fails here must not have shown its password.
    let tls = match (&args.tls_cert, &args.tls_key) {
        (Some(cert), Some(key)) => match ispbx::server::tls::Tls::load(cert, key).await {
            Ok(tls) => Some(tls),
            Err(e) => {
                tracing::error!("{e}");
                return ExitCode::FAILURE;
            }
        },
        _ => None,
    };
    let state_dir = args.state_dir.clone().unwrap_or_else(cli::default_state_dir);
    let db = match ispbx::pbx::db::open(&state_dir).await {
        Ok(db) => db,
        Err(e) => {
            tracing::error!("accounts and sessions are kept in the state directory: {e}");
            return ExitCode::FAILURE;
        }
    };
    let accounts = match first_account(db.clone()).await {
        Ok(a) => a,
        Err(e) => {
            tracing::error!("the accounts: {e}");
            return ExitCode::FAILURE;
        }
    };
    let audit = ispbx::pbx::audit::AuditLog::new(db.clone());
    let mut pbx = Pbx::new(config, live).with_audit(audit.clone());
    if args.writes {
        tracing::info!(state_dir = %state_dir.display(), "writes are on: changes are verified on Asterisk or undone");
        pbx = pbx.with_writes(ispbx::pjsip::store::Store::new(state_dir.clone()), audit);
        if let Some(dial) = ami_dial {
            pbx = pbx.with_ami_dial(dial);
        }
    }
    let sessions = match ispbx::server::auth::sessions(db, tls.is_some()).await {
        Ok(s) => s,
        Err(e) => {
            tracing::error!("sessions: {e}");
            return ExitCode::FAILURE;
        }
    };
    if args.anonymous_read {
        tracing::warn!("anonymous read is on: anyone who reaches {addr} reads the dashboard and the API");
    }
    if !args.trusted_proxies.is_empty() {
        tracing::info!("clients are who X-Forwarded-For says when the connection comes from {:?}", args.trusted_proxies.iter().map(ToString::to_string).collect::<Vec<_>>());
    }
    match args.rate_limit.0 {
        Some(rate) => tracing::info!("each API token and client address may make {rate} requests"),
        None => tracing::warn!("no request rate limit (--rate-limit off)"),
    }
    let access = ispbx::server::auth::Access {
        accounts,
        anonymous_read: args.anonymous_read,
        logins: Default::default(),
        rate: args.rate_limit.0.map(ispbx::server::rate_limit::RateLimit::new),
        proxies: ispbx::server::client_address::TrustedProxies::new(args.trusted_proxies.clone()),
        said: Default::default(),
        said_logins: Default::default(),
    };
    let changes = pbx.clone();
    let state = AppState::new(leptos_options, pbx, access);
    let streams = state.stopping.clone();
    let app = router::router(
        state,
        &router::RouterOptions {
            request_timeout: args.request_timeout(),
            cors_origins: args.cors_origins.clone(),
            https: tls.is_some(),
            sessions,
        },
    );
    let listener = match tokio::net::TcpListener::bind(addr).await {
        Ok(l) => l,
        Err(e) => {
            tracing::error!("cannot listen on {addr}: {e}");
            return ExitCode::FAILURE;
        }
    };
    // The bound address, not the asked one: port 0 picks a free port (tests do).
    let bound = listener.local_addr().map_or_else(|_| addr.to_string(), |a| a.to_string());
    let stop = stop_requested();
    let scheme = if tls.is_some() { "https" } else { "http" };
    tracing::info!("ISPBX Manager listening on {scheme}://{bound} (pjsip.conf: {})", args.pjsip_conf.display());
    let grace = args.request_timeout();
    let app = app.into_make_service_with_connect_info::<std::net::SocketAddr>();
    let served = match tls {
        Some(tls) => serve_tls(listener, tls, app, stop, streams, grace).await,
        None => serve_http(listener, app, stop, streams, grace).await,
    };
    // A change runs on after its request: stopping under it would leave
    // files written but neither verified nor put back.
    let left = "its audit entry stays pending: look at the files and at Asterisk";
    tokio::select! {
        () = changes.changes_ended() => served,
        () = tokio::time::sleep(ispbx::pbx::apply::LONGEST) => {
            tracing::error!("stopping with a change still running after {} s; {left}", ispbx::pbx::apply::LONGEST.as_secs());
            ExitCode::FAILURE
        }
        () = stop_requested() => {
            tracing::warn!("asked again to stop: stopping with a change still running; {left}");
            ExitCode::FAILURE
        }
    }
}

type Service = axum::extract::connect_info::IntoMakeServiceWithConnectInfo<axum::Router, std::net::SocketAddr>;

/// On SIGTERM or Ctrl-C: no new connections, requests in flight get up to
/// the request timeout to finish, then whatever is left is closed.
async fn serve_http(
    listener: tokio::net::TcpListener,
    app: Service,
    stop: impl std::future::Future<Output = ()> + Send + 'static,
    streams: tokio_util::sync::CancellationToken,
    grace: std::time::Duration,
) -> ExitCode {
    let (stopping, stopped) = tokio::sync::oneshot::channel::<()>();
    let shutdown = async move {
        stop.await;
        tracing::info!("stopping: finishing requests in flight");
        // Event streams send their last event and end, rather than wait for the bound.
        streams.cancel();
        let _ = stopping.send(());
    };
    let serving = axum::serve(listener, app).with_graceful_shutdown(shutdown);
    let deadline = async move {
        if stopped.await.is_ok() {
            tokio::time::sleep(grace).await;
        } else {
            std::future::pending::<()>().await;
        }
    };
    tokio::select! {
        result = serving => match result {
            Ok(()) => ExitCode::SUCCESS,
            Err(e) => {
                tracing::error!("server error: {e}");
                ExitCode::FAILURE
            }
        },
        () = deadline => {
            tracing::warn!("stopping: requests still open after {} s are closed", grace.as_secs());
            ExitCode::SUCCESS
        }
    }
}

/// [`serve_http`] over TLS, the certificate followed as it is renewed.
async fn serve_tls(
    listener: tokio::net::TcpListener,
    tls: ispbx::server::tls::Tls,
    app: Service,
    stop: impl std::future::Future<Output = ()> + Send + 'static,
    streams: tokio_util::sync::CancellationToken,
    grace: std::time::Duration,
) -> ExitCode {
    let listener = match listener.into_std() {
        Ok(l) => l,
        Err(e) => {
            tracing::error!("cannot serve TLS on the listening socket: {e}");
            return ExitCode::FAILURE;
        }
    };
    let server = match axum_server::from_tcp_rustls(listener, tls.config()) {
        Ok(s) => s,
        Err(e) => {
            tracing::error!("cannot serve TLS on the listening socket: {e}");
            return ExitCode::FAILURE;
        }
    };
    let reloader = tls.spawn_reloader(std::time::Duration::from_secs(2));
    let handle = axum_server::Handle::new();
    let stopper = handle.clone();
    tokio::spawn(async move {
        stop.await;
        tracing::info!("stopping: finishing requests in flight");
        streams.cancel();
        stopper.graceful_shutdown(Some(grace));
    });
    let result = server.handle(handle).serve(app).await;
    reloader.abort();
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            tracing::error!("server error: {e}");
            ExitCode::FAILURE
        }
    }
}

async fn simulate(args: SimulateArgs) -> ExitCode {
    use ispbx::simulator::Simulator;
    use std::sync::Arc;
    let pjsip_conf = args.pjsip_conf.clone();
    let cfg = tokio::task::spawn_blocking(move || PjsipConfig::load(&pjsip_conf)).await;
    let cfg = match cfg {
        Ok(cfg) => cfg,
        Err(e) => {
            eprintln!("ispbx simulate: {e}");
            return ExitCode::FAILURE;
        }
    };
    if let Some(e) = cfg.error() {
        eprintln!("ispbx simulate: {e}");
        return ExitCode::FAILURE;
    }
    let sim = Arc::new(Simulator::from_config(&cfg, vec![(args.username.clone(), args.secret.0.clone())]));
    if args.demo {
        sim.populate_demo();
    }
    let listener = match tokio::net::TcpListener::bind(args.ami_listen).await {
        Ok(l) => l,
        Err(e) => {
            eprintln!("ispbx simulate: cannot listen on {}: {e}", args.ami_listen);
            return ExitCode::FAILURE;
        }
    };
    let stop = stop_requested();
    eprintln!(
        "ispbx simulate: a simulated PBX ({} endpoints) speaks AMI on {} (user {})",
        cfg.objects_of("endpoint").count(),
        listener.local_addr().map_or_else(|_| args.ami_listen.to_string(), |a| a.to_string()),
        args.username
    );
    let shutdown = tokio_util::sync::CancellationToken::new();
    let serving = tokio::spawn(sim.serve(listener, shutdown.clone()));
    stop.await;
    shutdown.cancel();
    let _ = serving.await;
    ExitCode::SUCCESS
}

/// Ctrl-C, or SIGTERM from a supervisor (systemd, a script): both stop
/// cleanly. Listened for from the moment this is called, not from the first
/// poll of what it returns: a signal sent as soon as the server says it
/// listens must not find the default action (death) still in place.
fn stop_requested() -> impl std::future::Future<Output = ()> {
    use tokio::signal::unix::{signal, SignalKind};
    let term = signal(SignalKind::terminate());
    let int = signal(SignalKind::interrupt());
    async move {
        match (term, int) {
            (Ok(mut term), Ok(mut int)) => {
                tokio::select! {
                    _ = int.recv() => {}
                    _ = term.recv() => {}
                }
            }
            _ => {
                let _ = tokio::signal::ctrl_c().await;
            }
        }
    }
}

/// The accounts; on a first start with none, an `admin` with a random
/// password, told once on stderr (only its hash is kept).
async fn first_account(db: sqlx::SqlitePool) -> Result<ispbx::pbx::accounts::Accounts, ispbx::pbx::accounts::AccountError> {
    use ispbx::pbx::accounts::{random_secret, Accounts};
    let accounts = Accounts::new(db).await?;
    if accounts.is_empty().await? {
        let password = random_secret(20)?;
        accounts.add_user("admin", ispbx::model::Role::Admin, &password, "ispbx (first start)").await?;
        eprintln!("ispbx: no account existed, so one was made: user 'admin', password {password}");
        eprintln!("ispbx: this is the only time it is shown; change it with `ispbx user passwd admin`");
    }
    Ok(accounts)
}

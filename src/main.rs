//! `ispbx`: the server (`serve`, the default) and the pjsip.conf tools.

use clap::Parser;
use ispbx::pjsip::{report, PjsipConfig};
use ispbx::server::cli::{Cli, Command, PjsipCommand, ServeArgs, SimulateArgs};
use std::process::ExitCode;

// Config reloads build and free ~10^5 small strings; mimalloc halves that cost.
#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn main() -> ExitCode {
    let cli = Cli::parse();
    match cli.command {
        Some(Command::Pjsip { command }) => pjsip(command),
        Some(Command::Simulate(args)) => match tokio::runtime::Runtime::new() {
            Ok(rt) => rt.block_on(simulate(args, cli.serve.pjsip_conf)),
            Err(e) => {
                eprintln!("ispbx: cannot start the async runtime: {e}");
                ExitCode::FAILURE
            }
        },
        Some(Command::Serve) | None => {
            let runtime = match tokio::runtime::Builder::new_multi_thread().enable_all().build() {
                Ok(rt) => rt,
                Err(e) => {
                    eprintln!("ispbx: cannot start the async runtime: {e}");
                    return ExitCode::FAILURE;
                }
            };
            runtime.block_on(serve(cli.serve))
        }
    }
}

fn pjsip(command: PjsipCommand) -> ExitCode {
    match command {
        PjsipCommand::Resolve { path } => {
            let cfg = PjsipConfig::load(&path);
            let out = report::resolve(&cfg);
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
        PjsipCommand::Check { path } => {
            let cfg = PjsipConfig::load(&path);
            print!("{}", report::check_lines(&cfg));
            eprintln!("{}", report::summary(&cfg));
            if report::is_clean(&cfg) { ExitCode::SUCCESS } else { ExitCode::from(1) }
        }
    }
}

async fn serve(args: ServeArgs) -> ExitCode {
    use ispbx::server::{config_store::ConfigStore, live::{Live, LiveSnapshot}, routes, state::AppState};
    use leptos::prelude::LeptosOptions;

    tracing_subscriber::fmt()
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_default_env()
                .unwrap_or_else(|_| "info,tower_http=info".into()),
        )
        .with_writer(std::io::stderr)
        .with_ansi(std::io::IsTerminal::is_terminal(&std::io::stderr()))
        .init();

    let addr = args.listen_addr();
    let site_root = args
        .site_root
        .clone()
        .or_else(|| std::env::var_os("LEPTOS_SITE_ROOT").map(Into::into))
        .unwrap_or_else(|| "target/site".into());
    let leptos_options = LeptosOptions::builder()
        .output_name("ispbx")
        .site_root(site_root.display().to_string())
        .site_pkg_dir("pkg")
        .site_addr(addr)
        .build();

    let secret = match args.ami_secret() {
        Ok(s) => s,
        Err(e) => {
            tracing::error!("{e}");
            return ExitCode::FAILURE;
        }
    };
    let config = ConfigStore::open(args.pjsip_conf.clone()).await;
    config.spawn_watcher(std::time::Duration::from_millis(args.config_poll_ms.max(50)));

    let detail = match (&args.ami_username, &secret) {
        (Some(_), Some(_)) => "Connecting to Asterisk.",
        _ => "No AMI user is configured (set ISPBX_AMI_USERNAME and ISPBX_AMI_SECRET or ISPBX_AMI_SECRET_FILE).",
    };
    let (live, publisher) = Live::new(LiveSnapshot::disconnected(detail));
    if let (Some(user), Some(secret)) = (&args.ami_username, &secret) {
        use ispbx::ami::{client::ClientOptions, supervisor, Credentials};
        let mut client = ClientOptions::new(args.ami_addr.clone(), Credentials::new(user.clone(), secret.0.clone()));
        client.auth = args.ami_auth.into();
        tokio::spawn(supervisor::run(supervisor::SupervisorOptions::new(client), move |update| {
            publisher.publish(match update {
                supervisor::Update::Connected(state) => LiveSnapshot::from_pbx(&state),
                supervisor::Update::Disconnected(why) => LiveSnapshot::disconnected(why),
            })
        }));
    }

    let state = AppState::new(leptos_options, config, live);
    let app = routes::router(
        state,
        &routes::RouterOptions {
            request_timeout: args.request_timeout(),
            cors_origins: args.cors_origins.clone(),
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
    tracing::info!("ISPBX Manager listening on http://{bound} (pjsip.conf: {})", args.pjsip_conf.display());
    let shutdown = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    match axum::serve(listener, app.into_make_service()).with_graceful_shutdown(shutdown).await {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            tracing::error!("server error: {e}");
            ExitCode::FAILURE
        }
    }
}

async fn simulate(args: SimulateArgs, pjsip_conf: std::path::PathBuf) -> ExitCode {
    use ispbx::simulator::Simulator;
    use std::sync::Arc;
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
    eprintln!(
        "ispbx simulate: a simulated PBX ({} endpoints) speaks AMI on {} (user {})",
        cfg.objects_of("endpoint").count(),
        listener.local_addr().map_or_else(|_| args.ami_listen.to_string(), |a| a.to_string()),
        args.username
    );
    let shutdown = tokio_util::sync::CancellationToken::new();
    let serving = tokio::spawn(sim.serve(listener, shutdown.clone()));
    let _ = tokio::signal::ctrl_c().await;
    shutdown.cancel();
    let _ = serving.await;
    ExitCode::SUCCESS
}

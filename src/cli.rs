//! The `ispbx` command line: `serve` (the default), `pjsip resolve|check|generate`
//! and `simulate`. Each subcommand takes only its own options.

use clap::{Args, Parser, Subcommand};
use std::fmt;
use std::net::SocketAddr;
use std::path::PathBuf;
use std::time::Duration;

/// Where Asterisk keeps it.
const PJSIP_CONF: &str = "/etc/asterisk/pjsip.conf";
/// Asterisk's manager port on this machine (manager.conf's default port).
const AMI_ADDR: &str = "127.0.0.1:5038";

#[derive(Debug, Parser)]
#[command(
    name = "ispbx",
    version,
    // `ispbx --listen X pjsip check` is a mistake to report, not a flag to drop.
    args_conflicts_with_subcommands = true,
    about = "ISPBX Manager: Asterisk PJSIP configuration and live endpoint state",
    long_about = "ISPBX Manager serves a dashboard and a JSON API over an Asterisk PBX's \
                  pjsip.conf and its live AMI state. With no subcommand it runs `serve`."
)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Option<Command>,
    /// With no subcommand, `ispbx [OPTIONS]` is `ispbx serve [OPTIONS]`.
    #[command(flatten)]
    pub serve: ServeArgs,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Run the web server (dashboard and JSON API). The default.
    Serve(ServeArgs),
    /// Read a pjsip.conf the way Asterisk does.
    Pjsip {
        #[command(subcommand)]
        command: PjsipCommand,
    },
    /// The accounts that may log in to the dashboard and the API.
    User {
        #[command(subcommand)]
        command: UserCommand,
        #[command(flatten)]
        state: StateArgs,
    },
    /// API tokens for third-party frontends (`Authorization: Bearer …`).
    Token {
        #[command(subcommand)]
        command: TokenCommand,
        #[command(flatten)]
        state: StateArgs,
    },
    /// Development and demo tool, not for production: a simulated PBX that
    /// speaks AMI, built from a pjsip.conf. Phones register, unregister and
    /// call through the SimRegister/SimUnregister/SimCall/SimHangup actions.
    Simulate(SimulateArgs),
}

#[derive(Debug, Clone, Args)]
pub struct StateArgs {
    /// The state directory, where the accounts are kept [default: $XDG_STATE_HOME/ispbx or ~/.local/state/ispbx].
    #[arg(long, env = "ISPBX_STATE_DIR", global = true)]
    pub state_dir: Option<PathBuf>,
}

impl StateArgs {
    pub fn state_dir(&self) -> PathBuf {
        self.state_dir.clone().unwrap_or_else(default_state_dir)
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum RoleArg {
    Viewer,
    Admin,
}

impl From<RoleArg> for ispbx::model::Role {
    fn from(r: RoleArg) -> Self {
        match r {
            RoleArg::Viewer => ispbx::model::Role::Viewer,
            RoleArg::Admin => ispbx::model::Role::Admin,
        }
    }
}

/// Passwords are read from a prompt, or from the first line of stdin when
/// it is not a terminal: never from a flag (it would show in `ps`).
#[derive(Debug, Subcommand)]
pub enum UserCommand {
    /// Add an account.
    Add {
        name: String,
        #[arg(long, value_enum, default_value_t = RoleArg::Viewer)]
        role: RoleArg,
    },
    /// Change an account's password.
    Passwd { name: String },
    /// List the accounts and their roles.
    List,
    /// Change an account's role (the last admin stays an admin).
    Role {
        name: String,
        #[arg(long, value_enum)]
        role: RoleArg,
    },
    /// Remove an account; its sessions end with it.
    Remove { name: String },
}

/// `--rate-limit`, read: `None` for off.
#[derive(Debug, Clone, Copy)]
pub struct RateSetting(pub Option<ispbx::server::rate_limit::Rate>);

fn trusted_proxy(s: &str) -> Result<ipnet::IpNet, String> {
    ispbx::server::client_address::TrustedProxies::parse_one(s)
}

fn rate_limit(s: &str) -> Result<RateSetting, String> {
    ispbx::server::rate_limit::Rate::parse(s).map(RateSetting)
}

/// A token's lifetime as given on the command line.
#[derive(Debug, Clone, Copy)]
pub struct Lasting(pub Duration);

impl Lasting {
    fn parse(s: &str) -> Result<Lasting, String> {
        let bad = || format!("'{s}' is not a lifetime: a number of days, hours or minutes, as 90d, 12h, 30m");
        let (n, unit) = s.split_at(s.find(|c: char| !c.is_ascii_digit()).ok_or_else(bad)?);
        let n: u64 = n.parse().map_err(|_| bad())?;
        let secs = match unit {
            "d" => 86_400,
            "h" => 3_600,
            "m" => 60,
            _ => return Err(bad()),
        };
        match n.checked_mul(secs) {
            Some(total) if total > 0 && n <= 36_500 * 86_400 / secs => Ok(Lasting(Duration::from_secs(total))),
            _ => Err(bad()),
        }
    }
}

#[derive(Debug, Subcommand)]
pub enum TokenCommand {
    /// Create a token; it is printed alone on stdout, this once.
    Create {
        name: String,
        #[arg(long, value_enum, default_value_t = RoleArg::Viewer)]
        role: RoleArg,
        /// How long it works: `90d`, `12h`, `30m` [default: until revoked].
        #[arg(long, value_parser = Lasting::parse)]
        expires_in: Option<Lasting>,
    },
    /// List the tokens (never their values), when each was last used.
    List,
    /// Revoke a token: it is refused from now on.
    Revoke { name: String },
}

#[derive(Debug, Clone, Args)]
pub struct SimulateArgs {
    /// The pjsip.conf whose endpoints, AORs and static contacts the PBX has.
    #[arg(long, env = "ISPBX_PJSIP_CONF", default_value = PJSIP_CONF)]
    pub pjsip_conf: PathBuf,
    /// Where to accept AMI connections.
    #[arg(long = "ami-listen", env = "ISPBX_SIM_LISTEN", default_value = AMI_ADDR)]
    pub ami_listen: SocketAddr,
    /// The AMI user the simulator accepts.
    #[arg(long = "sim-username", env = "ISPBX_SIM_USERNAME", default_value = "ispbx")]
    pub username: String,
    /// Its secret.
    #[arg(long = "sim-secret", env = "ISPBX_SIM_SECRET", hide_env_values = true, default_value = "ispbx-sim-secret")]
    pub secret: AmiSecret,
    /// Start with most phones registered and one call up, like a working office.
    #[arg(long)]
    pub demo: bool,
}

#[derive(Debug, Subcommand)]
pub enum PjsipCommand {
    /// Print the sections (as GetConfig shows them), the objects Asterisk would
    /// create and every diagnostic, as JSON. Exits 1 when Asterisk would reject
    /// the whole file. Secrets are printed as ******** unless --show-secrets.
    Resolve {
        /// The pjsip.conf to read; pjsip_wizard.conf beside it is read too.
        path: PathBuf,
        /// Print passwords and md5_cred as Asterisk will read them (with a
        /// warning on stderr): to see where a `;` cut a password short.
        #[arg(long)]
        show_secrets: bool,
    },
    /// Check a pjsip.conf before reloading Asterisk: prints `file:line: severity:
    /// message` and exits non-zero when Asterisk would reject anything.
    Check {
        path: PathBuf,
    },
    /// Set options of one object: KEY=VALUE sets, KEY+=ITEM adds to a list
    /// (allow, match, …), KEY-=ITEM removes from one. Prints the diff; writes
    /// only with --write. Exit codes: see `ispbx pjsip set --help`.
    #[command(after_help = EXIT_CODES)]
    Set {
        #[command(flatten)]
        target: TargetArgs,
        /// KEY=VALUE, KEY+=ITEM or KEY-=ITEM.
        #[arg(required = true, value_name = "KEY=VALUE")]
        assignments: Vec<String>,
        #[command(flatten)]
        write: WriteArgs,
    },
    /// Remove an object's own lines for options, so the inherited value (or
    /// Asterisk's default) applies again.
    #[command(after_help = EXIT_CODES)]
    Unset {
        #[command(flatten)]
        target: TargetArgs,
        #[arg(required = true, value_name = "KEY")]
        keys: Vec<String>,
        #[command(flatten)]
        write: WriteArgs,
    },
    /// Create an object from a template the config has (`[NAME](TEMPLATE)`),
    /// or with --trio an endpoint with its auth and aor, named and templated
    /// like the other endpoints on that template, with a generated password.
    #[command(after_help = EXIT_CODES)]
    Add {
        /// The pjsip.conf to edit.
        path: PathBuf,
        /// The new object's id.
        name: String,
        /// The template(s) to inherit, in order.
        #[arg(long, short = 't', value_name = "TEMPLATE", required = true)]
        template: Vec<String>,
        /// The object's type, when its template does not say it.
        #[arg(long = "type", value_name = "TYPE")]
        kind: Option<String>,
        /// An endpoint, its auth and its aor in one step.
        #[arg(long)]
        trio: bool,
        /// Options of the new object's own.
        #[arg(value_name = "KEY=VALUE")]
        options: Vec<String>,
        #[command(flatten)]
        write: WriteArgs,
    },
    /// Delete an object's section. Refused while another object names it
    /// (an endpoint's aors or auth, an identify's endpoint, …) unless --force.
    #[command(after_help = EXIT_CODES)]
    Delete {
        #[command(flatten)]
        target: TargetArgs,
        /// With an endpoint: its auth and aors too, unless something else names them.
        #[arg(long)]
        trio: bool,
        /// Delete even though other objects still name it.
        #[arg(long)]
        force: bool,
        #[command(flatten)]
        write: WriteArgs,
    },
    /// Print a synthetic pjsip.conf with N extensions (endpoint, auth and aor
    /// each, from 10000 up) sharing three templates: for load tests and demos
    /// of a large PBX. Passwords are generated, not real.
    Generate {
        #[arg(default_value_t = 5000)]
        extensions: usize,
    },
}

const EXIT_CODES: &str = "Exit codes: 0 done (or, without --write, the diff shown); \
1 refused (an invalid value, an unknown option or object, a reference, an edit \
Asterisk would not read as asked); 2 usage; 3 the config changed since it was \
read, or another writer holds it; 4 the config cannot be read or Asterisk would \
load nothing from it; 5 writing failed (nothing half-written: see the message).";

/// The object an edit is about.
#[derive(Debug, Clone, Args)]
pub struct TargetArgs {
    /// The pjsip.conf to edit (pjsip_wizard.conf beside it is edited too).
    pub path: PathBuf,
    /// The object's id, a wizard entry's name, or a template's name.
    pub object: String,
    /// Which object, where a name has several (endpoint, aor, auth, …, wizard, template).
    #[arg(long = "type", value_name = "TYPE")]
    pub kind: Option<String>,
    /// Change the template the value in effect comes from (every object
    /// inheriting it changes), not the object's own section.
    #[arg(long)]
    pub in_template: bool,
}

/// Whether and where an edit is written.
#[derive(Debug, Clone, Args)]
pub struct WriteArgs {
    /// Write the change (atomically, with a backup). Without it: a dry run.
    #[arg(long)]
    pub write: bool,
    /// Where backups are kept [default: $XDG_STATE_HOME/ispbx or ~/.local/state/ispbx].
    #[arg(long, env = "ISPBX_STATE_DIR")]
    pub state_dir: Option<PathBuf>,
    /// Backups kept per file.
    #[arg(long, default_value_t = ispbx::pjsip::store::DEFAULT_BACKUPS)]
    pub backups: usize,
}

impl WriteArgs {
    pub fn state_dir(&self) -> PathBuf {
        self.state_dir.clone().unwrap_or_else(default_state_dir)
    }
}

/// $XDG_STATE_HOME/ispbx, ~/.local/state/ispbx, or /var/lib/ispbx.
pub fn default_state_dir() -> PathBuf {
    let base = std::env::var_os("XDG_STATE_HOME")
        .map(PathBuf::from)
        .or_else(|| std::env::var_os("HOME").map(|h| PathBuf::from(h).join(".local/state")))
        .unwrap_or_else(|| PathBuf::from("/var/lib"));
    base.join("ispbx")
}

/// `on`/`off` (and the usual yes/no, true/false, 1/0) for switches set from the environment.
fn on_off(s: &str) -> Result<bool, String> {
    match s.trim().to_ascii_lowercase().as_str() {
        "on" | "yes" | "true" | "1" => Ok(true),
        "off" | "no" | "false" | "0" | "" => Ok(false),
        other => Err(format!("'{other}' is neither on nor off")),
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum LogFormat {
    Text,
    Json,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum AmiAuth {
    Plain,
    Md5,
}

impl From<AmiAuth> for ispbx::ami::client::LoginAuth {
    fn from(a: AmiAuth) -> Self {
        match a {
            AmiAuth::Plain => ispbx::ami::client::LoginAuth::Plain,
            AmiAuth::Md5 => ispbx::ami::client::LoginAuth::Md5,
        }
    }
}

#[derive(Debug, Clone, Args)]
pub struct ServeArgs {
    /// Address to listen on [default: 127.0.0.1:8000]. Wins over LEPTOS_SITE_ADDR.
    #[arg(long, env = "ISPBX_LISTEN")]
    pub listen: Option<SocketAddr>,

    /// The pjsip.conf to read (pjsip_wizard.conf beside it is read too).
    #[arg(
        long,
        env = "ISPBX_PJSIP_CONF",
        default_value = PJSIP_CONF
    )]
    pub pjsip_conf: PathBuf,

    /// Asterisk Manager Interface address.
    #[arg(long, env = "ISPBX_AMI_ADDR", default_value = AMI_ADDR)]
    pub ami_addr: String,

    /// AMI user (manager.conf). Without it no AMI connection is made.
    #[arg(long, env = "ISPBX_AMI_USERNAME")]
    pub ami_username: Option<String>,

    /// AMI secret. Prefer ISPBX_AMI_SECRET_FILE: a flag shows in `ps`.
    #[arg(long, env = "ISPBX_AMI_SECRET", hide_env_values = true)]
    pub ami_secret: Option<AmiSecret>,

    /// File holding the AMI secret (its first line is used).
    #[arg(long, env = "ISPBX_AMI_SECRET_FILE")]
    pub ami_secret_file: Option<PathBuf>,

    /// How to log in: `plain` sends the secret, `md5` answers Asterisk's
    /// challenge so the secret never crosses the network.
    #[arg(long, env = "ISPBX_AMI_AUTH", value_enum, default_value_t = AmiAuth::Plain)]
    pub ami_auth: AmiAuth,

    /// Let the API change the config: each change is written atomically with
    /// a backup, reloaded and verified on Asterisk, or undone.
    #[arg(long, env = "ISPBX_WRITES", value_parser = on_off, default_value = "off", value_name = "on|off")]
    pub writes: bool,

    /// The state directory: accounts, sessions, the audit log, backups of
    /// changed files [default: $XDG_STATE_HOME/ispbx or ~/.local/state/ispbx].
    #[arg(long, env = "ISPBX_STATE_DIR")]
    pub state_dir: Option<PathBuf>,

    /// Let anyone read the dashboard and the API without logging in (the
    /// specification's behaviour). Changes still need an admin.
    #[arg(long, env = "ISPBX_ANONYMOUS_READ", value_parser = on_off, default_value = "off", value_name = "on|off")]
    pub anonymous_read: bool,

    /// Allow anonymous read on an address other than loopback: anyone who
    /// can reach the port sees who is registered from where.
    #[arg(long = "i-know-this-is-public", env = "ISPBX_ANONYMOUS_READ_PUBLIC")]
    pub anonymous_read_public: bool,

    /// Serve HTTPS with this certificate (PEM, the chain after it), re-read
    /// when it changes. Needs --tls-key.
    #[arg(long, env = "ISPBX_TLS_CERT", requires = "tls_key", value_name = "PEM")]
    pub tls_cert: Option<PathBuf>,

    /// The certificate's private key (PEM). Needs --tls-cert.
    #[arg(long, env = "ISPBX_TLS_KEY", requires = "tls_cert", value_name = "PEM")]
    pub tls_key: Option<PathBuf>,

    /// Requests each API token, or each client address, may make: N/s,
    /// N/min or N/h (N may also come at once), or off. Over it: 429 with
    /// Retry-After. Behind a reverse proxy, see --trusted-proxy.
    #[arg(long, env = "ISPBX_RATE_LIMIT", value_parser = rate_limit, default_value = "50/s", value_name = "N/s|N/min|N/h|off")]
    pub rate_limit: RateSetting,

    /// Reverse proxies (addresses or networks, comma-separated) whose
    /// X-Forwarded-For names the client, for the login and request limits
    /// and the audit log. Anyone else's X-Forwarded-For is ignored; every
    /// host of a network named is believed, so name the proxies themselves.
    #[arg(long = "trusted-proxy", env = "ISPBX_TRUSTED_PROXIES", value_delimiter = ',', value_parser = trusted_proxy, value_name = "ADDRESS|NETWORK")]
    pub trusted_proxies: Vec<ipnet::IpNet>,

    /// Origins allowed to call the API from a browser (comma-separated). None by default.
    #[arg(long, env = "ISPBX_CORS_ORIGINS", value_delimiter = ',')]
    pub cors_origins: Vec<String>,

    /// Longest time a request may take, in seconds.
    #[arg(long, env = "ISPBX_REQUEST_TIMEOUT", default_value_t = 10)]
    pub request_timeout: u64,

    /// How often the config files are checked for changes, in milliseconds.
    #[arg(long, env = "ISPBX_CONFIG_POLL_MS", default_value_t = 1000)]
    pub config_poll_ms: u64,

    /// `text` for people, `json` (one object per line) for the journal and log shippers.
    #[arg(long, env = "ISPBX_LOG_FORMAT", value_enum, default_value_t = LogFormat::Text)]
    pub log_format: LogFormat,

    /// Where the built site (pkg/, CSS, WASM) is [default: LEPTOS_SITE_ROOT or target/site].
    #[arg(long, env = "ISPBX_SITE_ROOT")]
    pub site_root: Option<PathBuf>,
}

impl ServeArgs {
    pub fn listen_addr(&self) -> SocketAddr {
        self.listen
            .or_else(|| std::env::var("LEPTOS_SITE_ADDR").ok()?.parse().ok())
            .unwrap_or_else(|| SocketAddr::from(([127, 0, 0, 1], 8000)))
    }

    pub fn request_timeout(&self) -> Duration {
        Duration::from_secs(self.request_timeout.max(1))
    }

    /// The AMI secret from the flag/env or the secret file.
    pub fn ami_secret(&self) -> Result<Option<AmiSecret>, String> {
        if let Some(s) = &self.ami_secret {
            return Ok(Some(s.clone()));
        }
        let Some(path) = &self.ami_secret_file else {
            return Ok(None);
        };
        let text = std::fs::read_to_string(path)
            .map_err(|e| format!("cannot read ISPBX_AMI_SECRET_FILE {}: {e}", path.display()))?;
        Ok(Some(AmiSecret(text.lines().next().unwrap_or("").trim().to_string())))
    }
}

/// The AMI secret: never printed, not even by `Debug`.
#[derive(Clone, PartialEq, Eq)]
pub struct AmiSecret(pub String);

impl fmt::Debug for AmiSecret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("AmiSecret(********)")
    }
}

impl std::str::FromStr for AmiSecret {
    type Err = std::convert::Infallible;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Ok(AmiSecret(s.to_string()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn token_lifetimes_are_days_hours_or_minutes() {
        assert_eq!(Lasting::parse("90d").unwrap().0, Duration::from_secs(90 * 86_400));
        assert_eq!(Lasting::parse("12h").unwrap().0, Duration::from_secs(12 * 3_600));
        assert_eq!(Lasting::parse("30m").unwrap().0, Duration::from_secs(1_800));
        for bad in ["", "d", "0d", "12", "1w", "-1d", "99999999999999999999d", "36501d"] {
            assert!(Lasting::parse(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn no_subcommand_means_serve_with_defaults() {
        let cli = Cli::try_parse_from(["ispbx"]).unwrap();
        assert!(cli.command.is_none());
        assert_eq!(cli.serve.ami_addr, "127.0.0.1:5038");
    }

    #[test]
    fn pjsip_subcommands_parse() {
        let cli = Cli::try_parse_from(["ispbx", "pjsip", "check", "/etc/asterisk/pjsip.conf"]).unwrap();
        assert!(matches!(
            cli.command,
            Some(Command::Pjsip { command: PjsipCommand::Check { .. } })
        ));
    }

    #[test]
    fn the_secret_never_debugs() {
        let cli = Cli::try_parse_from(["ispbx", "serve", "--ami-secret", "LabAmi-5038-secret"]).unwrap();
        let dump = format!("{cli:?}");
        assert!(!dump.contains("LabAmi-5038-secret"), "{dump}");
    }

    fn help(args: &[&str]) -> String {
        match Cli::try_parse_from(args) {
            Err(e) if e.kind() == clap::error::ErrorKind::DisplayHelp => e.to_string(),
            other => panic!("{args:?} did not print help: {other:?}"),
        }
    }

    #[test]
    fn each_subcommand_lists_only_its_own_options() {
        for args in [
            &["ispbx", "pjsip", "resolve", "--help"][..],
            &["ispbx", "pjsip", "check", "--help"],
            &["ispbx", "pjsip", "generate", "--help"],
            &["ispbx", "simulate", "--help"],
        ] {
            let text = help(args);
            for server_flag in ["--listen", "--ami-secret", "--cors-origins", "--request-timeout", "--site-root"] {
                assert!(!text.contains(server_flag), "{args:?} lists {server_flag}:\n{text}");
            }
        }
        let serve = help(&["ispbx", "serve", "--help"]);
        assert!(serve.contains("--listen") && serve.contains("--cors-origins"), "{serve}");
        assert!(help(&["ispbx", "simulate", "--help"]).contains("--pjsip-conf"));
    }

    #[test]
    fn server_options_before_a_subcommand_are_refused_not_dropped() {
        for args in [&["ispbx", "--listen", "127.0.0.1:9000", "serve"][..], &["ispbx", "--pjsip-conf", "/x", "simulate"]] {
            assert!(Cli::try_parse_from(args).is_err(), "{args:?}");
        }
    }

    #[test]
    fn serve_options_work_with_and_without_the_subcommand() {
        let bare = Cli::try_parse_from(["ispbx", "--listen", "127.0.0.1:9000"]).unwrap();
        assert_eq!(bare.serve.listen_addr().port(), 9000);
        let sub = Cli::try_parse_from(["ispbx", "serve", "--listen", "127.0.0.1:9001"]).unwrap();
        assert!(matches!(sub.command, Some(Command::Serve(a)) if a.listen_addr().port() == 9001));
    }
}

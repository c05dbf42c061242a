//! `relay`: with no arguments, serves the demo shop, the widget, the agent console and the
//! WebSocket endpoints on http://127.0.0.1:8080. `relay agent …` manages agent accounts, `relay
//! shop add` makes a shop (its admin then does the rest in the console).

use std::io::Read;

use anyhow::Context;
use checkout_chat_protocol::ShopId;
use checkout_chat_protocol::api::{DEFAULT_CAPACITY, MAX_CAPACITY, Role};
use checkout_chat_protocol::limits::MAX_NAME_CHARS;
use checkout_chat_protocol::settings::ShopSettings;
use checkout_chat_protocol::text::{is_plausible_email, normalize_name};
use checkout_chat_relay::auth;
use checkout_chat_relay::config::{Config, ConfigArgs};
use checkout_chat_relay::report;
use checkout_chat_relay::server;
use checkout_chat_relay::storage::sqlite::SqliteStorage;
use checkout_chat_relay::storage::{AgentRecord, NewAgent, ShopSection, Storage};
use clap::{Parser, Subcommand};
use tokio_util::sync::CancellationToken;
use tracing_subscriber::EnvFilter;

#[derive(Parser)]
#[command(name = "relay", version, about = "The checkout-chat relay")]
struct Cli {
    #[command(flatten)]
    config: ConfigArgs,
    #[command(subcommand)]
    command: Option<Command>,
}

#[derive(Subcommand)]
enum Command {
    /// Serve HTTP and WebSockets (the default).
    Serve,
    /// Manage agent accounts.
    #[command(subcommand)]
    Agent(AgentCommand),
    /// Manage shops.
    #[command(subcommand)]
    Shop(ShopCommand),
    /// What the proactive prompts bring: per rule, shown / accepted / dismissed and the orders of
    /// sessions with the prompt accepted, shown but not accepted, and with no prompt.
    Report {
        #[arg(long, value_parser = parse_shop, default_value = "demo")]
        shop: ShopId,
        /// First day (UTC), like 2026-11-01; default: 30 days before --to.
        #[arg(long)]
        from: Option<String>,
        /// Last day (UTC), included; default: up to now.
        #[arg(long)]
        to: Option<String>,
        /// Print JSON instead of a table.
        #[arg(long)]
        json: bool,
    },
}

#[derive(Subcommand)]
enum ShopCommand {
    /// Make a shop and its first admin; the admin sets the rest in the console (a running relay
    /// serves it from the first page that asks). The password is read from standard input, or
    /// generated and printed.
    Add {
        #[arg(long, value_parser = parse_shop)]
        id: ShopId,
        /// Shown to shoppers in the widget's header.
        #[arg(long)]
        name: String,
        #[arg(long)]
        admin_email: String,
        #[arg(long)]
        admin_name: String,
        #[arg(long)]
        password_stdin: bool,
    },
}

#[derive(Subcommand)]
enum AgentCommand {
    /// Create an agent; the password is read from standard input, or generated and printed.
    Add {
        #[arg(long, value_parser = parse_shop)]
        shop: ShopId,
        #[arg(long)]
        email: String,
        #[arg(long)]
        name: String,
        /// `agent` (answers shoppers) or `admin` (also manages the shop's agents).
        #[arg(long, default_value = "agent", value_parser = parse_role)]
        role: Role,
        /// Conversations routing gives them at once (1 to 50).
        #[arg(long, default_value_t = DEFAULT_CAPACITY, value_parser = clap::value_parser!(u32).range(1..=i64::from(MAX_CAPACITY)))]
        capacity: u32,
        /// Read the password from standard input instead of generating one.
        #[arg(long)]
        password_stdin: bool,
    },
    /// List the agents (of one shop, or of all).
    List {
        #[arg(long, value_parser = parse_shop)]
        shop: Option<ShopId>,
    },
    /// Stop an agent from logging in; their sessions end (open consoles within a heartbeat).
    Disable {
        email: String,
        /// The agent's shop, needed when the email has accounts in several shops.
        #[arg(long, value_parser = parse_shop)]
        shop: Option<ShopId>,
    },
    /// Let a disabled agent log in again.
    Enable {
        email: String,
        /// The agent's shop, needed when the email has accounts in several shops.
        #[arg(long, value_parser = parse_shop)]
        shop: Option<ShopId>,
    },
    /// Set a new password (ends the agent's sessions); read from standard input, or generated.
    ResetPassword {
        email: String,
        /// The agent's shop, needed when the email has accounts in several shops.
        #[arg(long, value_parser = parse_shop)]
        shop: Option<ShopId>,
        #[arg(long)]
        password_stdin: bool,
    },
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    tracing_subscriber::fmt()
        .with_env_filter(EnvFilter::try_from_default_env().unwrap_or_else(|_| EnvFilter::new("info")))
        .with_writer(std::io::stderr)
        .init();
    give_large_allocations_back();
    let cli = Cli::parse();
    let config = Config::load(&cli.config)?;
    match cli.command.unwrap_or(Command::Serve) {
        Command::Serve => serve(config).await,
        Command::Agent(command) => manage_agents(config, command).await,
        Command::Shop(command) => manage_shops(config, command).await,
        Command::Report { shop, from, to, json } => print_report(config, shop, from, to, json).await,
    }
}

async fn print_report(
    config: Config,
    shop: ShopId,
    from: Option<String>,
    to: Option<String>,
    json: bool,
) -> anyhow::Result<()> {
    let rules: Vec<String> = match config.shop(&shop) {
        Some(shop) => shop.rules.iter().map(|r| r.id.clone()).collect(),
        None => anyhow::bail!("shop \"{shop}\" is not in the configuration"),
    };
    let (from_ms, to_ms) = report::period(from.as_deref(), to.as_deref(), checkout_chat_relay::clock::now_ms())
        .map_err(anyhow::Error::msg)?;
    let storage = SqliteStorage::open(&config.database)
        .with_context(|| format!("cannot open database {}", config.database.display()))?;
    let report = report::build(&storage, &shop, &rules, from_ms, to_ms).await?;
    if json {
        println!("{}", serde_json::to_string_pretty(&report)?);
    } else {
        let period = format!("from {} to {}", from.as_deref().unwrap_or("30 days ago"), to.as_deref().unwrap_or("now"));
        print!("{}", report::to_text(&report, &period));
    }
    Ok(())
}

async fn serve(config: Config) -> anyhow::Result<()> {
    let shutdown = CancellationToken::new();
    tokio::spawn(cancel_on_signal(shutdown.clone()));
    #[cfg(unix)]
    tokio::spawn(survive_file_size_limit());
    server::run(config, shutdown).await
}

/// A write past the file-size limit (`ulimit -f`, a quota) raises SIGXFSZ, whose default action
/// ends the process. Handling it turns such a write into an error (`EFBIG`), which storage reports
/// to the client like a full disk, and the relay recovers when the limit is lifted.
#[cfg(unix)]
async fn survive_file_size_limit() {
    const SIGXFSZ: i32 = 25; // the same number on every Linux architecture we build for
    let Ok(mut signal) = tokio::signal::unix::signal(tokio::signal::unix::SignalKind::from_raw(SIGXFSZ)) else {
        tracing::warn!("cannot handle SIGXFSZ; a file-size limit would stop the relay");
        return;
    };
    while signal.recv().await.is_some() {
        tracing::error!("a write went past the file-size limit; the database cannot grow");
    }
}

async fn cancel_on_signal(shutdown: CancellationToken) {
    let interrupt = tokio::signal::ctrl_c();
    #[cfg(unix)]
    let terminate = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut signal) => {
                signal.recv().await;
            }
            Err(_) => std::future::pending().await,
        }
    };
    #[cfg(not(unix))]
    let terminate = std::future::pending::<()>();
    tokio::select! {
        _ = interrupt => {}
        () = terminate => {}
    }
    tracing::info!("stop requested; closing connections");
    shutdown.cancel();
}

async fn manage_shops(config: Config, command: ShopCommand) -> anyhow::Result<()> {
    let storage = SqliteStorage::open(&config.database)
        .with_context(|| format!("cannot open database {}", config.database.display()))?;
    let ShopCommand::Add { id, name, admin_email, admin_name, password_stdin } = command;
    anyhow::ensure!(config.shop(&id).is_none(), "shop \"{id}\" is in the configuration file already");
    let settings = ShopSettings::named(name).tidied();
    if let Some(problem) = settings.problems().first() {
        anyhow::bail!("{problem}");
    }
    let admin_name = normalize_name(&admin_name)
        .map_err(|_| anyhow::anyhow!("the admin's name must have 1 to {MAX_NAME_CHARS} visible characters"))?;
    anyhow::ensure!(is_plausible_email(admin_email.trim()), "\"{admin_email}\" is not an email address");
    let (password, generated) = choose_password(password_stdin)?;
    let password_hash = auth::hash_password(password.clone()).await?;
    let added = storage.seed_shop_section(&id, ShopSection::Settings, serde_json::to_string(&settings)?).await?;
    anyhow::ensure!(added, "shop \"{id}\" exists already");
    storage.seed_shop_section(&id, ShopSection::Rules, "[]".into()).await?;
    let email = admin_email.trim().to_owned();
    let admin = NewAgent {
        shop_id: id.clone(),
        email: email.clone(),
        name: admin_name,
        password_hash,
        role: Role::Admin,
        capacity: DEFAULT_CAPACITY,
    };
    storage.create_agent(admin).await?;
    println!("shop {id} added; its admin logs in at /console");
    report_password(&email, &password, generated, "created");
    Ok(())
}

/// Whether the relay serves `shop`: named in the configuration, or added with `relay shop add`.
async fn is_served(config: &Config, storage: &SqliteStorage, shop: &ShopId) -> anyhow::Result<bool> {
    Ok(config.shop(shop).is_some() || storage.shop_section(shop, ShopSection::Settings).await?.is_some())
}

async fn manage_agents(config: Config, command: AgentCommand) -> anyhow::Result<()> {
    let storage = SqliteStorage::open(&config.database)
        .with_context(|| format!("cannot open database {}", config.database.display()))?;
    match command {
        AgentCommand::Add { shop, email, name, role, capacity, password_stdin } => {
            anyhow::ensure!(is_served(&config, &storage, &shop).await?, "no shop \"{shop}\" (see `relay shop add`)");
            // A shop's first account manages the others.
            let role = if storage.agent_count(&shop).await? == 0 { Role::Admin } else { role };
            let name = normalize_name(&name)
                .map_err(|_| anyhow::anyhow!("the name must have 1 to {MAX_NAME_CHARS} visible characters"))?;
            let (password, generated) = choose_password(password_stdin)?;
            let password_hash = auth::hash_password(password.clone()).await?;
            let agent = NewAgent { shop_id: shop, email: email.clone(), name, password_hash, role, capacity };
            storage.create_agent(agent).await?;
            report_password(&email, &password, generated, "created");
        }
        AgentCommand::List { shop } => {
            for agent in storage.agents(shop.as_ref()).await? {
                let state = if agent.disabled { "disabled" } else { "active" };
                let (shop, email, name, role) = (&agent.shop_id, &agent.email, &agent.name, agent.role.as_str());
                println!("{shop}\t{email}\t{name}\t{role}\t{state}\tcapacity {}", agent.capacity);
            }
        }
        AgentCommand::Disable { email, shop } => {
            let agent = account(&storage, &email, shop.as_ref()).await?;
            storage.set_agent_disabled(&agent.id, true).await?;
            println!("agent {email} of {} disabled; their sessions have ended", agent.shop_id);
        }
        AgentCommand::Enable { email, shop } => {
            let agent = account(&storage, &email, shop.as_ref()).await?;
            storage.set_agent_disabled(&agent.id, false).await?;
            println!("agent {email} of {} enabled", agent.shop_id);
        }
        AgentCommand::ResetPassword { email, shop, password_stdin } => {
            let agent = account(&storage, &email, shop.as_ref()).await?;
            let (password, generated) = choose_password(password_stdin)?;
            let password_hash = auth::hash_password(password.clone()).await?;
            storage.set_agent_password(&agent.id, password_hash).await?;
            report_password(&email, &password, generated, "updated");
        }
    }
    Ok(())
}

/// The account with `email` (in `shop`, which is needed only when the email has accounts in
/// several shops).
async fn account(storage: &SqliteStorage, email: &str, shop: Option<&ShopId>) -> anyhow::Result<AgentRecord> {
    let accounts = storage.agents_by_email(email.trim()).await?;
    let mut matching: Vec<AgentRecord> =
        accounts.into_iter().filter(|a| shop.is_none_or(|s| &a.shop_id == s)).collect();
    match matching.len() {
        0 => anyhow::bail!(
            "no agent with the email {email}{}",
            shop.map(|s| format!(" in shop {s}")).unwrap_or_default()
        ),
        1 => Ok(matching.remove(0)),
        _ => {
            let shops: Vec<String> = matching.iter().map(|a| a.shop_id.to_string()).collect();
            anyhow::bail!("{email} has accounts in the shops {}: name one with --shop", shops.join(", "))
        }
    }
}

fn parse_role(value: &str) -> Result<Role, String> {
    Role::parse(value).ok_or_else(|| format!("\"{value}\" is not a role: agent or admin"))
}

fn parse_shop(value: &str) -> Result<ShopId, String> {
    ShopId::new(value).map_err(|e| e.to_string())
}

fn choose_password(from_stdin: bool) -> anyhow::Result<(String, bool)> {
    if from_stdin {
        let mut password = String::new();
        std::io::stdin().read_to_string(&mut password).context("cannot read the password from stdin")?;
        return Ok((password.trim_end_matches(['\r', '\n']).to_owned(), false));
    }
    Ok((checkout_chat_relay::ids::random_token()[..16].to_owned(), true))
}

fn report_password(email: &str, password: &str, generated: bool, what: &str) {
    if generated {
        println!("agent {email} {what}; password: {password}");
    } else {
        println!("agent {email} {what}");
    }
}

/// Makes glibc serve every allocation of 1 MiB or more with its own mapping, returned to the
/// system when freed. By default glibc raises that threshold after the first such free, and from
/// then on keeps large blocks in the arena of the thread that freed them: each password check
/// (argon2 works in ~19 MiB) left its memory in whichever blocking thread ran it, so every login
/// grew the relay for good (24 logins: +440 MB). Only password checks allocate this much.
fn give_large_allocations_back() {
    #[cfg(all(target_os = "linux", target_env = "gnu"))]
    {
        const ONE_MIB: libc::c_int = 1024 * 1024;
        // SAFETY: mallopt only changes a setting of the allocator; it is safe to call at any
        // time, from any thread, and cannot affect memory already allocated.
        let changed = unsafe { libc::mallopt(libc::M_MMAP_THRESHOLD, ONE_MIB) };
        if changed != 1 {
            tracing::warn!("could not set the allocator's mmap threshold; logins may leave memory behind");
        }
    }
}

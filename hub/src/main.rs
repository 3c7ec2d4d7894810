use clap::Parser;
use tracing_subscriber::EnvFilter;

/// mimalloc: the hub hands buffers between threads (parsers, SQLite, HTTP), where glibc's
/// allocator spent a fifth of an invoice audit in `malloc`/`free`.
#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn main() -> std::process::ExitCode {
    let filter = EnvFilter::try_from_env("SHIPHUB_LOG")
        .unwrap_or_else(|_| EnvFilter::new("info,sqlx=warn,tower_http=warn"));
    let builder = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr);
    if std::env::var("SHIPHUB_LOG_FORMAT").as_deref() == Ok("json") {
        builder.json().init();
    } else {
        builder.init();
    }
    let cli = shiphub::cli::Cli::parse();
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .expect("tokio runtime");
    let result = runtime.block_on(shiphub::cli::run(cli));
    // `serve` returns at its shutdown deadline; work still running then (a purchase left to the
    // idempotency-key recovery, a blocking import) must not keep the process alive.
    runtime.shutdown_timeout(std::time::Duration::from_secs(1));
    match result {
        Ok(()) => std::process::ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("shiphub: {e}");
            std::process::ExitCode::FAILURE
        }
    }
}

use clap::Parser;

/// mimalloc: the hub hands buffers between threads (parsers, SQLite, HTTP), where glibc's
/// allocator spent a fifth of an invoice audit in `malloc`/`free`.
#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn main() -> std::process::ExitCode {
    let cli = shiphub::cli::Cli::parse();
    // Before the runtime: the trace exporter's blocking HTTP client starts one of its own.
    // Dropped after the runtime has stopped, flushing the spans not exported yet.
    let telemetry = match shiphub::telemetry::init(&cli.telemetry) {
        Ok(t) => t,
        Err(e) => {
            eprintln!("shiphub: {e}");
            return std::process::ExitCode::FAILURE;
        }
    };
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .expect("tokio runtime");
    let result = runtime.block_on(shiphub::cli::run(cli));
    // `serve` returns at its shutdown deadline; work still running then (a purchase left to the
    // idempotency-key recovery, a blocking import) must not keep the process alive.
    runtime.shutdown_timeout(std::time::Duration::from_secs(1));
    drop(telemetry);
    match result {
        Ok(()) => std::process::ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("shiphub: {e}");
            std::process::ExitCode::FAILURE
        }
    }
}

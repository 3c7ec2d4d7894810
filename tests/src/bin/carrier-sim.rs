//! Runs the carrier simulators on loopback for a person trying shiphub without carrier
//! credentials: `cargo run -p shiphub-e2e --bin carrier-sim -- [UPS_PORT] [FEDEX_PORT]
//! [DHL_PORT] [USPS_PORT] [SF_PORT]` (defaults 9101, 9102, 9103, 9104, 9105; DHL's MyDHL base
//! URL is `http://127.0.0.1:PORT/mydhlapi`, its Unified Tracking base URL
//! `http://127.0.0.1:PORT/track`; SF Express takes partner `SHIPHUB_SIM`, checkword
//! `sim-checkword-5f2c9a`).
//! Point an account's `base_url` at `http://127.0.0.1:PORT`.

use std::net::SocketAddr;

use shiphub_e2e::sim::{self, Sim};

#[tokio::main]
async fn main() -> std::io::Result<()> {
    let mut args = std::env::args().skip(1);
    let port = |a: Option<String>, d: u16| a.and_then(|p| p.parse().ok()).unwrap_or(d);
    let ups_port = port(args.next(), 9101);
    let fedex_port = port(args.next(), 9102);
    let dhl_port = port(args.next(), 9103);
    let usps_port = port(args.next(), 9104);
    let sf_port = port(args.next(), 9105);
    let ups = sim::serve(
        sim::ups::router(Sim::default()),
        SocketAddr::from(([127, 0, 0, 1], ups_port)),
    )
    .await?;
    let fedex = sim::serve(
        sim::fedex::router(Sim::default()),
        SocketAddr::from(([127, 0, 0, 1], fedex_port)),
    )
    .await?;
    let dhl = sim::serve(
        sim::dhl_express::router(Sim::default()),
        SocketAddr::from(([127, 0, 0, 1], dhl_port)),
    )
    .await?;
    let usps = sim::serve(
        sim::usps::router(Sim::default()),
        SocketAddr::from(([127, 0, 0, 1], usps_port)),
    )
    .await?;
    let sf = sim::serve(
        sim::sf_express::router(Sim::default()),
        SocketAddr::from(([127, 0, 0, 1], sf_port)),
    )
    .await?;
    eprintln!(
        "UPS simulator on http://{ups}, FedEx simulator on http://{fedex}, \
         DHL Express simulator on http://{dhl}/mydhlapi, USPS simulator on http://{usps}, \
         SF Express simulator on http://{sf}; faults: POST /_sim/faults"
    );
    tokio::signal::ctrl_c().await?;
    Ok(())
}

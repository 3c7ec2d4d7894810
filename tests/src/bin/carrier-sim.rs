//! Runs the carrier simulators on loopback for a person trying shiphub without carrier
//! credentials: `cargo run -p shiphub-e2e --bin carrier-sim -- [UPS_PORT] [FEDEX_PORT]
//! [DHL_PORT] [USPS_PORT] [SF_PORT] [KUAIDI100_PORT] [YUNEXPRESS_PORT]` (defaults 9101 to
//! 9107 in that order). DHL's MyDHL base URL is `http://127.0.0.1:PORT/mydhlapi`, its Unified
//! Tracking base URL `http://127.0.0.1:PORT/track`; SF Express takes partner `SHIPHUB_SIM`,
//! checkword `sim-checkword-5f2c9a`; Kuaidi100 the customer and key it prints; YunExpress any
//! `app_id`/`app_secret`/`source_key`. Point an account's `base_url` at `http://127.0.0.1:PORT`.

use std::net::SocketAddr;

use shiphub_e2e::sim::{self, Sim};

#[tokio::main]
async fn main() -> std::io::Result<()> {
    let mut args = std::env::args().skip(1);
    let mut next = |d: u16| {
        let a = args.next();
        SocketAddr::from(([127, 0, 0, 1], a.and_then(|p| p.parse().ok()).unwrap_or(d)))
    };
    let (ups, fedex, dhl, usps) = (next(9101), next(9102), next(9103), next(9104));
    let (sf, kuaidi100, yunexpress) = (next(9105), next(9106), next(9107));
    let ups = sim::serve(sim::ups::router(Sim::default()), ups).await?;
    let fedex = sim::serve(sim::fedex::router(Sim::default()), fedex).await?;
    let dhl = sim::serve(sim::dhl_express::router(Sim::default()), dhl).await?;
    let usps = sim::serve(sim::usps::router(Sim::default()), usps).await?;
    let sf = sim::serve(sim::sf_express::router(Sim::default()), sf).await?;
    let kuaidi100 = sim::serve(sim::kuaidi100::router(Sim::default()), kuaidi100).await?;
    let yunexpress = sim::serve(sim::yunexpress::router(Sim::default()), yunexpress).await?;
    eprintln!(
        "UPS simulator on http://{ups}, FedEx simulator on http://{fedex}, \
         DHL Express simulator on http://{dhl}/mydhlapi, USPS simulator on http://{usps}, \
         SF Express simulator on http://{sf}, Kuaidi100 simulator on http://{kuaidi100} \
         (customer {}, key {}), YunExpress simulator on http://{yunexpress}; \
         faults: POST /_sim/faults",
        sim::kuaidi100::CUSTOMER,
        sim::kuaidi100::KEY
    );
    tokio::signal::ctrl_c().await?;
    Ok(())
}

//! `otlp-receiver`: the test OTLP receiver as a process, for load runs (`benches/load.sh`). Prints its
//! endpoint (`http://127.0.0.1:PORT`, gRPC and HTTP/protobuf on the same port) on stdout, then serves until
//! its standard input closes, and prints what it received on stderr.

use std::io::Read;

use moat_testkit::otlp::OtlpReceiver;

fn main() {
    let receiver = OtlpReceiver::start();
    println!("{}", receiver.endpoint());
    let mut sink = Vec::new();
    let _ = std::io::stdin().read_to_end(&mut sink);
    eprintln!(
        "otlp-receiver: {} spans, {} metric exports received",
        receiver.spans().len(),
        receiver.metrics().len()
    );
}

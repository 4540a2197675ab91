//! The harness itself: moto starts on a free port, answers, pauses and resumes.
use std::io::{Read, Write};
use std::net::TcpStream;
use std::time::Duration;

use moat_testkit::MotoServer;

fn status_line(server: &MotoServer) -> std::io::Result<String> {
    let mut stream = TcpStream::connect_timeout(&server.addr(), Duration::from_secs(2))?;
    stream.set_read_timeout(Some(Duration::from_millis(800)))?;
    stream.write_all(b"GET /moto-api/ HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n")?;
    let mut head = [0u8; 12];
    stream.read_exact(&mut head)?;
    Ok(String::from_utf8_lossy(&head).into_owned())
}

#[test]
fn moto_answers_stops_answering_while_paused_and_answers_again() {
    let mut moto = MotoServer::start();
    assert!(moto.endpoint().starts_with("http://127.0.0.1:"));
    assert!(status_line(&moto).expect("answer").starts_with("HTTP/1.1 200"));
    moto.pause();
    assert!(status_line(&moto).is_err(), "a paused server must not answer");
    moto.resume();
    assert!(status_line(&moto)
        .expect("answer after resume")
        .starts_with("HTTP/1.1 200"));
    let env = moto.env();
    assert!(env
        .iter()
        .any(|(k, v)| *k == "AWS_ENDPOINT_URL" && *v == moto.endpoint()));
}

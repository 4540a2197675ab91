//! `moatctl traces xray:` against a real `moto_server`: segment documents go in with `PutTraceSegments`,
//! and the binary reads them back with `GetTraceSummaries` (whose moto answer the SDK cannot parse, see
//! `traces::api`) and `BatchGetTraces`, configured only by the standard AWS environment.

use std::process::Command;
use std::time::{SystemTime, UNIX_EPOCH};

use moat_telemetry::aws::{sdk_config, AwsSettings, StaticCredentials};
use moat_testkit::{MotoServer, MOTO_ACCESS_KEY_ID, MOTO_REGION, MOTO_SECRET_ACCESS_KEY};
use serde_json::{json, Value};

fn document(n: u32, now: f64, status: u16, ms: f64) -> String {
    let mut document = json!({
        "name": "petstore/prod",
        "id": format!("{:016x}", 0xabc0 + n),
        "trace_id": format!("1-{:08x}-{n:024x}", now as u64),
        "start_time": now - 60.0 + f64::from(n),
        "end_time": now - 60.0 + f64::from(n) + ms / 1000.0,
        "origin": "AWS::ApiGateway::Stage",
        "http": {
            "request": {"method": "GET", "url": format!("https://api.example.com/prod/pets/{n}")},
            "response": {"status": status}
        },
        "annotations": {"aws:api_stage": "prod", "moat_canary": n == 2}
    });
    if status >= 500 {
        document["fault"] = json!(true);
    }
    document.to_string()
}

#[tokio::test(flavor = "multi_thread")]
async fn traces_are_read_back_from_the_xray_api() {
    let moto = MotoServer::start();
    let config = sdk_config(&AwsSettings {
        region: Some(MOTO_REGION.to_owned()),
        endpoint_url: Some(moto.endpoint()),
        static_credentials: Some(StaticCredentials {
            access_key_id: MOTO_ACCESS_KEY_ID.to_owned(),
            secret_access_key: MOTO_SECRET_ACCESS_KEY.to_owned(),
        }),
    })
    .await;
    let client = aws_sdk_xray::Client::new(&config);
    let now = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .expect("after 1970")
        .as_secs_f64();
    let documents = vec![
        document(1, now, 200, 15.0),
        document(2, now, 503, 640.0),
        document(3, now, 200, 40.0),
    ];
    let put = client
        .put_trace_segments()
        .set_trace_segment_documents(Some(documents))
        .send()
        .await;
    let put = put.expect("PutTraceSegments");
    assert!(put.unprocessed_trace_segments().is_empty(), "{put:?}");

    let output = Command::new(env!("CARGO_BIN_EXE_moatctl"))
        .args([
            "traces",
            "xray:",
            "--since",
            "10m",
            "--json",
            "--filter",
            "NOT annotation.moat_canary",
        ])
        .envs(moto.env())
        .output()
        .expect("moatctl runs");
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(output.status.success(), "stderr: {stderr}");
    let report: Value = serde_json::from_slice(&output.stdout).expect("one JSON object");
    assert_eq!(report["traces"], 2, "{report}");
    assert_eq!(report["faults"], 0, "{report}");
    assert_eq!(
        report["slowest"][0]["url"], "https://api.example.com/prod/pets/3",
        "{report}"
    );

    let output = Command::new(env!("CARGO_BIN_EXE_moatctl"))
        .args(["traces", "xray:", "--since", "10m", "--json"])
        .envs(moto.env())
        .output()
        .expect("moatctl runs");
    assert!(output.status.success(), "{}", String::from_utf8_lossy(&output.stderr));
    let report: Value = serde_json::from_slice(&output.stdout).expect("one JSON object");
    assert_eq!(report["traces"], 3, "{report}");
    assert_eq!(report["faults"], 1, "{report}");

    // A time range with no traces reports zero, not an error.
    let output = Command::new(env!("CARGO_BIN_EXE_moatctl"))
        .args(["traces", "xray:", "--since", "3d", "--until", "2d", "--json"])
        .envs(moto.env())
        .output()
        .expect("moatctl runs");
    assert!(output.status.success(), "{}", String::from_utf8_lossy(&output.stderr));
    let report: Value = serde_json::from_slice(&output.stdout).expect("one JSON object");
    assert_eq!(report["traces"], 0, "{report}");
}

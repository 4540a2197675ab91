//! Against the real `moto_server` through the real SDK: documents go in with `PutTraceSegments` and
//! come back from `GetTraceSummaries` and `BatchGetTraces` with their trace, segment and parent ids.

use std::collections::BTreeMap;
use std::net::{IpAddr, Ipv4Addr};
use std::time::{SystemTime, UNIX_EPOCH};

use aws_sdk_xray::error::{DisplayErrorContext, SdkError};
use aws_sdk_xray::primitives::DateTime;
use moat_testkit::{free_port, MotoServer, MOTO_ACCESS_KEY_ID, MOTO_REGION, MOTO_SECRET_ACCESS_KEY};
use serde_json::Value;

use super::*;
use crate::aws::{sdk_config, AwsSettings, StaticCredentials};
use crate::request::{FinishedRequest, IntegrationCall, TraceContext};
use crate::xray::segment::{segment_record, subsegment_id, xray_trace_id, SegmentExtras, SegmentSettings};

async fn sink_for(endpoint: String) -> XRayApiSink {
    let config = sdk_config(&AwsSettings {
        region: Some(MOTO_REGION.to_owned()),
        endpoint_url: Some(endpoint),
        static_credentials: Some(StaticCredentials {
            access_key_id: MOTO_ACCESS_KEY_ID.to_owned(),
            secret_access_key: MOTO_SECRET_ACCESS_KEY.to_owned(),
        }),
    })
    .await;
    XRayApiSink::new(&config)
}

fn now_us() -> u64 {
    SystemTime::now().duration_since(UNIX_EPOCH).unwrap().as_micros() as u64
}

fn request(trace: TraceContext, start_us: u64, integration: Option<IntegrationCall>) -> FinishedRequest {
    FinishedRequest {
        request_id: format!("req-{:016x}", trace.segment_id),
        extended_request_id: "abcde12345abcde=".to_owned(),
        api_id: "a1b2c3d4e5".to_owned(),
        api_name: "testxray".to_owned(),
        api_type: "rest",
        stage: "dev".to_owned(),
        is_canary: false,
        resource: Some("/pets".to_owned()),
        method: "GET".to_owned(),
        url: "https://example.com/dev/pets".to_owned(),
        host: Some("example.com".to_owned()),
        client_ip: IpAddr::V4(Ipv4Addr::new(192, 0, 2, 1)),
        user_agent: Some("moat-test".to_owned()),
        protocol: "HTTP/1.1",
        status: 200,
        response_length: 12,
        start_us,
        end_us: start_us + 25_000,
        error_type: None,
        integration,
        waf: None,
        trace,
    }
}

fn settings() -> SegmentSettings {
    SegmentSettings {
        region: MOTO_REGION.to_owned(),
        account_id: None,
    }
}

#[tokio::test]
async fn put_segments_then_read_back_ids_and_parents() {
    let moto = MotoServer::start();
    let mut sink = sink_for(moto.endpoint()).await;
    let start = now_us();
    let epoch = u128::from(start / 1_000_000) << 96;
    // Trace A: a caller's segment is the parent; the gateway calls an integration whose own segment
    // names the gateway's segment as its parent (the Parent the gateway sent).
    let a = TraceContext {
        trace_id: epoch | 0x0a0a_0a0a_0a0a_0a0a_0a0a_0a0a,
        segment_id: 0x1111_2222_3333_4444,
        parent_id: Some(0x5399_5c3f_42cd_8ad8),
        sampled: true,
    };
    // Trace B: started at the gateway.
    let b = TraceContext {
        trace_id: epoch | 0x0b0b_0b0b_0b0b_0b0b_0b0b_0b0b,
        segment_id: 0x5555_6666_7777_8888,
        parent_id: None,
        sampled: true,
    };
    let call = IntegrationCall {
        kind: "http_proxy",
        url: Some("http://backend.internal:8080/pets".to_owned()),
        method: "GET".to_owned(),
        start_us: start + 1_000,
        end_us: start + 20_000,
        status: Some(200),
        error: None,
        timed_out: false,
    };
    let extras = SegmentExtras {
        sampling_rule: Some("Default"),
        client_ip_from_forwarded_for: false,
    };
    let downstream = format!(
        r#"{{"name":"backend","id":"9999aaaabbbbcccc","trace_id":"{}","parent_id":"{:016x}","start_time":{},"end_time":{}}}"#,
        xray_trace_id(a.trace_id),
        a.segment_id,
        (start + 2_000) as f64 / 1e6,
        (start + 19_000) as f64 / 1e6,
    );
    let batch = [
        segment_record(&request(a, start, Some(call)), &settings(), &extras).unwrap(),
        segment_record(&request(b, start + 5_000, None), &settings(), &extras).unwrap(),
        Record::new((start / 1000) as i64, downstream),
    ];
    let delivered = sink.send(&batch).await.unwrap();
    assert_eq!(
        delivered,
        Delivered {
            accepted: 3,
            rejected: 0
        }
    );

    let now_secs = (start / 1_000_000) as i64;
    let summaries = sink
        .client()
        .get_trace_summaries()
        .start_time(DateTime::from_secs(now_secs - 60))
        .end_time(DateTime::from_secs(now_secs + 60))
        .send()
        .await;
    let summarized_ids: Vec<String> = match summaries {
        Ok(output) => output
            .trace_summaries()
            .iter()
            .filter_map(|s| s.id().map(str::to_owned))
            .collect(),
        // moto 5.2.1 answers 200 with `"Users": {}` in each summary (moto/xray/models.py,
        // `SegmentCollection.summary`, "Not implemented yet") where the API model has a list, so the
        // SDK cannot parse it; read the ids from the same response's raw body instead.
        Err(SdkError::ServiceError(err)) if err.raw().status().as_u16() == 200 => {
            let body: Value = serde_json::from_slice(err.raw().body().bytes().unwrap()).unwrap();
            let summaries = body["TraceSummaries"].as_array().unwrap();
            assert!(
                summaries.iter().all(|s| s["Users"].is_object()),
                "the moto gap worked around: {body}"
            );
            summaries.iter().map(|s| s["Id"].as_str().unwrap().to_owned()).collect()
        }
        Err(err) => panic!("GetTraceSummaries: {}", DisplayErrorContext(&err)),
    };
    let mut summarized: Vec<&str> = summarized_ids.iter().map(String::as_str).collect();
    summarized.sort_unstable();
    assert_eq!(summarized, [xray_trace_id(a.trace_id), xray_trace_id(b.trace_id)]);

    let traces = sink
        .client()
        .batch_get_traces()
        .trace_ids(xray_trace_id(a.trace_id))
        .trace_ids(xray_trace_id(b.trace_id))
        .send()
        .await
        .unwrap();
    assert!(traces.unprocessed_trace_ids().is_empty());
    let mut by_trace: BTreeMap<String, BTreeMap<String, Value>> = BTreeMap::new();
    for trace in traces.traces() {
        let segments = by_trace.entry(trace.id().unwrap().to_owned()).or_default();
        for segment in trace.segments() {
            let document: Value = serde_json::from_str(segment.document().unwrap()).unwrap();
            assert_eq!(document["id"].as_str(), segment.id(), "Segment.Id is the document's id");
            segments.insert(segment.id().unwrap().to_owned(), document);
        }
    }
    let trace_a = &by_trace[&xray_trace_id(a.trace_id)];
    assert_eq!(trace_a.len(), 2);
    let gateway = &trace_a["1111222233334444"];
    assert_eq!(gateway["trace_id"], xray_trace_id(a.trace_id));
    assert_eq!(gateway["parent_id"], "53995c3f42cd8ad8");
    assert_eq!(gateway["name"], "testxray/dev");
    assert_eq!(gateway["aws"]["xray"]["sampling_rule_name"], "Default");
    assert_eq!(
        gateway["subsegments"][0]["id"],
        format!("{:016x}", subsegment_id(a.segment_id))
    );
    assert_eq!(gateway["subsegments"][0]["name"], "backend.internal");
    assert_eq!(trace_a["9999aaaabbbbcccc"]["parent_id"], "1111222233334444");
    let trace_b = &by_trace[&xray_trace_id(b.trace_id)];
    assert_eq!(trace_b.len(), 1);
    let gateway_b = &trace_b["5555666677778888"];
    assert_eq!(gateway_b["trace_id"], xray_trace_id(b.trace_id));
    assert!(
        gateway_b.get("parent_id").is_none(),
        "a trace started at the gateway has no parent"
    );
}

#[tokio::test]
async fn unprocessed_and_unreadable_documents_are_rejected() {
    let moto = MotoServer::start();
    let mut sink = sink_for(moto.endpoint()).await;
    let start = now_us();
    let trace = TraceContext {
        trace_id: (u128::from(start / 1_000_000) << 96) | 7,
        segment_id: 0x0123_4567_89ab_cdef,
        parent_id: None,
        sampled: true,
    };
    let good = segment_record(&request(trace, start, None), &settings(), &SegmentExtras::default()).unwrap();
    // No end_time and no in_progress: X-Ray (and moto) list it in UnprocessedTraceSegments.
    let unfinished = Record::new(
        0,
        r#"{"name":"x","id":"70de5b6f19ff9a0a","trace_id":"1-581cf771-a006649127e371903a2de979","start_time":1478293361.271}"#,
    );
    let not_utf8 = Record::new(0, vec![0xff, 0xfe]);
    let delivered = sink.send(&[good, unfinished, not_utf8]).await.unwrap();
    assert_eq!(
        delivered,
        Delivered {
            accepted: 1,
            rejected: 2
        }
    );
}

#[tokio::test]
async fn unreachable_endpoint_is_retryable() {
    let mut sink = sink_for(format!("http://127.0.0.1:{}", free_port())).await;
    let err = sink.send(&[Record::new(0, "{}")]).await.unwrap_err();
    assert!(err.is_retryable(), "{err}");
}

#[test]
fn limits_follow_the_daemon_batch_and_the_document_limit() {
    let limits = BatchLimits {
        max_records: 50,
        max_bytes: 50 * 65_536,
        overhead_per_record: 0,
        max_record_bytes: 65_536,
        max_span_ms: None,
    };
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    let sink = rt.block_on(sink_for("http://127.0.0.1:1".to_owned()));
    assert_eq!(sink.limits(), limits);
    assert_eq!(sink.name(), "xray:PutTraceSegments/us-east-1");
}

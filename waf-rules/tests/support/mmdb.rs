//! A minimal MaxMind DB writer for tests: IPv4 trees with 24-bit records and hand-encoded data.

#[derive(Clone, Copy)]
enum Rec {
    Empty,
    Node(usize),
    Data(usize),
}

fn str_ctl(s: &str) -> Vec<u8> {
    assert!(s.len() < 29);
    let mut v = vec![0x40 | s.len() as u8];
    v.extend_from_slice(s.as_bytes());
    v
}

fn uint(kind: u8, n: u64) -> Vec<u8> {
    let bytes: Vec<u8> = n.to_be_bytes().into_iter().skip_while(|&b| b == 0).collect();
    let mut v = if kind <= 7 {
        vec![(kind << 5) | bytes.len() as u8]
    } else {
        vec![bytes.len() as u8, kind - 7]
    };
    v.extend(bytes);
    v
}

/// Data record `{"country": {"iso_code": code}}`.
pub fn country(code: &str) -> Vec<u8> {
    let mut v = vec![0xE1];
    v.extend(str_ctl("country"));
    v.push(0xE1);
    v.extend(str_ctl("iso_code"));
    v.extend(str_ctl(code));
    v
}

/// Data record `{"autonomous_system_number": asn}`.
pub fn asn(asn: u32) -> Vec<u8> {
    let mut v = vec![0xE1];
    v.extend(str_ctl("autonomous_system_number"));
    v.extend(uint(6, u64::from(asn)));
    v
}

/// A database mapping IPv4 prefixes to data records.
pub fn build(entries: &[(&str, u8, Vec<u8>)], database_type: &str) -> Vec<u8> {
    let mut nodes: Vec<[Rec; 2]> = vec![[Rec::Empty, Rec::Empty]];
    let mut data = Vec::new();
    for (ip, len, record) in entries {
        let ip: std::net::Ipv4Addr = ip.parse().expect("IPv4 address");
        let bits = u32::from(ip);
        let offset = data.len();
        data.extend_from_slice(record);
        let mut node = 0;
        for d in 0..*len {
            let bit = ((bits >> (31 - d)) & 1) as usize;
            if d + 1 == *len {
                nodes[node][bit] = Rec::Data(offset);
                break;
            }
            node = match nodes[node][bit] {
                Rec::Node(n) => n,
                _ => {
                    nodes.push([Rec::Empty, Rec::Empty]);
                    let n = nodes.len() - 1;
                    nodes[node][bit] = Rec::Node(n);
                    n
                }
            };
        }
    }
    let count = nodes.len();
    let mut out = Vec::new();
    for n in &nodes {
        for r in n {
            let v = match *r {
                Rec::Empty => count,
                Rec::Node(i) => i,
                Rec::Data(off) => count + 16 + off,
            } as u32;
            out.extend_from_slice(&v.to_be_bytes()[1..]);
        }
    }
    out.extend_from_slice(&[0; 16]);
    out.extend(data);
    out.extend_from_slice(b"\xab\xcd\xefMaxMind.com");
    out.push(0xE9);
    out.extend(str_ctl("binary_format_major_version"));
    out.extend(uint(5, 2));
    out.extend(str_ctl("binary_format_minor_version"));
    out.extend(uint(5, 0));
    out.extend(str_ctl("build_epoch"));
    out.extend(uint(9, 1_700_000_000));
    out.extend(str_ctl("database_type"));
    out.extend(str_ctl(database_type));
    out.extend(str_ctl("description"));
    out.push(0xE0);
    out.extend(str_ctl("ip_version"));
    out.extend(uint(5, 4));
    out.extend(str_ctl("languages"));
    out.extend([0x00, 0x04]);
    out.extend(str_ctl("node_count"));
    out.extend(uint(6, count as u64));
    out.extend(str_ctl("record_size"));
    out.extend(uint(5, 24));
    out
}

//! IP sets as sorted, merged address ranges; MaxMind-format country and ASN databases.

use std::fmt;
use std::net::IpAddr;

use maxminddb::{geoip2, Reader};

use crate::model::{parse_cidr, IpSetModel};

/// An IP set compiled into sorted, non-overlapping inclusive ranges (IPv4 and IPv6 kept apart); lookups are a
/// binary search.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub(crate) struct IpTable {
    v4: Vec<(u32, u32)>,
    v6: Vec<(u128, u128)>,
}

fn merge<T: Copy + Ord + One>(mut ranges: Vec<(T, T)>) -> Vec<(T, T)> {
    ranges.sort_unstable();
    let mut out: Vec<(T, T)> = Vec::with_capacity(ranges.len());
    for (s, e) in ranges {
        match out.last_mut() {
            Some(last) if s <= last.1.saturating_inc() => last.1 = last.1.max(e),
            _ => out.push((s, e)),
        }
    }
    out
}

trait One {
    fn saturating_inc(self) -> Self;
}
impl One for u32 {
    fn saturating_inc(self) -> Self {
        self.saturating_add(1)
    }
}
impl One for u128 {
    fn saturating_inc(self) -> Self {
        self.saturating_add(1)
    }
}

fn contains<T: Copy + Ord>(ranges: &[(T, T)], x: T) -> bool {
    let i = ranges.partition_point(|&(s, _)| s <= x);
    i > 0 && ranges[i - 1].1 >= x
}

impl IpTable {
    /// Compiles a (validated) IP set.
    pub fn new(set: &IpSetModel) -> Self {
        let (mut v4, mut v6) = (Vec::new(), Vec::new());
        for (ip, len) in set.addresses.iter().filter_map(|a| parse_cidr(a)) {
            match ip {
                IpAddr::V4(a) => {
                    let base = u32::from(a);
                    let mask = if len == 0 { 0 } else { u32::MAX << (32 - u32::from(len)) };
                    v4.push((base & mask, (base & mask) | !mask));
                }
                IpAddr::V6(a) => {
                    let base = u128::from(a);
                    let mask = if len == 0 {
                        0
                    } else {
                        u128::MAX << (128 - u32::from(len))
                    };
                    v6.push((base & mask, (base & mask) | !mask));
                }
            }
        }
        Self {
            v4: merge(v4),
            v6: merge(v6),
        }
    }

    /// Whether `ip` is in the set; an IPv4-mapped IPv6 address (`::ffff:192.0.2.1`) is looked up as IPv4.
    pub fn contains(&self, ip: IpAddr) -> bool {
        match canonical(ip) {
            IpAddr::V4(a) => contains(&self.v4, u32::from(a)),
            IpAddr::V6(a) => contains(&self.v6, u128::from(a)),
        }
    }
}

/// IPv4-mapped IPv6 addresses as IPv4.
pub(crate) fn canonical(ip: IpAddr) -> IpAddr {
    match ip {
        IpAddr::V6(a) => a.to_ipv4_mapped().map_or(ip, IpAddr::V4),
        v4 => v4,
    }
}

/// A MaxMind DB (`.mmdb`) held in memory: a GeoIP2/GeoLite2 Country (or City) database for `GeoMatchStatement`,
/// or a GeoLite2 ASN database for `AsnMatchStatement`.
pub struct GeoDb {
    reader: Reader<Vec<u8>>,
}

impl fmt::Debug for GeoDb {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("GeoDb")
            .field("database_type", &self.reader.metadata().database_type)
            .finish()
    }
}

impl GeoDb {
    /// Opens a database from its bytes.
    pub fn new(bytes: Vec<u8>) -> Result<Self, String> {
        Reader::from_source(bytes)
            .map(|reader| Self { reader })
            .map_err(|e| e.to_string())
    }

    /// The ISO 3166-1 alpha-2 country of `ip`, if the database has one.
    pub fn country(&self, ip: IpAddr) -> Option<[u8; 2]> {
        let result = self.reader.lookup(canonical(ip)).ok()?;
        let record = result.decode::<geoip2::Country>().ok()??;
        let code = record.country.iso_code?.as_bytes();
        match code {
            [a, b] => Some([*a, *b]),
            _ => None,
        }
    }

    /// The autonomous system number of `ip`, if the database has one.
    pub fn asn(&self, ip: IpAddr) -> Option<u32> {
        let result = self.reader.lookup(canonical(ip)).ok()?;
        result.decode::<geoip2::Asn>().ok()??.autonomous_system_number
    }
}

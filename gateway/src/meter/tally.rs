//! One answer's count as its body passes ([`Tally`]), and the encodings the meter can decode.

use super::Meter;
use crate::calllog::Entry;
use axum::body::Bytes;
use axum::http::{HeaderMap, HeaderValue, header};
use std::io::Write;
use std::sync::Arc;
use tenantry_core::usage::{EgressCount, EgressKey};

/// An answer's count as its body passes: noted when dropped (the body ended or was abandoned).
pub(crate) struct Tally {
    meter: Arc<Meter>,
    key: Option<EgressKey>,
    wire: u64,
    decoded: Decoded,
    /// The call's row in the call log, ended with the answer's status and bytes.
    call: Option<(Entry, u16)>,
}

enum Decoded {
    /// Not compressed: decoded is the wire.
    Same,
    Gzip(flate2::write::GzDecoder<Counter>),
    Deflate(flate2::write::ZlibDecoder<Counter>),
    /// Not what it said it was: counted as it came, as if not compressed.
    Broken,
}

/// Counts what is written to it, keeping nothing.
#[derive(Default)]
pub(crate) struct Counter(u64);

impl Write for Counter {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.0 += buf.len() as u64;
        Ok(buf.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

impl Tally {
    pub(crate) fn new(meter: Arc<Meter>, key: EgressKey, headers: &HeaderMap) -> Self {
        let encoding = headers
            .get(header::CONTENT_ENCODING)
            .and_then(|v| v.to_str().ok())
            .map(|v| v.trim().to_ascii_lowercase());
        let decoded = match encoding.as_deref() {
            Some("gzip" | "x-gzip") => {
                Decoded::Gzip(flate2::write::GzDecoder::new(Counter::default()))
            }
            Some("deflate") => {
                Decoded::Deflate(flate2::write::ZlibDecoder::new(Counter::default()))
            }
            _ => Decoded::Same,
        };
        Self {
            meter,
            key: Some(key),
            wire: 0,
            decoded,
            call: None,
        }
    }

    /// Ends `entry` with `status` and this answer's bytes on the wire when the body ends.
    pub(crate) fn logging(mut self, entry: Option<Entry>, status: u16) -> Self {
        self.call = entry.map(|e| (e, status));
        self
    }

    pub(crate) fn pass(&mut self, chunk: &Bytes) {
        self.wire += chunk.len() as u64;
        let fed = match &mut self.decoded {
            Decoded::Gzip(d) => d.write_all(chunk),
            Decoded::Deflate(d) => d.write_all(chunk),
            Decoded::Same | Decoded::Broken => Ok(()),
        };
        if fed.is_err() {
            self.decoded = Decoded::Broken;
        }
    }
}

impl Drop for Tally {
    fn drop(&mut self) {
        let Some(key) = self.key.take() else { return };
        let decoded = match std::mem::replace(&mut self.decoded, Decoded::Same) {
            Decoded::Gzip(d) => d.finish().map_or(self.wire, |c| c.0),
            Decoded::Deflate(d) => d.finish().map_or(self.wire, |c| c.0),
            Decoded::Same | Decoded::Broken => self.wire,
        };
        self.meter.note(
            key,
            EgressCount {
                calls: 1,
                wire: self.wire,
                decoded,
            },
        );
        if let Some((entry, status)) = self.call.take() {
            entry.end(status, self.wire);
        }
    }
}

/// The client's `Accept-Encoding` with only the codings the meter decodes (gzip, deflate,
/// identity; `*` becomes gzip); `None` when none is left, and Xero then sends the body as it is.
pub(crate) fn measurable(accept: &HeaderValue) -> Option<HeaderValue> {
    let kept: Vec<String> = accept
        .to_str()
        .ok()?
        .split(',')
        .filter_map(|item| {
            let item = item.trim();
            let coding = item.split(';').next()?.trim().to_ascii_lowercase();
            match coding.as_str() {
                "gzip" | "x-gzip" | "deflate" | "identity" => Some(item.to_owned()),
                "*" => Some(item.replacen('*', "gzip", 1)),
                _ => None,
            }
        })
        .collect();
    if kept.is_empty() {
        None
    } else {
        HeaderValue::from_str(&kept.join(", ")).ok()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use flate2::Compression;

    fn key() -> EgressKey {
        EgressKey {
            day: "2026-12-07".parse().unwrap(),
            tenant_id: "t".into(),
            program: "python3".into(),
            path: "/api.xro/2.0/Invoices".into(),
        }
    }

    fn pass_in_chunks(meter: &Arc<Meter>, headers: &HeaderMap, body: &[u8]) {
        let mut tally = Tally::new(meter.clone(), key(), headers);
        for chunk in body.chunks(7) {
            tally.pass(&Bytes::copy_from_slice(chunk));
        }
    }

    #[test]
    fn wire_and_decoded_bytes_are_counted_for_each_encoding() {
        let plain: Vec<u8> = (0..10_000u32)
            .flat_map(|i| (i % 251).to_le_bytes())
            .collect();
        let mut gz = flate2::write::GzEncoder::new(Vec::new(), Compression::default());
        gz.write_all(&plain).unwrap();
        let gz = gz.finish().unwrap();
        let mut zl = flate2::write::ZlibEncoder::new(Vec::new(), Compression::default());
        zl.write_all(&plain).unwrap();
        let zl = zl.finish().unwrap();

        let meter = Arc::new(Meter::new(Default::default()));
        pass_in_chunks(&meter, &HeaderMap::new(), &plain);
        let mut h = HeaderMap::new();
        h.insert(header::CONTENT_ENCODING, HeaderValue::from_static("gzip"));
        pass_in_chunks(&meter, &h, &gz);
        h.insert(
            header::CONTENT_ENCODING,
            HeaderValue::from_static("deflate"),
        );
        pass_in_chunks(&meter, &h, &zl);
        // Said to be gzip, and is not: what came counts as it came.
        h.insert(header::CONTENT_ENCODING, HeaderValue::from_static("gzip"));
        pass_in_chunks(&meter, &h, b"not gzip at all");

        let noted = meter.take();
        assert_eq!(noted.len(), 1, "one key");
        let plain_len = plain.len() as u64;
        assert_eq!(
            noted[0].1,
            EgressCount {
                calls: 4,
                wire: plain_len + gz.len() as u64 + zl.len() as u64 + 15,
                decoded: 3 * plain_len + 15,
            }
        );
    }

    #[test]
    fn an_answer_left_half_way_counts_what_was_passed_on() {
        let meter = Arc::new(Meter::new(Default::default()));
        let mut tally = Tally::new(meter.clone(), key(), &HeaderMap::new());
        tally.pass(&Bytes::from_static(b"12345"));
        drop(tally);
        assert_eq!(meter.take()[0].1.wire, 5);
    }

    #[test]
    fn only_codings_the_meter_can_decode_are_asked_for() {
        let m = |v: &'static str| {
            measurable(&HeaderValue::from_static(v)).map(|h| h.to_str().unwrap().to_owned())
        };
        assert_eq!(
            m("gzip, deflate, br, zstd").as_deref(),
            Some("gzip, deflate")
        );
        assert_eq!(m("br;q=1.0, gzip;q=0.8").as_deref(), Some("gzip;q=0.8"));
        assert_eq!(m("*").as_deref(), Some("gzip"));
        assert_eq!(m("br"), None);
    }
}

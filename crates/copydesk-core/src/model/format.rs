//! The model file: a readable text header, a blank line, then the weights.
//!
//! ```text
//! copydesk-model
//! format: 1
//! corpus: polnear-train (brat) + data/hard-negatives.jsonl
//! positives: 7012
//! negatives: 7012
//! groups: 1240
//! trained: 2025-11-26
//! normalization: 1
//! word-ngrams: 1-2
//! char-ngrams: 2-5
//! buckets-log2: 20
//! hash: fnv1a64-fmix64
//! lambda: 0.00001
//! cv-folds: 5
//! cv-auc: 0.9123
//! threshold: 0.5
//! veto: 0.1
//! bias: -0.0123
//! weights: f16le 1048576
//! checksum: fnv1a64 5c0ffee15bad1dea
//!
//! <weights: one little-endian IEEE half (or single) per bucket>
//! ```
//!
//! `head -20 model.bin` shows where a model came from. Keys may come in any order;
//! unknown keys are kept as notes, so a later format can add information without breaking
//! older readers. The settings inference depends on (format, normalisation, n-grams,
//! buckets, hash, bias, weights, checksum) are required and checked; every problem is a
//! [`ModelError`] naming the key and what was expected, never a panic.

use std::fmt::Write as _;

use super::features::{FeatureSettings, fnv1a};
use super::normalize::NORMALIZATION_VERSION;

/// The first line of every model file.
pub const MAGIC: &str = "copydesk-model";
/// The format version this build writes and the newest it reads.
pub const FORMAT_VERSION: u32 = 1;
/// The feature hash this build computes.
pub const HASH_NAME: &str = "fnv1a64-fmix64";

const FNV_OFFSET: u64 = 0xcbf2_9ce4_8422_2325;

/// Why a model file cannot be used.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ModelError {
    #[error("not a copydesk model file (it does not start with \"{MAGIC}\")")]
    NotAModel,
    #[error("model header is not terminated by a blank line (file truncated?)")]
    NoHeaderEnd,
    #[error("model header is not UTF-8 text")]
    HeaderNotText,
    #[error("model header line {line}: {message}")]
    Header { line: usize, message: String },
    #[error("model header lacks \"{0}:\"")]
    Missing(&'static str),
    #[error(
        "model format {found} is newer than this copydesk reads (format {FORMAT_VERSION}): upgrade copydesk"
    )]
    NewerFormat { found: u32 },
    #[error(
        "model was trained with {what} {found}, this copydesk computes {expected}: retrain it with `copydesk train`"
    )]
    Incompatible {
        what: &'static str,
        found: String,
        expected: String,
    },
    #[error(
        "model weights: expected {expected} bytes for {buckets} {encoding} weights, found {found} (file truncated or damaged?)"
    )]
    WeightsLength {
        expected: usize,
        found: usize,
        buckets: usize,
        encoding: &'static str,
    },
    #[error("model weights do not match the header checksum (file damaged?)")]
    Checksum,
    #[error("model weight {index} is not a finite number (file damaged?)")]
    NotFinite { index: usize },
}

/// How the weights are stored after the header.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Encoding {
    /// IEEE 754 half precision, little-endian: 2 bytes a weight.
    F16,
    /// IEEE 754 single precision, little-endian: 4 bytes a weight.
    F32,
}

impl Encoding {
    pub fn as_str(self) -> &'static str {
        match self {
            Encoding::F16 => "f16le",
            Encoding::F32 => "f32le",
        }
    }

    fn width(self) -> usize {
        match self {
            Encoding::F16 => 2,
            Encoding::F32 => 4,
        }
    }
}

/// Where a model came from and how well it did in cross-validation: the header's
/// informational part.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Provenance {
    /// What it was trained on, e.g. `polnear-train (brat) + hard-negatives.jsonl`.
    pub corpus: String,
    pub positives: usize,
    pub negatives: usize,
    /// Distinct articles (cross-validation groups).
    pub groups: usize,
    /// Training date, `YYYY-MM-DD` (the caller supplies it: the core has no clock).
    pub trained: String,
    /// The L2 regularisation strength chosen by cross-validation.
    pub lambda: f64,
    pub cv_folds: usize,
    /// Cross-validated ROC AUC on the weak labels at the chosen `lambda`.
    pub cv_auc: f64,
    /// Header keys this version does not know, in file order.
    pub notes: Vec<(String, String)>,
}

/// A parsed model file: everything but the dequantised weights' container.
#[derive(Debug, Clone, PartialEq)]
pub(super) struct Parsed {
    pub provenance: Provenance,
    pub settings: FeatureSettings,
    pub threshold: f32,
    pub veto: f32,
    pub bias: f32,
    pub weights: Vec<f32>,
}

/// Serialises a model.
pub(super) fn write(
    provenance: &Provenance,
    settings: &FeatureSettings,
    threshold: f32,
    veto: f32,
    bias: f32,
    weights: &[f32],
    encoding: Encoding,
) -> Vec<u8> {
    let mut payload = Vec::with_capacity(weights.len() * encoding.width());
    for &w in weights {
        match encoding {
            Encoding::F16 => payload.extend_from_slice(&f32_to_f16(w).to_le_bytes()),
            Encoding::F32 => payload.extend_from_slice(&w.to_le_bytes()),
        }
    }
    let one_line = |s: &str| s.replace(['\n', '\r'], " ");
    let mut h = String::new();
    let _ = writeln!(h, "{MAGIC}");
    let _ = writeln!(h, "format: {FORMAT_VERSION}");
    let _ = writeln!(h, "corpus: {}", one_line(&provenance.corpus));
    let _ = writeln!(h, "positives: {}", provenance.positives);
    let _ = writeln!(h, "negatives: {}", provenance.negatives);
    let _ = writeln!(h, "groups: {}", provenance.groups);
    let _ = writeln!(h, "trained: {}", one_line(&provenance.trained));
    let _ = writeln!(h, "normalization: {NORMALIZATION_VERSION}");
    let _ = writeln!(
        h,
        "word-ngrams: {}-{}",
        settings.word_ngrams.0, settings.word_ngrams.1
    );
    let _ = writeln!(
        h,
        "char-ngrams: {}-{}",
        settings.char_ngrams.0, settings.char_ngrams.1
    );
    let _ = writeln!(h, "buckets-log2: {}", settings.buckets_log2);
    let _ = writeln!(h, "cues: {}", if settings.cues { "rules" } else { "none" });
    let _ = writeln!(h, "hash: {HASH_NAME}");
    let _ = writeln!(h, "lambda: {}", provenance.lambda);
    let _ = writeln!(h, "cv-folds: {}", provenance.cv_folds);
    let _ = writeln!(h, "cv-auc: {:.4}", provenance.cv_auc);
    let _ = writeln!(h, "threshold: {threshold}");
    let _ = writeln!(h, "veto: {veto}");
    let _ = writeln!(h, "bias: {bias}");
    for (key, value) in &provenance.notes {
        let _ = writeln!(
            h,
            "{}: {}",
            one_line(key).replace(':', "-"),
            one_line(value)
        );
    }
    let _ = writeln!(h, "weights: {} {}", encoding.as_str(), weights.len());
    let _ = writeln!(h, "checksum: fnv1a64 {:016x}", fnv1a(FNV_OFFSET, &payload));
    h.push('\n');
    let mut out = h.into_bytes();
    out.extend_from_slice(&payload);
    out
}

/// Parses a model file.
pub(super) fn parse(bytes: &[u8]) -> Result<Parsed, ModelError> {
    if !bytes.starts_with(MAGIC.as_bytes())
        || !matches!(bytes.get(MAGIC.len()), Some(b'\n') | Some(b'\r'))
    {
        return Err(ModelError::NotAModel);
    }
    let end = bytes
        .windows(2)
        .position(|w| w == b"\n\n")
        .ok_or(ModelError::NoHeaderEnd)?;
    let header = std::str::from_utf8(&bytes[..end]).map_err(|_| ModelError::HeaderNotText)?;
    let payload = &bytes[end + 2..];

    let mut fields: Vec<(usize, &str, &str)> = Vec::new();
    for (i, line) in header.lines().enumerate().skip(1) {
        let line_no = i + 1;
        let Some((key, value)) = line.split_once(':') else {
            return Err(ModelError::Header {
                line: line_no,
                message: format!("expected \"key: value\", found {line:?}"),
            });
        };
        let key = key.trim();
        if fields.iter().any(|(_, k, _)| *k == key) {
            return Err(ModelError::Header {
                line: line_no,
                message: format!("\"{key}\" appears twice"),
            });
        }
        fields.push((line_no, key, value.trim()));
    }
    let get = |key: &'static str| -> Result<(usize, &str), ModelError> {
        fields
            .iter()
            .find(|(_, k, _)| *k == key)
            .map(|&(line, _, v)| (line, v))
            .ok_or(ModelError::Missing(key))
    };
    let bad = |line: usize, key: &str, expected: &str, value: &str| ModelError::Header {
        line,
        message: format!("{key}: expected {expected}, found {value:?}"),
    };
    fn number<T: std::str::FromStr>(v: &str) -> Option<T> {
        v.parse().ok()
    }
    let required_number = |key: &'static str, expected: &str| -> Result<u64, ModelError> {
        let (line, v) = get(key)?;
        number::<u64>(v).ok_or_else(|| bad(line, key, expected, v))
    };
    let optional = |key: &'static str| fields.iter().find(|(_, k, _)| *k == key).map(|f| f.2);
    let optional_number = |key: &'static str| optional(key).and_then(number::<f64>);

    let format = required_number("format", "a format version number")?;
    if format > u64::from(FORMAT_VERSION) {
        return Err(ModelError::NewerFormat {
            found: u32::try_from(format).unwrap_or(u32::MAX),
        });
    }
    let normalization = required_number("normalization", "a version number")?;
    if normalization != u64::from(NORMALIZATION_VERSION) {
        return Err(ModelError::Incompatible {
            what: "text normalization",
            found: normalization.to_string(),
            expected: NORMALIZATION_VERSION.to_string(),
        });
    }
    let (_, hash) = get("hash")?;
    if hash != HASH_NAME {
        return Err(ModelError::Incompatible {
            what: "feature hash",
            found: hash.to_owned(),
            expected: HASH_NAME.to_owned(),
        });
    }
    let range = |key: &'static str| -> Result<(u8, u8), ModelError> {
        let (line, v) = get(key)?;
        v.split_once('-')
            .and_then(|(a, b)| Some((number::<u8>(a.trim())?, number::<u8>(b.trim())?)))
            .ok_or_else(|| bad(line, key, "a range like 1-2", v))
    };
    let (buckets_line, _) = get("buckets-log2")?;
    let settings = FeatureSettings {
        word_ngrams: range("word-ngrams")?,
        char_ngrams: range("char-ngrams")?,
        buckets_log2: u8::try_from(required_number("buckets-log2", "a small number")?)
            .unwrap_or(u8::MAX),
        cues: match optional("cues") {
            None | Some("none") => false,
            Some("rules") => true,
            Some(other) => {
                let line = fields
                    .iter()
                    .find(|(_, k, _)| *k == "cues")
                    .map_or(0, |f| f.0);
                return Err(bad(line, "cues", "\"rules\" or \"none\"", other));
            }
        },
    };
    settings.validate().map_err(|message| ModelError::Header {
        line: buckets_line,
        message,
    })?;
    let finite = |key: &'static str, v: Option<f64>, line: usize, raw: &str| {
        v.filter(|x| x.is_finite())
            .ok_or_else(|| bad(line, key, "a finite number", raw))
    };
    let (bias_line, bias_raw) = get("bias")?;
    let bias = finite("bias", number(bias_raw), bias_line, bias_raw)? as f32;
    let threshold = match fields.iter().find(|(_, k, _)| *k == "threshold") {
        Some(&(line, _, raw)) => {
            let t = finite("threshold", number(raw), line, raw)?;
            if !(0.0..=1.0).contains(&t) {
                return Err(bad(line, "threshold", "a number from 0 to 1", raw));
            }
            t as f32
        }
        None => 0.5,
    };
    let veto = match fields.iter().find(|(_, k, _)| *k == "veto") {
        Some(&(line, _, raw)) => {
            let v = finite("veto", number(raw), line, raw)?;
            if !(0.0..=1.0).contains(&v) {
                return Err(bad(line, "veto", "a number from 0 to 1", raw));
            }
            v as f32
        }
        None => 0.0,
    };

    let (weights_line, weights_raw) = get("weights")?;
    let (encoding, count) = weights_raw
        .split_once(' ')
        .and_then(|(e, n)| {
            let encoding = match e {
                "f16le" => Encoding::F16,
                "f32le" => Encoding::F32,
                _ => return None,
            };
            Some((encoding, number::<usize>(n.trim())?))
        })
        .ok_or_else(|| {
            bad(
                weights_line,
                "weights",
                "\"f16le N\" or \"f32le N\"",
                weights_raw,
            )
        })?;
    if count != settings.buckets() {
        return Err(bad(
            weights_line,
            "weights",
            &format!(
                "{} weights (2^{} buckets)",
                settings.buckets(),
                settings.buckets_log2
            ),
            weights_raw,
        ));
    }
    let expected = count * encoding.width();
    if payload.len() != expected {
        return Err(ModelError::WeightsLength {
            expected,
            found: payload.len(),
            buckets: count,
            encoding: encoding.as_str(),
        });
    }
    let (checksum_line, checksum_raw) = get("checksum")?;
    let checksum = checksum_raw
        .strip_prefix("fnv1a64 ")
        .and_then(|hex| u64::from_str_radix(hex.trim(), 16).ok())
        .ok_or_else(|| {
            bad(
                checksum_line,
                "checksum",
                "\"fnv1a64\" and 16 hex digits",
                checksum_raw,
            )
        })?;
    if fnv1a(FNV_OFFSET, payload) != checksum {
        return Err(ModelError::Checksum);
    }
    let mut weights = Vec::with_capacity(count);
    match encoding {
        Encoding::F16 => weights.extend(
            payload
                .chunks_exact(2)
                .map(|c| f16_to_f32(u16::from_le_bytes([c[0], c[1]]))),
        ),
        Encoding::F32 => weights.extend(
            payload
                .chunks_exact(4)
                .map(|c| f32::from_le_bytes([c[0], c[1], c[2], c[3]])),
        ),
    }
    if let Some(index) = weights.iter().position(|w| !w.is_finite()) {
        return Err(ModelError::NotFinite { index });
    }

    const KNOWN: &[&str] = &[
        "format",
        "corpus",
        "positives",
        "negatives",
        "groups",
        "trained",
        "normalization",
        "word-ngrams",
        "char-ngrams",
        "buckets-log2",
        "cues",
        "hash",
        "lambda",
        "cv-folds",
        "cv-auc",
        "threshold",
        "veto",
        "bias",
        "weights",
        "checksum",
    ];
    let count_of = |key: &'static str| optional(key).and_then(number::<usize>).unwrap_or(0);
    let provenance = Provenance {
        corpus: optional("corpus").unwrap_or("").to_owned(),
        positives: count_of("positives"),
        negatives: count_of("negatives"),
        groups: count_of("groups"),
        trained: optional("trained").unwrap_or("").to_owned(),
        lambda: optional_number("lambda").unwrap_or(0.0),
        cv_folds: count_of("cv-folds"),
        cv_auc: optional_number("cv-auc").unwrap_or(f64::NAN),
        notes: fields
            .iter()
            .filter(|(_, k, _)| !KNOWN.contains(k))
            .map(|(_, k, v)| ((*k).to_owned(), (*v).to_owned()))
            .collect(),
    };
    Ok(Parsed {
        provenance,
        settings,
        threshold,
        veto,
        bias,
        weights,
    })
}

/// f32 to IEEE half precision, rounding to nearest even; out-of-range values become ±inf,
/// tiny ones subnormal or zero.
pub(crate) fn f32_to_f16(x: f32) -> u16 {
    let bits = x.to_bits();
    let sign = ((bits >> 16) & 0x8000) as u16;
    let exp = ((bits >> 23) & 0xff) as i32;
    let mant = bits & 0x007f_ffff;
    if exp == 0xff {
        return sign | 0x7c00 | if mant != 0 { 0x0200 } else { 0 };
    }
    let e = exp - 127 + 15;
    if e >= 0x1f {
        return sign | 0x7c00;
    }
    if e <= 0 {
        if e < -10 {
            return sign;
        }
        let m = mant | 0x0080_0000;
        let shift = (14 - e) as u32;
        let half = 1u32 << (shift - 1);
        let rem = m & ((1u32 << shift) - 1);
        let mut h = m >> shift;
        if rem > half || (rem == half && h & 1 == 1) {
            h += 1;
        }
        return sign | h as u16;
    }
    let mut h = ((e as u32) << 10) | (mant >> 13);
    let rem = mant & 0x1fff;
    if rem > 0x1000 || (rem == 0x1000 && h & 1 == 1) {
        h += 1; // a carry into the exponent is the correctly rounded result
    }
    sign | h as u16
}

/// IEEE half precision to f32 (exact).
pub(crate) fn f16_to_f32(h: u16) -> f32 {
    let negative = h & 0x8000 != 0;
    let exp = u32::from((h >> 10) & 0x1f);
    let mant = u32::from(h & 0x03ff);
    let magnitude = match exp {
        0 => mant as f32 * (1.0 / 16_777_216.0), // subnormal: mant × 2^-24
        0x1f => f32::from_bits(0x7f80_0000 | (mant << 13)),
        _ => f32::from_bits(((exp + 112) << 23) | (mant << 13)),
    };
    if negative { -magnitude } else { magnitude }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn half_precision_round_trips_representable_values() {
        for x in [
            0.0f32,
            1.0,
            -1.0,
            0.5,
            65504.0,
            -2.5,
            0.000_061_035_156,
            5.960_464_5e-8,
        ] {
            assert_eq!(f16_to_f32(f32_to_f16(x)), x, "{x}");
        }
        for h in 0..=u16::MAX {
            let x = f16_to_f32(h);
            if x.is_finite() {
                assert_eq!(f32_to_f16(x), h, "{h:#06x}");
            }
        }
    }

    #[test]
    fn half_precision_rounds_to_nearest() {
        let x = 0.123_456_79f32;
        let back = f16_to_f32(f32_to_f16(x));
        assert!((back - x).abs() <= x * 0.0005, "{back}");
        assert_eq!(f16_to_f32(f32_to_f16(1e6)), f32::INFINITY);
        assert_eq!(f16_to_f32(f32_to_f16(1e-9)), 0.0);
    }
}

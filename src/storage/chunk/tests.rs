//! Chunk round trips, worked sizes for every mode, and damaged chunks the reader rejects.

use super::*;
use crate::model::Period;
use proptest::prelude::*;

fn entry(k: &str, n: u32) -> (String, Series) {
    (
        k.to_string(),
        Series {
            points: (0..n).map(|i| (i * 4 + 1, f64::from(i) * 0.5)).collect(),
        },
    )
}

fn series(k: &str, codes: &[u32], values: &[f64]) -> (String, Series) {
    assert_eq!(codes.len(), values.len());
    (
        k.to_string(),
        Series {
            points: codes.iter().copied().zip(values.iter().copied()).collect(),
        },
    )
}

/// Entries as (key, codes, value bits): `Series` compares values with `==`, under which
/// -0.0 equals 0.0 and NaN equals nothing.
fn exact(entries: &[(String, Series)]) -> Vec<(String, Vec<u32>, Vec<u64>)> {
    entries
        .iter()
        .map(|(k, s)| {
            (
                k.clone(),
                s.points.iter().map(|p| p.0).collect(),
                s.points.iter().map(|p| p.1.to_bits()).collect(),
            )
        })
        .collect()
}

/// Every mode in one chunk; each entry's size worked out by hand. An entry's fixed part
/// is `u16` key length + 1 key byte + `u32` n = 7 bytes.
fn every_mode() -> (Vec<(String, Series)>, Vec<usize>) {
    let entries = vec![
        // Codes delta/4: mode + first code + gaps 364/4 = 91 of one byte each = 7
        // (delta would take 9). Values decimal, e = 2: m = 150, 225, -75; min -75,
        // range 300 so w = 2: mode + e + w + min + 3·2 = 17. Total 7 + 7 + 17 = 31.
        series("A", &[100, 464, 828], &[1.5, 2.25, -0.75]),
        // Codes same as A: 1. Values decimal, e = 0, w = 0: 11. Total 7 + 1 + 11 = 19.
        series("B", &[100, 464, 828], &[7.0, 7.0, 7.0]),
        // Codes delta: 1 + 4 + 1 = 6 (raw would be 1 + 8). 0.1 + 0.2 is no short
        // decimal: values raw, 1 + 16 = 17. Total 7 + 6 + 17 = 30.
        series("C", &[1, 2], &[0.1 + 0.2, 1.0]),
        // A gap of 4e9 (1e9 in fours) takes a 5-byte varint: delta 1 + 4 + 5 > raw
        // 1 + 8 = 9. -0.0 would decode as +0.0: values raw, 17. Total 7 + 9 + 17 = 33.
        series("D", &[0, 4_000_000_000], &[-0.0, 3.0]),
        // Empty: both blocks are a mode byte alone. Total 7 + 1 + 1 = 9.
        series("E", &[], &[]),
        // Gaps of 201, no multiple of 4: codes delta, 1 + 4 + 3·2 = 11. Integers,
        // e = 0: min -12, range 2085452808 < 2^32 so w = 4: 11 + 4·4 = 27.
        // Total 7 + 11 + 27 = 45.
        series(
            "F",
            &[10, 211, 412, 613],
            &[2_085_452_796.0, -12.0, 0.0, 100.0],
        ),
        // Codes same as F: 1. 1e300·10^e is beyond 2^53: values raw, 1 + 32 = 33.
        // Total 7 + 1 + 33 = 41.
        series("G", &[10, 211, 412, 613], &[1e300, 1.0, 2.0, 3.0]),
    ];
    (entries, vec![31, 19, 30, 33, 9, 45, 41])
}

#[test]
fn round_trips() {
    let entries = vec![entry("A.US", 3), entry("B.US", 0), entry("C\u{e9}.HK", 2)];
    let bytes = encode(&entries);
    assert_eq!(decode(&bytes).unwrap(), entries);
    // A.US: 2 + 4 + 4, codes 1, 5, 9 delta (1 + 4 + 1 + 1; delta/4 is no smaller), values 0, 0.5, 1 decimal
    // with e = 1, w = 1 (11 + 3). B.US: 2 + 4 + 4 and two mode bytes. Cé.HK: 2 + 6 + 4,
    // codes delta (1 + 4 + 1), values decimal (11 + 2).
    assert_eq!(bytes.len(), 4 + (10 + 7 + 14) + (10 + 2) + (12 + 6 + 13));
}

#[test]
fn every_mode_round_trips_at_its_hand_computed_size() {
    let (entries, sizes) = every_mode();
    let bytes = encode(&entries);
    assert_eq!(exact(&decode(&bytes).unwrap()), exact(&entries));
    for k in 0..entries.len() {
        let grown = encode(&entries[..=k]).len() - encode(&entries[..k]).len();
        assert_eq!(grown, sizes[k], "entry {}", entries[k].0);
    }
    assert_eq!(bytes.len(), 4 + sizes.iter().sum::<usize>());
    assert_eq!(bytes.len(), 212);
    // A's blocks: codes mode at 4 + 7, values mode 7 bytes later, then e and w.
    assert_eq!(&bytes[11..16], &[CODES_DELTA4, 100, 0, 0, 0]);
    assert_eq!(&bytes[16..21], &[91, 91, VALUES_DECIMAL, 2, 2]);
    // B reuses A's codes: its codes mode byte comes right before its values block.
    assert_eq!(&bytes[35 + 7..35 + 10], &[CODES_SAME, VALUES_DECIMAL, 0]);
    // F's gaps of 201 as 2-byte varints.
    let f = 4 + 31 + 19 + 30 + 33 + 9 + 7;
    assert_eq!(
        &bytes[f..f + 11],
        &[CODES_DELTA, 10, 0, 0, 0, 0xc9, 1, 0xc9, 1, 0xc9, 1]
    );
}

#[test]
fn same_codes_decode_as_the_previous_entry_codes() {
    let q = [100, 464, 828, 1196];
    let entries = vec![
        series("A", &q, &[0.1, 0.2, 0.3, 0.4]),
        series("B", &q, &[1.0, 2.0, 3.0, 4.0]),
        series("C", &q, &[-1.0, -2.0, -3.0, -4.0]),
    ];
    let bytes = encode(&entries);
    // A: 7 + codes delta/4 (1 + 4 + 3·1) + (11 + 4·1); B and C: 7 + 1 + (11 + 4·1).
    assert_eq!(bytes.len(), 4 + 30 + 23 + 23);
    let mut r = Reader::new(&bytes).unwrap();
    let mut n = 0;
    while let Some(e) = r.next_entry().unwrap() {
        assert_eq!(e.len(), 4);
        assert_eq!(e.codes().collect::<Vec<_>>(), q);
        n += 1;
    }
    assert_eq!(n, 3);
}

#[test]
fn values_that_are_no_short_decimal_stay_raw_and_exact() {
    let odd = [
        -0.0,
        1e300,
        -1e300,
        0.1 + 0.2,
        f64::MIN_POSITIVE,
        5e-324,
        f64::MAX,
        f64::NAN,
        f64::INFINITY,
        f64::NEG_INFINITY,
        1.0 / 3.0,
        9_007_199_254_740_993.0,
    ];
    for v in odd {
        let entries = vec![series("A", &[1, 2, 3], &[v, 0.5, 0.25])];
        let bytes = encode(&entries);
        assert_eq!(exact(&decode(&bytes).unwrap()), exact(&entries), "{v}");
        // 4 + 7 + codes (1 + 4 + 2) + raw values (1 + 24)
        assert_eq!(bytes.len(), 43, "{v}");
    }
    // Integers take e = 0; decimals the smallest e that holds them all.
    for (values, e, w) in [
        (vec![3.0, -7.0, 70_000.0], 0, 3),
        (vec![0.5, 0.25, 0.125], 3, 2),
        (vec![0.29, 0.290414, -0.046019], 6, 3),
        (vec![1e-18, 5e-17, 0.0], 18, 1),
    ] {
        let entries = vec![series("A", &[1, 2, 3], &values)];
        let bytes = encode(&entries);
        assert_eq!(exact(&decode(&bytes).unwrap()), exact(&entries));
        assert_eq!(&bytes[18..21], &[VALUES_DECIMAL, e, w], "{values:?}");
    }
}

#[test]
fn builder_matches_encode_and_starts_over_after_finish() {
    let (entries, _) = every_mode();
    let mut b = Builder::default();
    assert!(b.is_empty());
    assert_eq!((b.first_key(), b.last_key()), (None, None));
    assert_eq!(b.finish(), encode(&[]));
    assert_eq!(decode(&encode(&[])).unwrap(), vec![]);
    for round in 0..2 {
        for (k, s) in &entries {
            let codes: Vec<u32> = s.points.iter().map(|p| p.0).collect();
            let values: Vec<f64> = s.points.iter().map(|p| p.1).collect();
            b.push(k, &codes, &values);
        }
        assert_eq!(b.entries(), 7);
        assert_eq!(b.points(), 3 + 3 + 2 + 2 + 4 + 4);
        assert_eq!((b.first_key(), b.last_key()), (Some("A"), Some("G")));
        assert_eq!(b.finish(), encode(&entries), "round {round}");
        assert!(b.is_empty());
        assert_eq!(b.points(), 0);
    }
    // A new chunk never refers to the previous chunk's codes.
    b.push("A", &[1, 2], &[1.0, 2.0]);
    let _ = b.finish();
    b.push("B", &[1, 2], &[1.0, 2.0]);
    let bytes = b.finish();
    assert_eq!(bytes[4 + 7], CODES_DELTA);
    assert_eq!(
        decode(&bytes).unwrap(),
        vec![series("B", &[1, 2], &[1.0, 2.0])]
    );
}

/// A company's 40 quarters, 2016Q1 to 2025Q4, and a cheap deterministic random stream.
fn quarters() -> Vec<u32> {
    (2016..2026)
        .flat_map(|y| (1..=4).map(move |q| Period::parse(&format!("{y}Q{q}")).unwrap()))
        .map(Period::code)
        .collect()
}

fn next_random(state: &mut u64) -> u64 {
    *state ^= *state << 13;
    *state ^= *state >> 7;
    *state ^= *state << 17;
    *state
}

#[test]
fn realistic_chunks_take_under_five_bytes_a_point() {
    let q = quarters();
    let mut state = 0x9e37_79b9_7f4a_7c15;
    let mut b = Builder::new();
    let mut sizes = Vec::new();
    for i in 0..200 {
        // One company in ten has a shorter history.
        let codes = if i % 10 == 3 { &q[12..] } else { &q[..] };
        // Fractions with six decimals, as files hold them: roe 0.290414, -0.046019.
        let values: Vec<f64> = codes
            .iter()
            .map(|_| (next_random(&mut state) % 2_000_001) as f64 / 1e6 - 1.0)
            .map(|v| (v * 1e6).round() / 1e6)
            .collect();
        let before = b.bytes_so_far();
        b.push(&format!("S{i:04}"), codes, &values);
        sizes.push(b.bytes_so_far() - before);
    }
    let points = b.points();
    let bytes = b.finish();
    let per_point = bytes.len() as f64 / points as f64;
    assert!(per_point < 5.0, "{per_point} bytes a point");
    // A company with the previous one's quarters: key length, 5-byte key and n (11),
    // codes same (1), values decimal with w = 3 (11 + 40·3): 143 bytes, 3.6 a point.
    assert_eq!((sizes[1], sizes[2]), (143, 143));
    // The first also holds its quarters (1 + 4 + 39 gaps of 1 byte in fours) and the
    // chunk's entry count: 4 + 11 + 44 + 131.
    assert_eq!(sizes[0], 190);
    let decoded = decode(&bytes).unwrap();
    assert_eq!(decoded.iter().map(|e| e.1.len()).sum::<usize>(), points);
}

#[test]
fn damaged_chunks_are_errors_not_panics() {
    let bytes = encode(&[entry("A", 3)]);
    for cut in 0..bytes.len() {
        assert!(decode(&bytes[..cut]).is_err(), "cut at {cut}");
    }
    let mut longer = bytes.clone();
    longer.push(0);
    assert!(decode(&longer).is_err());
    assert!(decode(&[255, 255, 255, 255]).is_err());

    let (entries, _) = every_mode();
    let bytes = encode(&entries);
    for cut in 0..bytes.len() {
        assert!(decode(&bytes[..cut]).is_err(), "cut at {cut}");
    }
}

/// A one-entry chunk (key "A", n points) with the given blocks.
fn raw_chunk(n: u32, blocks: &[&[u8]]) -> Vec<u8> {
    let mut b = vec![1, 0, 0, 0, 1, 0, b'A'];
    b.extend_from_slice(&n.to_le_bytes());
    for block in blocks {
        b.extend_from_slice(block);
    }
    b
}

#[test]
fn malformed_blocks_are_rejected() {
    let ok_values: &[u8] = &[
        VALUES_DECIMAL,
        1,
        1,
        0xfb,
        0xff,
        0xff,
        0xff,
        0xff,
        0xff,
        0xff,
        0xff,
        0,
        10,
    ];
    // e = 1, w = 1, min = -5: -0.5 and 0.5.
    let fine = raw_chunk(2, &[&[CODES_DELTA, 7, 0, 0, 0, 4], ok_values]);
    assert_eq!(
        decode(&fine).unwrap(),
        vec![series("A", &[7, 11], &[-0.5, 0.5])]
    );
    let fours = raw_chunk(2, &[&[CODES_DELTA4, 7, 0, 0, 0, 91], ok_values]);
    assert_eq!(
        decode(&fours).unwrap(),
        vec![series("A", &[7, 371], &[-0.5, 0.5])]
    );
    let cases: Vec<(&str, Vec<u8>)> = vec![
        ("unknown codes mode", raw_chunk(2, &[&[4], ok_values])),
        (
            "unknown values mode",
            raw_chunk(2, &[&[CODES_DELTA, 7, 0, 0, 0, 4], &[2]]),
        ),
        (
            "same codes first",
            raw_chunk(2, &[&[CODES_SAME], ok_values]),
        ),
        (
            "truncated varint",
            raw_chunk(2, &[&[CODES_DELTA, 7, 0, 0, 0, 0x84]]),
        ),
        (
            "varint too long",
            raw_chunk(
                2,
                &[
                    &[CODES_DELTA, 7, 0, 0, 0, 0x80, 0x80, 0x80, 0x80, 0x80, 1],
                    ok_values,
                ],
            ),
        ),
        (
            "gap beyond u32",
            raw_chunk(
                2,
                &[
                    &[CODES_DELTA, 7, 0, 0, 0, 0xff, 0xff, 0xff, 0xff, 0x1f],
                    ok_values,
                ],
            ),
        ),
        (
            "zero gap",
            raw_chunk(2, &[&[CODES_DELTA, 7, 0, 0, 0, 0], ok_values]),
        ),
        (
            "code past u32::MAX",
            raw_chunk(2, &[&[CODES_DELTA, 0xff, 0xff, 0xff, 0xff, 1], ok_values]),
        ),
        (
            "code past u32::MAX in fours",
            raw_chunk(2, &[&[CODES_DELTA4, 0xf0, 0xff, 0xff, 0xff, 4], ok_values]),
        ),
        (
            "zero gap in fours",
            raw_chunk(2, &[&[CODES_DELTA4, 7, 0, 0, 0, 0], ok_values]),
        ),
        (
            "delta/4 without points",
            raw_chunk(0, &[&[CODES_DELTA4, 7, 0, 0, 0], &[VALUES_RAW]]),
        ),
        (
            "delta without points",
            raw_chunk(0, &[&[CODES_DELTA, 7, 0, 0, 0], &[VALUES_RAW]]),
        ),
        (
            "exponent 19",
            raw_chunk(
                2,
                &[
                    &[CODES_RAW, 1, 0, 0, 0, 2, 0, 0, 0],
                    &[VALUES_DECIMAL, 19, 0, 0, 0, 0, 0, 0, 0, 0, 0],
                ],
            ),
        ),
        (
            "width 9",
            raw_chunk(
                0,
                &[
                    &[CODES_RAW],
                    &[VALUES_DECIMAL, 0, 9, 0, 0, 0, 0, 0, 0, 0, 0],
                ],
            ),
        ),
        (
            "trailing bytes",
            raw_chunk(2, &[&[CODES_DELTA, 7, 0, 0, 0, 4], ok_values, &[0]]),
        ),
    ];
    for (what, bytes) in &cases {
        assert!(decode(bytes).is_err(), "{what}");
    }
    // The same codes as an entry of another length.
    let mut two = encode(&[
        series("A", &[1, 2], &[1.0, 2.0]),
        series("B", &[1, 2], &[1.0, 2.0]),
    ]);
    assert!(decode(&two).is_ok());
    // A: 7 + codes delta (1 + 4 + 1) + values decimal, e = 0, w = 1 (11 + 2); B's n
    // follows its 3-byte key length and key.
    let b_n = 4 + (7 + 6 + 13) + 3;
    assert_eq!(&two[b_n..b_n + 5], &[2, 0, 0, 0, CODES_SAME]);
    two[b_n] = 1;
    assert!(decode(&two).is_err());
}

#[test]
fn splits_near_the_target_without_splitting_a_series() {
    // 100 series of TARGET_POINTS / 40 points: 40 fit in a chunk, so 40 + 40 + 20.
    let n = (TARGET_POINTS / 40) as u32;
    let entries: Vec<_> = (0..100).map(|i| entry(&format!("S{i:03}"), n)).collect();
    let chunks = split(entries);
    assert_eq!(
        chunks.iter().map(Vec::len).collect::<Vec<_>>(),
        [40, 40, 20]
    );
    assert!(
        chunks
            .iter()
            .all(|c| c.iter().map(|e| e.1.len()).sum::<usize>() <= TARGET_POINTS)
    );
    assert_eq!(chunks.iter().map(Vec::len).sum::<usize>(), 100);
}

/// Decodes whatever it can; it must never panic.
fn read_all(bytes: &[u8]) {
    if let Ok(mut r) = Reader::new(bytes) {
        while let Ok(Some(e)) = r.next_entry() {
            assert_eq!(e.codes().count(), e.len());
            assert_eq!(e.values().count(), e.len());
        }
    }
    let _ = decode(bytes);
}

fn values() -> impl Strategy<Value = Vec<f64>> {
    let any_finite = any::<u64>()
        .prop_map(f64::from_bits)
        .prop_filter("finite", |v| v.is_finite());
    prop_oneof![
        // Decimals with one exponent, as a metric's values mostly are.
        (
            0..=MAX_EXPONENT,
            prop::collection::vec(-(1i64 << 53) + 1..1i64 << 53, 50)
        )
            .prop_map(|(e, ms)| ms.iter().map(|&m| m as f64 / POW10[e]).collect()),
        prop::collection::vec(-2_000_000i64..2_000_000, 50)
            .prop_map(|ms| ms.iter().map(|&m| m as f64 / 1e6).collect()),
        prop::collection::vec(
            prop_oneof![
                any_finite,
                (-1_000_000i64..1_000_000, 0..=MAX_EXPONENT).prop_map(|(m, e)| m as f64 / POW10[e]),
            ],
            50
        ),
    ]
}

fn codes() -> impl Strategy<Value = Vec<u32>> {
    let gap = prop_oneof![4 => 1u32..1500, 1 => 1u32..=u32::MAX];
    let gaps = prop_oneof![
        prop::collection::vec(gap, 0..49),
        // One period kind: every gap a multiple of 4.
        prop::collection::vec(prop_oneof![1u32..400, 1u32..=u32::MAX / 4], 0..49)
            .prop_map(|g| g.into_iter().map(|g| g * 4).collect()),
    ];
    (any::<u32>(), gaps).prop_map(|(first, gaps)| {
        let mut codes = vec![first];
        for g in gaps {
            match codes.last().unwrap().checked_add(g) {
                Some(c) => codes.push(c),
                None => break,
            }
        }
        codes
    })
}

proptest! {
    #[test]
    fn random_bytes_never_panic(
        body in prop::collection::vec(any::<u8>(), 0..300),
        count in 0u32..4,
    ) {
        read_all(&body);
        let mut bytes = count.to_le_bytes().to_vec();
        bytes.extend_from_slice(&body);
        read_all(&bytes);
    }

    #[test]
    fn damaged_chunks_never_panic(
        changes in prop::collection::vec((any::<prop::sample::Index>(), any::<u8>()), 1..4),
        cut in any::<prop::sample::Index>(),
    ) {
        let (entries, _) = every_mode();
        let mut bytes = encode(&entries);
        for (at, b) in changes {
            let i = at.index(bytes.len());
            bytes[i] = b;
        }
        read_all(&bytes);
        let end = cut.index(bytes.len());
        read_all(&bytes[..end]);
    }

    #[test]
    fn finite_values_and_increasing_codes_round_trip_bit_exactly(
        specs in prop::collection::vec((any::<bool>(), codes(), values()), 0..8),
    ) {
        let mut entries: Vec<(String, Series)> = Vec::new();
        for (i, (same, codes, values)) in specs.into_iter().enumerate() {
            // Often the previous entry's codes, to exercise the `same` mode.
            let codes = match entries.last() {
                Some(prev) if same => prev.1.points.iter().map(|p| p.0).collect(),
                _ => codes,
            };
            let n = codes.len().min(values.len());
            entries.push(series(&format!("K{i}"), &codes[..n], &values[..n]));
        }
        let bytes = encode(&entries);
        prop_assert_eq!(exact(&decode(&bytes).unwrap()), exact(&entries));
        let mut b = Builder::new();
        for (k, s) in &entries {
            let codes: Vec<u32> = s.points.iter().map(|p| p.0).collect();
            let values: Vec<f64> = s.points.iter().map(|p| p.1).collect();
            b.push(k, &codes, &values);
        }
        prop_assert_eq!(b.finish(), bytes);
    }
}

#[test]
fn last_reads_the_last_point_as_the_iterators_do() {
    let entries = vec![
        series("A", &[1, 5, 9], &[0.1, 0.290414, -12.684918]),
        series("B", &[1, 5, 9], &[2085452796.0, 1.0, 7.0]),
        series("C", &[2, 3], &[0.1 + 0.2, -0.0]),
        series("D", &[], &[]),
        series("E", &[100, 1_000_000], &[1e300, 5.0]),
    ];
    let bytes = encode(&entries);
    let mut r = Reader::new(&bytes).unwrap();
    while let Some(e) = r.next_entry().unwrap() {
        let all: Vec<(u32, u64)> = e.codes().zip(e.values().map(f64::to_bits)).collect();
        assert_eq!(
            e.last().map(|(c, v)| (c, v.to_bits())),
            all.last().copied(),
            "{}",
            e.key
        );
    }
}

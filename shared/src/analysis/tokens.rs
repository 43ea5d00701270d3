//! The bytes of PDF syntax: whitespace, delimiters and regular characters,
//! hex digits, and number tokens read leniently (the lexer and the loader's
//! object parser share them).

const SPACE: u8 = 1;
const DELIMITER: u8 = 2;

/// Each byte's class: whitespace, delimiter or regular (0).
static CLASS: [u8; 256] = {
    let mut class = [0u8; 256];
    let spaces = b" \n\r\t\x0c\0";
    let mut i = 0;
    while i < spaces.len() {
        class[spaces[i] as usize] = SPACE;
        i += 1;
    }
    let delimiters = b"()<>[]{}/%";
    let mut i = 0;
    while i < delimiters.len() {
        class[delimiters[i] as usize] = DELIMITER;
        i += 1;
    }
    class
};

pub(crate) fn is_space(b: u8) -> bool {
    CLASS[b as usize] == SPACE
}

pub(crate) fn is_delimiter(b: u8) -> bool {
    CLASS[b as usize] == DELIMITER
}

pub(crate) fn is_regular(b: u8) -> bool {
    CLASS[b as usize] == 0
}

pub(crate) fn hex_value(b: u8) -> Option<u8> {
    match b {
        b'0'..=b'9' => Some(b - b'0'),
        b'a'..=b'f' => Some(b - b'a' + 10),
        b'A'..=b'F' => Some(b - b'A' + 10),
        _ => None,
    }
}

/// Powers of ten for [`parse_number`]'s fractional digits.
const POWERS_OF_TEN: [f64; 19] = [
    1e0, 1e1, 1e2, 1e3, 1e4, 1e5, 1e6, 1e7, 1e8, 1e9, 1e10, 1e11, 1e12, 1e13, 1e14, 1e15, 1e16,
    1e17, 1e18,
];

/// A number token (`12`, `-3.5`, `.5`, `4.`, `+7`), leniently: what follows
/// a valid prefix (`1.2.3`, `0.00-1`) is ignored, as PDF readers do.
///
/// The digits are gathered as one integer and divided by a power of ten once
/// (up to 18 significant digits are kept; more is beyond any coordinate).
pub(crate) fn parse_number(token: &[u8]) -> Option<f64> {
    let mut i = 0;
    let negative = match token.first() {
        Some(b'-') => {
            i = 1;
            true
        }
        Some(b'+') => {
            i = 1;
            false
        }
        _ => false,
    };
    // Some producers write `--5`; take it as `-5`.
    while token.get(i) == Some(&b'-') {
        i += 1;
    }
    let mut mantissa = 0u64;
    let mut kept = 0usize;
    // Integer digits beyond the kept ones: each a factor of ten.
    let mut dropped = 0i32;
    let mut digits = 0;
    while let Some(d) = token.get(i).filter(|b| b.is_ascii_digit()) {
        if kept < 18 {
            mantissa = mantissa * 10 + u64::from(d - b'0');
            if mantissa > 0 {
                kept += 1;
            }
        } else {
            dropped += 1;
        }
        digits += 1;
        i += 1;
    }
    let mut fraction = 0usize;
    if token.get(i) == Some(&b'.') {
        i += 1;
        while let Some(d) = token.get(i).filter(|b| b.is_ascii_digit()) {
            if kept < 18 && fraction < 18 {
                mantissa = mantissa * 10 + u64::from(d - b'0');
                fraction += 1;
                if mantissa > 0 {
                    kept += 1;
                }
            }
            digits += 1;
            i += 1;
        }
    }
    if digits == 0 {
        return None;
    }
    let value = mantissa as f64 / POWERS_OF_TEN[fraction] * 10f64.powi(dropped);
    Some(if negative { -value } else { value })
}

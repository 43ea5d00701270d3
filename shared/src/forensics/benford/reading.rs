//! The digit tests in words: the reading each test carries, and the small
//! formatters the SPA and the CLI share (class names, p-values, counts).

use super::{Conformity, DigitTest, Kind, LEVEL, MIN_COUNT, Z_CRITICAL, chance};

/// A test's figures in words, leading with what the evidence supports: the
/// headline class and what decided it (the MAD beside what chance alone
/// gives for this many numbers, and its p-value), the χ² test's word, the
/// flagged bins, and Nigrini's class of the raw MAD where it differs.
pub fn plain_reading(kind: Kind, test: &DigitTest) -> String {
    let n = test.n;
    if n == 0 {
        return "No numbers to test.".into();
    }
    if n < MIN_COUNT {
        return format!(
            "Only {n} numbers: too few to judge. With so few, digit shares far from \
             Benford's happen by chance alone, so no class is given (at least {MIN_COUNT} \
             are needed)."
        );
    }
    let chance_words = format!(
        "MAD {:.5}, where {} numbers that follow Benford's law give {:.5} on average \
         ({})",
        test.mad,
        thousands(n),
        test.expected_mad,
        p_words(test.mad_p_value)
    );
    let mut out = match (kind.mad_thresholds(), test.conformity) {
        (None, class) => format!(
            "{chance_words}. No MAD bounds are published for this test; it is judged by \
             whether the MAD is beyond chance at {:.0} %: {}",
            LEVEL * 100.0,
            if class == Conformity::Nonconformity {
                "the last digits are not evenly spread, which rounding, made-up or \
                 repeated numbers cause."
            } else {
                "the last digits are spread as evenly as chance allows."
            }
        ),
        (Some([.., marginal]), Conformity::Nonconformity) => format!(
            "{} {chance_words}: the excess {:.5} is beyond the nonconformity bound \
             {marginal}, and so large a MAD is unlikely by chance.",
            Conformity::Nonconformity.explain(),
            test.excess_mad
        ),
        (Some(_), Conformity::InsufficientData) => format!(
            "Too few numbers for this test: it needs about {}, here {}. With fewer, \
             numbers that follow Benford's law usually exceed Nigrini's bounds by chance \
             alone, so no class is given. {chance_words}{}.",
            thousands(test.needed.map_or(0, chance::about)),
            thousands(n),
            if test.mad_p_value < LEVEL {
                ": more than chance usually gives, but not beyond the nonconformity bound"
            } else {
                ": within what chance gives"
            }
        ),
        (Some([close, acceptable, marginal]), class) => format!(
            "{} {chance_words}; the excess {:.5} is judged by Nigrini's bounds (close up \
             to {close}, acceptable up to {acceptable}, marginal up to {marginal}){}.",
            class.explain(),
            test.excess_mad,
            if test.mad_p_value < LEVEL {
                "; the deviation is beyond chance, but small"
            } else {
                ""
            }
        ),
    };
    out.push_str(&if test.p_value < LEVEL {
        format!(
            " The χ² test finds the deviation significant ({}).",
            p_words(test.p_value)
        )
    } else {
        format!(
            " The χ² test finds no significant deviation ({}).",
            p_words(test.p_value)
        )
    });
    if !test.flagged.is_empty() {
        let bins: Vec<String> = test
            .flagged
            .iter()
            .map(|f| format!("{} ({})", f.digits, if f.excess { "more" } else { "fewer" }))
            .collect();
        out.push_str(&format!(
            " Bins beyond Z {Z_CRITICAL}: {}{}.",
            bins.join(", "),
            if test.flagged.len() * 20 <= test.counts.len() {
                " (about 1 bin in 20 is beyond it by chance alone)"
            } else {
                ""
            }
        ));
    }
    if let Some(nigrini) = test.nigrini_class
        && nigrini != test.conformity
    {
        out.push_str(&format!(
            " Nigrini's class of the raw MAD, made for large data sets: {}.",
            class_name(nigrini)
        ));
    }
    if n > 5_000 && test.p_value < LEVEL && test.conformity != Conformity::Nonconformity {
        out.push_str(
            " With this many numbers the χ² test flags even small deviations; the MAD class \
             is the better guide.",
        );
    }
    out
}

/// The numbers a test needs, as a clause: `, the test needs about 1,400`
/// (empty for a test without bounds).
pub fn needs_words(test: &DigitTest) -> String {
    test.needed
        .map(|m| format!(", the test needs about {}", thousands(chance::about(m))))
        .unwrap_or_default()
}

/// The MAD beside what chance alone gives and its p-value:
/// `MAD 0.00420, chance alone gives 0.00310, p = 0.350`.
pub fn chance_words(test: &DigitTest) -> String {
    format!(
        "MAD {:.5}, chance alone gives {:.5}, {}",
        test.mad,
        test.expected_mad,
        p_words(test.mad_p_value)
    )
}

/// A class in lower-case words.
pub fn class_name(class: Conformity) -> &'static str {
    match class {
        Conformity::Close => "close conformity",
        Conformity::Acceptable => "acceptable conformity",
        Conformity::Marginal => "marginal conformity",
        Conformity::Nonconformity => "nonconformity",
        Conformity::InsufficientData => "insufficient data",
    }
}

/// A p-value as people read it: `p = 0.042`, or `p < 0.001`.
pub fn p_words(p: f64) -> String {
    if p < 0.001 {
        "p < 0.001".into()
    } else {
        format!("p = {p:.3}")
    }
}

/// A count with thousands separators: `1,400`.
pub fn thousands(n: u64) -> String {
    let digits = n.to_string();
    let mut out = String::with_capacity(digits.len() + digits.len() / 3);
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(c);
    }
    out
}

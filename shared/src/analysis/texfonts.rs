//! The built-in encodings of TeX's math fonts, for fonts embedded without
//! `/Encoding` or ToUnicode (what pdfTeX writes for Computer Modern math).
//!
//! Such a font's codes mean what its embedded font program says, which text
//! extraction does not read (the loader does not even load font programs).
//! For the fonts below the layout is fixed by TeX (the OML, OMS and AMS
//! encodings), so it is written out here by font name: CMMI's Greek letters
//! and CMSY's relations and arrows come out as text instead of U+FFFD. Each
//! glyph maps to the character it stands for (a calligraphic `A` to `A`); a
//! glyph with no character of its own maps to U+FFFD, like any undecoded one.

/// What an undecodable glyph reads as (see [`crate::reading::numbers`]: it glues like
/// a letter).
const UNKNOWN: &str = "\u{fffd}";

/// TeX math italic, OML (`cmmi5`–`cmmi12`): Greek, italic letters,
/// old-style digits (read as digits), a little punctuation.
const OML: [&str; 128] = [
    // 0x00: upright Greek capitals.
    "Γ", "Δ", "Θ", "Λ", "Ξ", "Π", "Σ", "Υ", "Φ", "Ψ", "Ω", //
    // 0x0b: Greek lowercase.
    "α", "β", "γ", "δ", "ϵ", "ζ", "η", "θ", "ι", "κ", "λ", "μ", "ν", "ξ", "π", "ρ", "σ", "τ", "υ",
    "ϕ", "χ", "ψ", "ω", "ε", "ϑ", "ϖ", "ϱ", "ς", "φ", //
    // 0x28: harpoons, hooks, triangles.
    "↼", "↽", "⇀", "⇁", UNKNOWN, UNKNOWN, "▹", "◃", //
    // 0x30: old-style digits.
    "0", "1", "2", "3", "4", "5", "6", "7", "8", "9", //
    // 0x3a
    ".", ",", "<", "/", ">", "⋆", "∂", //
    // 0x41: italic capitals.
    "A", "B", "C", "D", "E", "F", "G", "H", "I", "J", "K", "L", "M", "N", "O", "P", "Q", "R", "S",
    "T", "U", "V", "W", "X", "Y", "Z", //
    // 0x5b
    "♭", "♮", "♯", "⌣", "⌢", "ℓ", //
    // 0x61: italic lowercase.
    "a", "b", "c", "d", "e", "f", "g", "h", "i", "j", "k", "l", "m", "n", "o", "p", "q", "r", "s",
    "t", "u", "v", "w", "x", "y", "z", //
    // 0x7b: dotless i and j, weierstrass p; the vector accent and the tie
    // are marks over other glyphs.
    "ı", "ȷ", "℘", UNKNOWN, UNKNOWN,
];

/// TeX math symbols, OMS (`cmsy5`–`cmsy10`): operators, relations, arrows,
/// calligraphic capitals, delimiters.
const OMS: [&str; 128] = [
    // 0x00
    "−", "·", "×", "∗", "÷", "⋄", "±", "∓", "⊕", "⊖", "⊗", "⊘", "⊙", "◯", "∘", "∙", //
    // 0x10
    "≍", "≡", "⊆", "⊇", "≤", "≥", "⪯", "⪰", "∼", "≈", "⊂", "⊃", "≪", "≫", "≺", "≻", //
    // 0x20
    "←", "→", "↑", "↓", "↔", "↗", "↘", "≃", "⇐", "⇒", "⇑", "⇓", "⇔", "↖", "↙", "∝", //
    // 0x30: prime; the negation slash is drawn over the next relation (it
    // reads as `/`, so `/=`); the maps-to bar before an arrow (`|→`).
    "′", "∞", "∈", "∋", "△", "▽", "/", "|", "∀", "∃", "¬", "∅", "ℜ", "ℑ", "⊤", "⊥", //
    // 0x40: aleph, calligraphic capitals.
    "ℵ", "A", "B", "C", "D", "E", "F", "G", "H", "I", "J", "K", "L", "M", "N", "O", //
    "P", "Q", "R", "S", "T", "U", "V", "W", "X", "Y", "Z", "∪", "∩", "⊎", "∧", "∨", //
    // 0x60
    "⊢", "⊣", "⌊", "⌋", "⌈", "⌉", "{", "}", "⟨", "⟩", "|", "‖", "↕", "⇕", "\\", "≀", //
    // 0x70
    "√", "⨿", "∇", "∫", "⊔", "⊓", "⊑", "⊒", "§", "†", "‡", "¶", "♣", "♢", "♡", "♠",
];

/// The AMS blackboard-bold capitals of `msbm` (its other glyphs are
/// relations without a fixed text form here).
const MSBM_CAPITALS: [&str; 26] = [
    "𝔸", "𝔹", "ℂ", "𝔻", "𝔼", "𝔽", "𝔾", "ℍ", "𝕀", "𝕁", "𝕂", "𝕃", "𝕄", "ℕ", "𝕆", "ℙ", "ℚ", "ℝ", "𝕊",
    "𝕋", "𝕌", "𝕍", "𝕎", "𝕏", "𝕐", "ℤ",
];

/// A base font name without its subset prefix (`ABCDEF+CMSY10` → `CMSY10`).
pub fn without_subset_prefix(base: &[u8]) -> &[u8] {
    base.splitn(2, |&b| b == b'+').last().unwrap_or(base)
}

/// Which built-in table a font uses, from its base font name (a subset
/// prefix `ABCDEF+` is ignored).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TexFont {
    MathItalic,
    Symbols,
    Blackboard,
}

impl TexFont {
    pub fn from_base_font(base: &[u8]) -> Option<TexFont> {
        let base = without_subset_prefix(base);
        let name = base
            .iter()
            .position(u8::is_ascii_digit)
            .map_or(base, |digits| &base[..digits]);
        match name {
            b"CMMI" | b"CMMIB" => Some(TexFont::MathItalic),
            b"CMSY" | b"CMBSY" => Some(TexFont::Symbols),
            b"MSBM" => Some(TexFont::Blackboard),
            _ => None,
        }
    }

    /// The text of each one-byte code.
    pub fn table(self) -> Vec<String> {
        (0u32..=255)
            .map(|code| self.text(code).to_owned())
            .collect()
    }

    fn text(self, code: u32) -> &'static str {
        // Some TeX fonts repeat the control-code glyphs higher up, where
        // old drivers could address them: 0xa1–0xaa for 0–9, 0xad–0xc3 for
        // 10–32 (0xa0 and 0xc4 are left alone).
        let code = match code {
            0xa1..=0xaa => code - 0xa1,
            0xad..=0xc3 => code - 0xad + 10,
            other => other,
        };
        match self {
            TexFont::MathItalic => OML.get(code as usize).copied().unwrap_or(UNKNOWN),
            TexFont::Symbols => OMS.get(code as usize).copied().unwrap_or(UNKNOWN),
            TexFont::Blackboard => match code {
                0x41..=0x5a => MSBM_CAPITALS[(code - 0x41) as usize],
                _ => UNKNOWN,
            },
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fonts_are_known_by_their_base_name() {
        assert_eq!(
            TexFont::from_base_font(b"ABCDEF+CMSY10"),
            Some(TexFont::Symbols)
        );
        assert_eq!(TexFont::from_base_font(b"CMMI7"), Some(TexFont::MathItalic));
        assert_eq!(
            TexFont::from_base_font(b"MSBM10"),
            Some(TexFont::Blackboard)
        );
        assert_eq!(TexFont::from_base_font(b"CMR10"), None);
        assert_eq!(TexFont::from_base_font(b"CMSYX"), None);
        assert_eq!(TexFont::from_base_font(b"Helvetica"), None);
    }

    #[test]
    fn the_tables_read_as_tex_lays_them_out() {
        let oms = TexFont::Symbols.table();
        assert_eq!(oms.len(), 256);
        assert_eq!(oms[0x32], "∈");
        assert_eq!(oms[0x15], "≥");
        assert_eq!(oms[0x30], "′");
        assert_eq!(oms[0x21], "→");
        assert_eq!(oms[0x00], "−");
        assert_eq!(oms[0xa1], "−", "the high copy of code 0");
        assert_eq!(oms[0xc3], "←", "the high copy of code 32");
        let oml = TexFont::MathItalic.table();
        assert_eq!(oml[0x0b], "α");
        assert_eq!(oml[0x1e], "ϕ");
        assert_eq!(oml[0x27], "φ");
        assert_eq!(oml[0x35], "5", "old-style digits are digits");
        assert_eq!(oml[0x3a], ".");
        assert_eq!(oml[0x78], "x");
        assert_eq!(TexFont::Blackboard.table()[usize::from(b'R')], "ℝ");
        assert_eq!(TexFont::Blackboard.table()[0x20], UNKNOWN);
    }
}

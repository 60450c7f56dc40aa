//! Codes people read and type (practice join codes, write confirmations): Crockford's base32, no
//! I, L, O or U, so nothing is misread, and typed back in any case with dashes and spaces ignored
//! and O read as 0, I or L as 1.

/// The 32 symbols.
pub const ALPHABET: &[u8; 32] = b"0123456789ABCDEFGHJKMNPQRSTVWXYZ";

/// `len` random symbols, each equally likely (256 is a multiple of 32).
pub fn random(len: usize) -> String {
    let mut bytes = zeroize::Zeroizing::new(vec![0u8; len]);
    getrandom::fill(bytes.as_mut_slice()).expect("the OS gives random bytes");
    bytes
        .iter()
        .map(|b| ALPHABET[usize::from(b % 32)] as char)
        .collect()
}

/// A code however it was typed, or `None` when it cannot be one of `len` symbols.
pub fn read(typed: &str, len: usize) -> Option<String> {
    let symbols: String = typed
        .chars()
        .filter(|c| !matches!(c, '-' | ' '))
        .map(|c| match c.to_ascii_uppercase() {
            'O' => '0',
            'I' | 'L' => '1',
            c => c,
        })
        .collect();
    (symbols.len() == len && symbols.bytes().all(|b| ALPHABET.contains(&b))).then_some(symbols)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_code_reads_back_however_it_is_typed_and_nothing_else_does() {
        let code = random(8);
        assert_eq!(code.len(), 8);
        assert_eq!(
            read(&code.to_lowercase(), 8).as_deref(),
            Some(code.as_str())
        );
        assert_eq!(read("ab0l-1o2i", 8).as_deref(), Some("AB011021"));
        assert_eq!(read("ABCD EFGH", 8).as_deref(), Some("ABCDEFGH"));
        assert_eq!(read("ABCDEFG", 8), None, "too short");
        assert_eq!(read("ABCDEFGU", 8), None, "U is no symbol");
    }
}

//! Join codes: 130 random bits a person reads off one machine and types on another. The database
//! stores a hash of the code (to find its row) and the practice key sealed under a key derived
//! from the code, so only someone holding the code can unwrap the key.

use crate::seal::PracticeKey;
use crate::secret::Secret;
use sha2::{Digest, Sha256};

use crate::crockford;

/// Symbols in a join code (130 bits).
const LEN: usize = 26;

/// A join code, as typed (any case, dashes and spaces ignored).
pub struct JoinCode(Secret);

impl JoinCode {
    pub fn generate() -> Self {
        Self(Secret::new(crockford::random(LEN)))
    }

    /// Reads a typed code, or None when it cannot be one (wrong length or letters).
    pub fn parse(typed: &str) -> Option<Self> {
        crockford::read(typed, LEN).map(|symbols| Self(Secret::new(symbols)))
    }

    /// Grouped for reading aloud: `ABCDE-FGHJK-…`.
    pub fn display(&self) -> String {
        self.0
            .expose()
            .as_bytes()
            .chunks(5)
            .map(|c| String::from_utf8_lossy(c).into_owned())
            .collect::<Vec<_>>()
            .join("-")
    }

    /// What the database keeps to find the code's row.
    pub fn lookup_hash(&self) -> String {
        let digest = Sha256::new()
            .chain_update(b"tenantry join code\0")
            .chain_update(self.0.expose().as_bytes())
            .finalize();
        crate::secret::hex(&digest)
    }

    /// The key the practice key is wrapped under for this code.
    pub fn wrapping_key(&self) -> PracticeKey {
        PracticeKey::derived("tenantry join wrap", self.0.expose().as_bytes())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_code_reads_back_however_it_is_typed() {
        let code = JoinCode::generate();
        let shown = code.display();
        assert_eq!(
            shown.len(),
            LEN + 5,
            "five groups of five and one, with dashes"
        );
        for typed in [shown.clone(), shown.to_lowercase(), shown.replace('-', " ")] {
            let back = JoinCode::parse(&typed).expect("a shown code parses");
            assert_eq!(
                back.lookup_hash(),
                code.lookup_hash(),
                "{typed}: case, dashes and spaces do not change the code"
            );
        }
        assert!(
            JoinCode::parse("ABCDE").is_none(),
            "a short code is refused, not looked up"
        );
        assert_ne!(
            JoinCode::generate().lookup_hash(),
            code.lookup_hash(),
            "each code is new"
        );
        assert_ne!(
            code.wrapping_key().id(),
            code.lookup_hash()[..16],
            "the hash the database keeps is not the key that unwraps"
        );
    }
}

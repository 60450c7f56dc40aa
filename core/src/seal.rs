//! The practice key: 32 random bytes that seal every token set of a practice (XChaCha20-Poly1305,
//! a fresh random nonce per seal). Each machine keeps it in its own vault; the database holds only
//! what it sealed, and the key's id. Redacted in `Debug`, never serialisable, zeroised on drop.
//!
//! Pure, and below both its users: the practice (membership, join codes, rotation) and the
//! sealed vault, neither of which may import the other.

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD_NO_PAD;
use chacha20poly1305::aead::{Aead, KeyInit, Payload};
use chacha20poly1305::{XChaCha20Poly1305, XNonce};
use sha2::{Digest, Sha256};
use zeroize::Zeroizing;

const NONCE_LEN: usize = 24;

#[derive(Clone)]
pub struct PracticeKey(Zeroizing<[u8; 32]>);

/// A sealed value that does not open under this key (another key, or changed bytes).
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[error("the sealed value does not open with this key (another practice key, or damaged)")]
pub struct DoesNotOpen;

impl PracticeKey {
    pub fn generate() -> Self {
        let mut bytes = Zeroizing::new([0u8; 32]);
        getrandom::fill(bytes.as_mut()).expect("the OS gives random bytes");
        Self(bytes)
    }

    /// A key derived from other secret material (a join code) by SHA-256 under a label.
    pub(crate) fn derived(label: &str, material: &[u8]) -> Self {
        let mut hash = Sha256::new();
        hash.update(label.as_bytes());
        hash.update([0]);
        hash.update(material);
        Self(Zeroizing::new(hash.finalize().into()))
    }

    /// A public name for the key (hex of a labelled hash): which key sealed a row, without
    /// revealing it.
    pub fn id(&self) -> String {
        let digest = Sha256::new()
            .chain_update(b"tenantry practice key id\0")
            .chain_update(self.0.as_ref())
            .finalize();
        crate::secret::hex(&digest[..8])
    }

    /// The key as text for a vault entry.
    pub fn to_text(&self) -> Zeroizing<String> {
        Zeroizing::new(STANDARD_NO_PAD.encode(self.0.as_ref()))
    }

    pub fn from_text(text: &str) -> Option<Self> {
        let raw = Zeroizing::new(STANDARD_NO_PAD.decode(text.trim()).ok()?);
        let bytes: [u8; 32] = raw.as_slice().try_into().ok()?;
        Some(Self(Zeroizing::new(bytes)))
    }

    /// `plain` sealed, bound to `context` (the login it belongs to): nonce then ciphertext.
    pub fn seal(&self, plain: &[u8], context: &[u8]) -> Vec<u8> {
        let cipher = XChaCha20Poly1305::new(self.0.as_ref().into());
        let mut nonce = [0u8; NONCE_LEN];
        getrandom::fill(&mut nonce).expect("the OS gives random bytes");
        let sealed = cipher
            .encrypt(
                XNonce::from_slice(&nonce),
                Payload {
                    msg: plain,
                    aad: context,
                },
            )
            .expect("sealing cannot fail for in-memory input");
        [nonce.as_slice(), &sealed].concat()
    }

    /// Opens what [`seal`](Self::seal) made for the same `context`.
    pub fn open(&self, sealed: &[u8], context: &[u8]) -> Result<Zeroizing<Vec<u8>>, DoesNotOpen> {
        if sealed.len() < NONCE_LEN {
            return Err(DoesNotOpen);
        }
        let (nonce, body) = sealed.split_at(NONCE_LEN);
        let cipher = XChaCha20Poly1305::new(self.0.as_ref().into());
        cipher
            .decrypt(
                XNonce::from_slice(nonce),
                Payload {
                    msg: body,
                    aad: context,
                },
            )
            .map(Zeroizing::new)
            .map_err(|_| DoesNotOpen)
    }
}

impl std::fmt::Debug for PracticeKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "PracticeKey({}, <redacted>)", self.id())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_seal_opens_only_with_its_key_and_its_context() {
        let key = PracticeKey::generate();
        let sealed = key.seal(b"refresh-token-value", b"login-a");
        assert!(
            !sealed
                .windows(b"refresh-token-value".len())
                .any(|w| w == b"refresh-token-value"),
            "the database must never see the plain token"
        );
        assert_eq!(
            key.open(&sealed, b"login-a").unwrap().as_slice(),
            b"refresh-token-value",
            "the same key and login open it"
        );
        assert_eq!(
            key.open(&sealed, b"login-b"),
            Err(DoesNotOpen),
            "a row copied onto another login must not open as that login's tokens"
        );
        assert_eq!(
            PracticeKey::generate().open(&sealed, b"login-a"),
            Err(DoesNotOpen),
            "another practice's key opens nothing"
        );
        let mut changed = sealed.clone();
        *changed.last_mut().unwrap() ^= 1;
        assert_eq!(
            key.open(&changed, b"login-a"),
            Err(DoesNotOpen),
            "a changed byte is caught, not decrypted into garbage"
        );
        assert_ne!(
            key.seal(b"same", b"x"),
            key.seal(b"same", b"x"),
            "each seal has its own nonce"
        );
    }

    #[test]
    fn the_key_survives_its_text_form_and_debug_hides_it() {
        let key = PracticeKey::generate();
        let back = PracticeKey::from_text(&key.to_text()).unwrap();
        assert_eq!(
            back.id(),
            key.id(),
            "a key read back from its vault entry is the same key"
        );
        assert!(
            !format!("{key:?}").contains(key.to_text().as_str()),
            "Debug reaches logs: it names the key's id only"
        );
        assert!(
            PracticeKey::from_text("not a key").is_none(),
            "garbage is no key"
        );
    }
}

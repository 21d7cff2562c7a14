//! Record encoding: one format-version byte, then the serde_json encoding of the model type.
//!
//! The version byte lets a later storyd read or migrate records written by this one, and lets
//! this one refuse, with an error naming the key, a record it does not understand instead of
//! misreading it.

use serde::Serialize;
use serde::de::DeserializeOwned;

use super::StoreError;
use super::keys;

/// The format version written in front of every record.
pub const RECORD_VERSION: u8 = 1;

/// Encodes a record for `key` (the key only names the record in an error).
pub fn encode<T: Serialize>(key: &[u8], value: &T) -> Result<Vec<u8>, StoreError> {
    let mut out = vec![RECORD_VERSION];
    serde_json::to_writer(&mut out, value).map_err(|source| StoreError::Encode {
        key: keys::describe(key),
        source,
    })?;
    Ok(out)
}

/// Decodes the record stored under `key`, checking its format version.
pub fn decode<T: DeserializeOwned>(key: &[u8], bytes: &[u8]) -> Result<T, StoreError> {
    let Some((&version, body)) = bytes.split_first() else {
        return Err(StoreError::EmptyRecord {
            key: keys::describe(key),
        });
    };
    if version != RECORD_VERSION {
        return Err(StoreError::UnknownVersion {
            key: keys::describe(key),
            version,
            expected: RECORD_VERSION,
        });
    }
    serde_json::from_slice(body).map_err(|source| StoreError::Decode {
        key: keys::describe(key),
        source,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::Story;
    use chrono::Utc;

    #[test]
    fn a_record_round_trips() {
        let story = crate::store::tests::story("s1", Utc::now(), &["Outlet"]);
        let key = keys::story("s1");
        let bytes = encode(&key, &story).expect("encode");
        assert_eq!(bytes[0], RECORD_VERSION);
        let back: Story = decode(&key, &bytes).expect("decode");
        assert_eq!(back, story);
    }

    #[test]
    fn an_unknown_version_names_the_key() {
        let key = keys::story("s1");
        let err = decode::<Story>(&key, b"\x09{}").expect_err("version 9 must be refused");
        let message = err.to_string();
        assert!(message.contains("stories/s1"), "{message}");
        assert!(message.contains('9'), "{message}");
    }

    #[test]
    fn empty_and_garbled_records_are_errors() {
        let key = keys::article("a1");
        assert!(matches!(
            decode::<Story>(&key, b""),
            Err(StoreError::EmptyRecord { .. })
        ));
        let err = decode::<Story>(&key, b"\x01{not json").expect_err("garbled");
        assert!(err.to_string().contains("articles/a1"));
    }
}

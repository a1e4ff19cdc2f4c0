//! What can go wrong in a use case, in the terms a front end answers with:
//! not found (also for a person the caller may not see, so that nobody learns
//! that it exists), forbidden (read access, write call), invalid input, or a
//! storage failure.

use willis_store::StoreError;

#[derive(Debug, thiserror::Error)]
pub enum AppError {
    /// No such person, entry or share for this caller (HTTP 404).
    #[error("{0}")]
    NotFound(String),
    /// The caller may read but not change this (HTTP 403).
    #[error("{0}")]
    Forbidden(String),
    /// The input is refused; the message names the field (HTTP 400/422).
    #[error("{0}")]
    Invalid(String),
    /// The journal holds entries that no longer make a valid record.
    #[error("the journal does not make a valid record: {0}")]
    Journal(String),
    #[error(transparent)]
    Store(#[from] StoreError),
}

pub type Result<T> = std::result::Result<T, AppError>;

//! The pages that show and manage a journal: trends, letter, reminders,
//! history (correct, undo), import and export, sharing and the audit log.

use axum::Router;

use crate::Web;

pub fn routes() -> Router<Web> {
    Router::new()
}

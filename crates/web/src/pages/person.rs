//! The pages that enter facts: questionnaire, results, medicines, iron, diary.

use axum::Router;

use crate::Web;

pub fn routes() -> Router<Web> {
    Router::new()
}

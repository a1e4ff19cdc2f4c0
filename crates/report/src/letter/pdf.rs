//! The letter as PDF, typeset in-process by typst with the fonts compiled into
//! the binary (typst-assets): no browser, no external program, no file system.
//!
//! The layout is a fixed typst template (`letter.typ`); the letter's words
//! reach it only as data (`/data.json`, the serialised [`LetterContent`]), so
//! no user text is ever parsed as markup and nothing needs escaping. The charts
//! are offered as virtual SVG files. `today()` is the letter's date.

use std::collections::HashMap;
use std::sync::OnceLock;

use chrono::Datelike;
use typst::diag::{FileError, FileResult, Severity};
use typst::foundations::{Bytes, Datetime, Duration};
use typst::syntax::{FileId, RootedPath, Source, VirtualPath, VirtualRoot};
use typst::text::{Font, FontBook};
use typst::utils::LazyHash;
use typst::{Library, LibraryExt, World};

use super::content::LetterContent;

const TEMPLATE: &str = include_str!("letter.typ");

/// Why a PDF could not be made. With a fixed template and data-only input,
/// this means a bug in the template, not a problem with the record.
#[derive(Debug, thiserror::Error)]
pub enum PdfError {
    #[error("cannot serialise the letter: {0}")]
    Data(#[from] serde_json::Error),
    #[error("cannot typeset the letter: {0}")]
    Typeset(String),
}

/// The fonts and standard library, loaded once per process.
struct Resources {
    library: LazyHash<Library>,
    book: LazyHash<FontBook>,
    fonts: Vec<Font>,
}

fn resources() -> &'static Resources {
    static RESOURCES: OnceLock<Resources> = OnceLock::new();
    RESOURCES.get_or_init(|| {
        let fonts: Vec<Font> = typst_assets::fonts()
            .flat_map(|data| Font::iter(Bytes::new(data)))
            .collect();
        Resources {
            library: LazyHash::new(Library::default()),
            book: LazyHash::new(FontBook::from_fonts(&fonts)),
            fonts,
        }
    })
}

fn file_id(path: &str) -> Result<FileId, PdfError> {
    let vpath = VirtualPath::new(path)
        .map_err(|e| PdfError::Typeset(format!("bad virtual path {path}: {e:?}")))?;
    Ok(RootedPath::new(VirtualRoot::Project, vpath).intern())
}

/// The world typst sees: the template, the letter as JSON, the charts.
struct LetterWorld {
    resources: &'static Resources,
    main: Source,
    files: HashMap<FileId, Bytes>,
    today: Option<Datetime>,
}

impl World for LetterWorld {
    fn library(&self) -> &LazyHash<Library> {
        &self.resources.library
    }

    fn book(&self) -> &LazyHash<FontBook> {
        &self.resources.book
    }

    fn main(&self) -> FileId {
        self.main.id()
    }

    fn source(&self, id: FileId) -> FileResult<Source> {
        if id == self.main.id() {
            Ok(self.main.clone())
        } else {
            Err(FileError::AccessDenied)
        }
    }

    fn file(&self, id: FileId) -> FileResult<Bytes> {
        if id == self.main.id() {
            return Ok(Bytes::from_string(self.main.text().to_string()));
        }
        self.files
            .get(&id)
            .cloned()
            .ok_or_else(|| FileError::NotFound(id.get().vpath().get_with_slash().into()))
    }

    fn font(&self, index: usize) -> Option<Font> {
        self.resources.fonts.get(index).cloned()
    }

    fn today(&self, _offset: Option<Duration>) -> Option<Datetime> {
        self.today
    }
}

/// The letter as a PDF document (A4, one or two pages for a typical record).
pub fn pdf(content: &LetterContent) -> Result<Vec<u8>, PdfError> {
    let mut files = HashMap::new();
    files.insert(
        file_id("/data.json")?,
        Bytes::new(serde_json::to_vec(content)?),
    );
    for figure in &content.charts {
        files.insert(
            file_id(&format!("/{}", figure.file))?,
            Bytes::from_string(figure.svg.clone()),
        );
    }
    let date = content.date;
    let world = LetterWorld {
        resources: resources(),
        main: Source::new(file_id("/letter.typ")?, TEMPLATE.to_string()),
        files,
        today: u8::try_from(date.month())
            .ok()
            .zip(u8::try_from(date.day()).ok())
            .and_then(|(m, d)| Datetime::from_ymd(date.year(), m, d)),
    };

    let compiled = typst::compile(&world);
    let document = compiled.output.map_err(|errors| {
        PdfError::Typeset(
            errors
                .iter()
                .filter(|d| d.severity == Severity::Error)
                .map(|d| d.message.to_string())
                .collect::<Vec<_>>()
                .join("; "),
        )
    })?;
    let options = typst_pdf::PdfOptions {
        ident: typst::foundations::Smart::Custom(format!("willis-letter-{date}")),
        creator: typst::foundations::Smart::Custom(Some("Willis".to_string())),
        ..typst_pdf::PdfOptions::default()
    };
    let bytes = typst_pdf::pdf(&document, &options).map_err(|errors| {
        PdfError::Typeset(
            errors
                .iter()
                .map(|d| d.message.to_string())
                .collect::<Vec<_>>()
                .join("; "),
        )
    });
    // typst memoises across compilations; keep a long-running server's memory flat.
    typst::comemo::evict(2);
    bytes
}

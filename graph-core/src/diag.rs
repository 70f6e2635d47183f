//! Where things are in the user's source, and the errors that point there.

use proc_macro2::Span;

/// A stretch of the user's source: the spans of its first and last token.
///
/// Stable Rust cannot join two spans into one, so a stretch is kept as its two ends; the
/// macro turns it into an error that underlines everything from `first` to `last`.
#[derive(Clone, Copy, Debug)]
pub struct Loc {
    /// The span of the first token.
    pub first: Span,
    /// The span of the last token.
    pub last: Span,
}

impl Loc {
    /// A stretch of one token.
    pub fn at(span: Span) -> Loc {
        Loc {
            first: span,
            last: span,
        }
    }

    /// From the first token of `self` to the last token of `other`.
    pub fn to(self, other: Loc) -> Loc {
        Loc {
            first: self.first,
            last: other.last,
        }
    }

    /// Nowhere in particular (for graphs built by hand, in tests).
    pub fn call_site() -> Loc {
        Loc::at(Span::call_site())
    }
}

/// One error, for the user, at one place in their source.
///
/// Messages follow rustc's style: lowercase, no final period, the user's syntax quoted,
/// and what was expected.
#[derive(Clone, Debug)]
pub struct Diagnostic {
    /// Where the mistake is.
    pub loc: Loc,
    /// What is wrong, and what to do.
    pub message: String,
}

impl Diagnostic {
    /// An error at `loc`.
    pub fn new(loc: Loc, message: impl Into<String>) -> Diagnostic {
        Diagnostic {
            loc,
            message: message.into(),
        }
    }
}

/// The errors of one phase, collected so that the user sees all independent mistakes at once.
#[derive(Debug, Default)]
pub struct Diagnostics(Vec<Diagnostic>);

impl Diagnostics {
    /// Records one error.
    pub fn push(&mut self, diagnostic: Diagnostic) {
        self.0.push(diagnostic);
    }

    /// Records the error of `result`, if any, and passes its value on.
    pub fn check<T>(&mut self, result: Result<T, Diagnostic>) -> Option<T> {
        result.map_err(|d| self.push(d)).ok()
    }

    /// Ends a phase: `Ok(value)` if nothing went wrong, all the errors otherwise.
    pub fn finish<T>(self, value: T) -> Result<T, Vec<Diagnostic>> {
        if self.0.is_empty() {
            Ok(value)
        } else {
            Err(self.0)
        }
    }

    /// Whether any error was recorded.
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }
}

//! The one error collector of every phase, as serde_derive's `Ctxt`: each
//! phase pushes what it finds and carries on, so one build reports every
//! mistake of the input, not the first one per phase.

#[derive(Default)]
pub(crate) struct Ctxt {
    errors: Vec<syn::Error>,
}

impl Ctxt {
    pub(crate) fn push(&mut self, error: syn::Error) {
        self.errors.push(error);
    }

    /// Keeps `result`'s value, or collects its error.
    pub(crate) fn ok<T>(&mut self, result: syn::Result<T>) -> Option<T> {
        result.map_err(|error| self.push(error)).ok()
    }

    /// Every error pushed, combined into one; `Ok` if none was.
    pub(crate) fn check(self) -> syn::Result<()> {
        let mut errors = self.errors.into_iter();
        let Some(mut combined) = errors.next() else { return Ok(()) };
        combined.extend(errors);
        Err(combined)
    }
}

//! Passes, one per file, in the order the pipeline runs them:
//!
//! - before differentiation: [`stabilize`], [`simplify`], [`cse_undeclared`], [`dce`];
//! - after it: [`simplify`], [`cse`], [`dce`] over the forward and backward graph together;
//! - for emission: [`strength_reduce`], [`absorb_transposes`], [`legalize`], then [`cse`] and [`dce`] again (the pieces of a softmax in
//!   the backward graph meet those of a log-softmax in the forward one).
//!
//! Every pass runs through [`Passes::run`], which checks the graph's invariants after it in
//! debug builds and, when `STATIC_GRAPH_DUMP=DIR` is set, writes the graph before and after
//! it to `DIR` as DOT files.

mod cse;
mod dce;
mod legalize;
mod simplify;
mod stabilize;
#[cfg(test)]
pub(crate) mod testing;

use crate::diag::Diagnostic;
use crate::program::Program;

pub use cse::{cse, cse_undeclared};
pub use dce::dce;
pub use legalize::legalize;
pub use simplify::{absorb_transposes, simplify, strength_reduce};
pub use stabilize::stabilize;

/// Runs passes over one program, numbering them for the dump files.
pub struct Passes {
    /// Where to write DOT files (from `STATIC_GRAPH_DUMP`), if anywhere.
    dump: Option<std::path::PathBuf>,
    /// A name for the files: the module's.
    name: String,
    count: usize,
}

impl Passes {
    /// Passes for the module `name`, dumping if `STATIC_GRAPH_DUMP` is set.
    pub fn new(name: &str) -> Passes {
        let dump = std::env::var_os("STATIC_GRAPH_DUMP").map(std::path::PathBuf::from);
        Passes {
            dump,
            name: name.to_owned(),
            count: 0,
        }
    }

    /// Runs `pass`, verifying (in debug builds) and dumping around it.
    pub fn run(
        &mut self,
        program: &mut Program,
        label: &str,
        pass: impl FnOnce(&mut Program) -> Result<(), Diagnostic>,
    ) -> Result<(), Diagnostic> {
        self.count += 1;
        self.write(program, label, "before");
        pass(program)?;
        self.write(program, label, "after");
        if cfg!(debug_assertions) {
            let loc = program.graph.node(program.objective.node).loc;
            crate::check::verify(&program.graph, label)
                .map_err(|m| Diagnostic::new(loc, format!("internal error: {m}")))?;
        }
        Ok(())
    }

    fn write(&self, program: &Program, label: &str, when: &str) {
        let Some(dir) = &self.dump else { return };
        let file = dir.join(format!("{}-{:02}-{label}-{when}.dot", self.name, self.count));
        // Best effort: a debugging aid must not fail the build.
        let _ = std::fs::create_dir_all(dir).and_then(|()| std::fs::write(file, crate::emit::dot(&program.graph)));
    }

    /// The passes before differentiation.
    pub fn before_autodiff(&mut self, program: &mut Program) -> Result<(), Diagnostic> {
        self.run(program, "stabilize", stabilize)?;
        self.run(program, "simplify", simplify)?;
        self.run(program, "cse", infallible(cse_undeclared))?;
        self.run(program, "dce", infallible(dce))
    }

    /// The passes over the forward and backward graph.
    pub fn after_autodiff(&mut self, program: &mut Program) -> Result<(), Diagnostic> {
        self.run(program, "simplify", simplify)?;
        self.run(program, "cse", infallible(cse))?;
        self.run(program, "dce", infallible(dce))
    }

    /// The passes that prepare the graph for emission.
    pub fn for_emission(&mut self, program: &mut Program) -> Result<(), Diagnostic> {
        self.run(program, "strength_reduce", strength_reduce)?;
        self.run(program, "absorb_transposes", absorb_transposes)?;
        self.run(program, "legalize", |p| legalize(&mut p.graph))?;
        self.run(program, "cse", infallible(cse))?;
        self.run(program, "dce", infallible(dce))
    }
}

/// A pass that cannot fail, in the shape [`Passes::run`] takes.
fn infallible(pass: fn(&mut Program)) -> impl FnOnce(&mut Program) -> Result<(), Diagnostic> {
    move |program| {
        pass(program);
        Ok(())
    }
}

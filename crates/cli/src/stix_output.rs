//! `--output stix`: the answers of one command (every page with `--all`) as one STIX 2.1 bundle
//! ([`crate::stix`]), for the operations whose spec maps their answer (`x-stix`).

use crate::{derive, emit};
use serde_json::Value;
use threatbind::spec::{Api, Operation};
use threatbind::Error;

/// Refuses `--output stix` (exit 2, before anything is sent) on an operation without `x-stix`,
/// naming the commands that have it.
pub(crate) fn refuse_unmapped(op: &Operation) -> Result<(), Error> {
    if op.stix.is_some() {
        return Ok(());
    }
    let mapped: Vec<String> = Api::ALL
        .iter()
        .flat_map(|api| api.operations())
        .filter(|o| o.stix.is_some())
        .map(|o| format!("{} {}", derive::api_name(o.api), derive::op_name(o)))
        .collect();
    Err(Error::config(
        "--output",
        format!(
            "stix is for the operations whose answer describes indicators (x-stix in their spec): {}; {} {} is not one",
            mapped.join(", "),
            derive::api_name(op.api),
            derive::op_name(op)
        ),
    ))
}

/// The answers of one command, gathered until the bundle is printed.
pub(crate) struct Gather<'a> {
    op: &'a Operation,
    request: Value,
    answers: Vec<Value>,
}

impl<'a> Gather<'a> {
    /// Gathers the answers of `op` to `request` (its request document).
    pub(crate) fn new(op: &'a Operation, request: Value) -> Self {
        Gather {
            op,
            request,
            answers: Vec::new(),
        }
    }

    /// One answer's body (a page of a walk); one that is not JSON is an error naming
    /// `--output raw`.
    pub(crate) fn page(&mut self, body: &[u8]) -> Result<(), Error> {
        let value: Value = serde_json::from_slice(body).map_err(|e| {
            Error::Decode(format!(
                "the answer is not JSON ({e}): --output raw prints it as received"
            ))
        })?;
        self.answers.push(value);
        Ok(())
    }

    /// Prints the bundle (pretty on a terminal, compact otherwise) and, on stderr, what could
    /// not be put in it.
    pub(crate) fn finish(self) -> Result<(), Error> {
        let answers = self.answers.iter().map(|body| crate::stix::Answer {
            operation: self.op,
            request: Some(&self.request),
            body,
        });
        let bundle = crate::stix::bundle(answers, chrono::Utc::now());
        crate::stix::warn(
            "warning: --output stix: ",
            &bundle.warnings,
            crate::stix::WARNINGS_SHOWN,
        );
        let text = if crate::stdout_is_terminal() {
            serde_json::to_string_pretty(&bundle.bundle)
        } else {
            serde_json::to_string(&bundle.bundle)
        }
        .map_err(|e| Error::Decode(format!("the STIX bundle could not be written: {e}")))?;
        emit(&text);
        Ok(())
    }
}

//! One operation of a spec as the diff walks it: shared by the walk and the comparisons it
//! hands each pair to.

use super::context::Node;

/// One operation: its path as written, its path item and itself.
pub(super) struct Op<'a> {
    pub template: String,
    pub item: Node<'a>,
    pub node: Node<'a>,
    pub method: &'static str,
}

impl Op<'_> {
    pub(super) fn id(&self) -> Option<&str> {
        self.node.str("operationId")
    }

    /// `GET /a/{id} (getA)`.
    pub(super) fn label(&self) -> String {
        let method = self.method.to_ascii_uppercase();
        match self.id() {
            Some(id) => format!("{method} {} ({id})", self.template),
            None => format!("{method} {}", self.template),
        }
    }
}

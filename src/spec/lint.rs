//! The spec linter (being written).

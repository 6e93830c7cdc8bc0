use super::Finding;
use crate::dockerfile::Dockerfile;
pub(super) fn run_all(_df: &Dockerfile) -> Vec<Finding> {
    Vec::new()
}

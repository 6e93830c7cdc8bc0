//! Depth-first walk of the stage DAG from the target: the post-order is a
//! build order, and a stage met again while still open is a cycle.

use super::{PlanError, Stage};

#[derive(Clone, Copy, PartialEq)]
enum Mark {
    New,
    Open,
    Done,
}

pub(super) fn order_from(target: usize, stages: &[Stage]) -> Result<Vec<usize>, PlanError> {
    let mut marks = vec![Mark::New; stages.len()];
    let mut order = Vec::new();
    // An explicit stack instead of recursion: (stage, next dep to visit).
    let mut stack = vec![(target, 0usize)];
    marks[target] = Mark::Open;
    while let Some(&mut (s, ref mut next)) = stack.last_mut() {
        let deps = &stages[s].deps;
        if *next < deps.len() {
            let d = deps[*next];
            *next += 1;
            match marks[d] {
                Mark::Done => {}
                Mark::Open => {
                    let st = &stages[d];
                    let name = st.name.clone().unwrap_or_else(|| d.to_string());
                    return Err(PlanError::new(
                        st.line,
                        1,
                        format!("circular dependency detected on stage: {name}"),
                    ));
                }
                Mark::New => {
                    marks[d] = Mark::Open;
                    stack.push((d, 0));
                }
            }
        } else {
            marks[s] = Mark::Done;
            order.push(s);
            stack.pop();
        }
    }
    Ok(order)
}

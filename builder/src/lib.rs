//! The builder: build context, cache keys, the solver over the stage DAG,
//! step execution and image config assembly. Emits events; prints nothing.

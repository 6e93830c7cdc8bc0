//! Dockerfile text to AST, parser directives, heredocs, word expansion and the
//! stage DAG. Pure: no I/O, no unsafe, so it can be fuzzed and reused.

ARG BASE
FROM ${BASE:?required}

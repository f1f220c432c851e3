//! Runtime support for sagac-generated handlers.

//! Side-by-side benchmark (filled in below).
